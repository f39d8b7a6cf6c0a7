// The operator API against the real server binary, judged by what a viewer
// gets: every change made over /api/v1 is checked in the room's live HLS
// (playlist and segments fetched over HTTP, the newest segment decoded with
// ffmpeg to RGB and PCM), not only in the JSON. The room's `tiles` say which
// rectangle of the picture belongs to whom. Synthetic participants have
// distinct colours and tones: Alice red at 440 Hz, Bob blue at 620 Hz, Carol
// yellow at 820 Hz.
//
// Runs inside tests/tools/netns-run (two cases publish over WebRTC, and ICE
// ignores loopback); everything else uses 127.0.0.1 only.
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "integration_support.h"
#include "test_support.h"
#include "webrtc_peer.h"
#include "ws_client.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";
const Rgb kRed{255, 0, 0};
const Rgb kBlue{0, 0, 255};
const Rgb kYellow{255, 255, 0};
const Rgb kPlaceholder{48, 48, 48};  // layouts' default placeholder, #303030
constexpr double kAliceHz = 440;
constexpr double kBobHz = 620;
constexpr double kCarolHz = 820;
// A test source's tone (volume 0.3) measures ~0.42 in the programme; an absent
// one ~0.001 (AAC noise and the other tones' leakage).
constexpr double kHeard = 0.1;
constexpr double kSilent = 0.02;
// How long a change may take to show in a newly listed HLS segment (1 s
// segments; generous for a loaded 2-core machine).
constexpr double kShowS = 20;

const char* const kAlice = "{name: Alice, uri: \"test://color?color=red&tone=440\"}";
const char* const kBob = "{name: Bob, uri: \"test://color?color=blue&tone=620\"}";

// The server with `rooms` (the YAML list items, or "[]"). 1 s keyframes and
// 1 s HLS segments: a change shows within a few seconds.
std::string config(const std::string& rooms) {
  return "log_level: info\n"
         "http: {port: {port}}\n"
         "media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800, "
         "video_encoder: x264, keyframe_interval_s: 1}\n"
         "paths:\n"
         "  layouts: {root}/config/layouts\n"
         "  pipelines: {root}/pipelines\n"
         "  hls: {dir}/hls\n"
         "  recordings: {dir}/recordings\n"
         "rooms:" +
         (rooms == "[]" ? std::string(" []\n") : "\n" + rooms);
}

const char* const kLiveHls = "{enabled: true, segment_s: 1, playlist_length: 6, max_files: 12}";

// Room `studio`: Alice and Bob, HLS on, the recording as given.
std::string studio(const std::string& layout = "grid",
                   const std::string& recording = "{enabled: false}") {
  return std::string("  - name: studio\n") + "    layout: " + layout +
         "\n"
         "    outputs:\n"
         "      hls: " +
         kLiveHls +
         "\n"
         "      recording: " +
         recording +
         "\n"
         "      rtmp: []\n"
         "    sources:\n"
         "      - " +
         kAlice + "\n      - " + kBob + "\n";
}

std::string header(const HttpResponse& response, const std::string& name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? "" : it->second;
}

std::string message_of(const HttpResponse& response) {
  return json_get(response.body, "error.message").value_or("");
}

std::string room_path(const std::string& rest = "") {
  return std::string("/api/v1/rooms/") + kRoom + rest;
}

// Waits until the room's status satisfies `ok`; the last status read is left in `out`.
bool wait_for_room(const ServerUnderTest& server, const std::string& room,
                   const std::function<bool(const RoomInfo&)>& ok, double timeout_s,
                   RoomInfo* out = nullptr) {
  return wait_until(
      [&] {
        auto info = room_info(server, room);
        if (!info) return false;
        if (out) *out = *info;
        return ok(*info);
      },
      timeout_s);
}

// A point of `tile` that no other tile covers, away from its edges and from
// its bottom (where labels are drawn); false when there is none.
bool visible_point(const TileInfo& tile, const std::vector<TileInfo>& all, int& x, int& y) {
  constexpr int kMargin = 12;
  for (int fy : {4, 2, 1, 3, 5}) {    // tenths of the height: middle first, never the bottom
    for (int fx : {5, 3, 7, 1, 9}) {  // tenths of the width
      const int px = tile.x + tile.width * fx / 10;
      const int py = tile.y + tile.height * fy / 10 + kMargin / 2;
      if (px < tile.x + kMargin || px > tile.x + tile.width - kMargin) continue;
      if (py < tile.y + kMargin || py > tile.y + tile.height - kMargin) continue;
      bool covered = false;
      for (const auto& other : all) {
        const bool same = other.participant == tile.participant && other.x == tile.x &&
                          other.y == tile.y && other.region == tile.region;
        if (!same && other.z >= tile.z && other.contains(px, py)) covered = true;
      }
      if (covered) continue;
      x = px;
      y = py;
      return true;
    }
  }
  return false;
}

// Whether the picture shows `colour` where `tile` is visible.
bool tile_shows(const HlsSample& s, const TileInfo& tile, const std::vector<TileInfo>& all,
                const Rgb& colour, std::string& why) {
  int x = 0, y = 0;
  if (!visible_point(tile, all, x, y)) {
    why += " tile of " + tile.participant + " is hidden;";
    return false;
  }
  const Rgb seen = s.patch(x, y);
  why += " " + tile.participant + "@(" + std::to_string(x) + "," + std::to_string(y) +
         ")=" + to_string(seen) + ";";
  return near_colour(seen, colour);
}

// Patches of the whole picture that show `colour` (a 20 px grid of 8x8 patches).
int patches_of(const RgbFrame& frame, const Rgb& colour) {
  int count = 0;
  for (int y = 10; y < frame.height - 10; y += 20)
    for (int x = 10; x < frame.width - 10; x += 20)
      count += near_colour(frame.mean(x - 4, y - 4, 8, 8), colour, 50);
  return count;
}

std::string tones(const HlsSample& s) {
  char text[160];
  std::snprintf(text, sizeof text, " tones 440 %.3f, 620 %.3f, 820 %.3f;", s.tone(kAliceHz),
                s.tone(kBobHz), s.tone(kCarolHz));
  return text;
}

// Each named participant's colour in every one of its tiles.
bool shows_participants(const HlsSample& s, const RoomInfo& room,
                        const std::map<std::string, Rgb>& colour_by_name, std::string& why) {
  bool ok = true;
  for (const auto& [name, colour] : colour_by_name) {
    const ParticipantInfo* p = room.named(name);
    if (!p) {
      why += " no " + name + " in the room;";
      ok = false;
      continue;
    }
    const auto tiles = room.tiles_of(p->id);
    if (tiles.empty()) {
      why += " " + name + " has no tile;";
      ok = false;
    }
    for (const auto& tile : tiles) ok = tile_shows(s, tile, room.tiles, colour, why) && ok;
  }
  return ok;
}

class OperatorApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }

  // Starts the server and waits until room `room` shows in HLS.
  bool start(ServerUnderTest& server, const std::string& rooms, const std::string& room = kRoom) {
    if (!server.start(config(rooms))) return false;
    if (room.empty()) return true;
    return wait_until(
        [&] {
          const HttpResponse r = server.get("/hls/" + room + "/index.m3u8");
          return r.status == 200 && parse_playlist(r.body).uris.size() >= 2;
        },
        20);
  }
};

// ---------------------------------------------------------------------------
// Rooms: creation, and what bad requests get.

TEST_F(OperatorApi, CreatedRoomShowsBothSourcesInTheirTilesAndBothTones) {
  ServerUnderTest server("api-create");
  ASSERT_TRUE(start(server, "[]", "")) << server.log();
  const std::string body = std::string("{\"name\": \"made\", \"layout\": \"grid\",") +
                           " \"outputs\": {\"hls\": {\"enabled\": true, \"segment_s\": 1, "
                           "\"playlist_length\": 6, \"max_files\": 12},"
                           " \"recording\": {\"enabled\": false}, \"rtmp\": []},"
                           " \"sources\": ["
                           "{\"name\": \"Alice\", \"uri\": \"test://color?color=red&tone=440\"},"
                           "{\"name\": \"Bob\", \"uri\": \"test://color?color=blue&tone=620\"}]}";
  const HttpResponse created = http_json(server.port(), "POST", "/api/v1/rooms", body);
  ASSERT_EQ(created.status, 201) << created.body << server.log();
  EXPECT_EQ(header(created, "location"), "/api/v1/rooms/made");
  const auto made = parse_room(created.body);
  ASSERT_TRUE(made) << created.body;
  EXPECT_EQ(made->name, "made");
  EXPECT_EQ(made->layout, "grid");
  EXPECT_EQ(made->width, 640);
  EXPECT_EQ(made->height, 360);
  EXPECT_NE(server.get("/api/v1/rooms").body.find("\"made\""), std::string::npos);

  RoomInfo room;
  ASSERT_TRUE(wait_for_room(
      server, "made", [](const RoomInfo& r) { return r.tiles.size() == 2; }, 10, &room))
      << server.get("/api/v1/rooms/made").body;
  HlsViewer hls(server, "made", server.dir().file("view"));
  std::string notes;
  EXPECT_TRUE(hls.wait_for(
      0, kShowS,
      [&](const HlsSample& s, std::string& why) {
        const bool picture = shows_participants(s, room, {{"Alice", kRed}, {"Bob", kBlue}}, why);
        why += tones(s);
        return picture && s.tone(kAliceHz) > kHeard && s.tone(kBobHz) > kHeard;
      },
      &notes))
      << "the created room's HLS never showed Alice red and Bob blue in their tiles with both "
         "tones:\n"
      << notes << server.get("/api/v1/rooms/made").body;
}

TEST_F(OperatorApi, BadRoomBodiesAreRefusedWithTheFieldAtFault) {
  ServerUnderTest server("api-bad-bodies");
  ASSERT_TRUE(start(server, "[]", "")) << server.log();
  const int port = server.port();
  // Rooms without sources or outputs: nothing to encode for but the picture.
  const std::string quiet =
      ", \"outputs\": {\"hls\": {\"enabled\": false}, \"recording\": {\"enabled\": false}}";

  const HttpResponse malformed = http_json(port, "POST", "/api/v1/rooms", "{\"name\": \"x\",");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_TRUE(json_get(malformed.body, "error.message")) << malformed.body;
  EXPECT_EQ(json_get(malformed.body, "error.code"), "400") << malformed.body;

  // An unknown field, on the third line of the body: named, with its place.
  const HttpResponse unknown = http_json(
      port, "POST", "/api/v1/rooms",
      "{\"name\": \"x\",\n  \"layout\": \"grid\",\n" + std::string("  \"colour\": \"red\"}"));
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(json_get(unknown.body, "error.field"), "colour") << unknown.body;
  EXPECT_NE(message_of(unknown).find("colour"), std::string::npos) << unknown.body;
  EXPECT_EQ(json_get(unknown.body, "error.issues.0.field"), "colour") << unknown.body;
  EXPECT_EQ(json_get(unknown.body, "error.issues.0.line"), "3") << unknown.body;
  EXPECT_EQ(json_get(unknown.body, "error.issues.0.column"), "3") << unknown.body;

  const HttpResponse layout =
      http_json(port, "POST", "/api/v1/rooms",
                "{\"name\": \"x\", \"layout\": \"no-such-layout\"" + quiet + "}");
  EXPECT_EQ(layout.status, 400) << layout.body;
  EXPECT_EQ(json_get(layout.body, "error.field"), "layout") << layout.body;
  EXPECT_EQ(server.get("/api/v1/rooms/x").status, 404) << "a refused room must not exist";

  const std::string good = "{\"name\": \"taken\"" + quiet + "}";
  const HttpResponse first = http_json(port, "POST", "/api/v1/rooms", good);
  ASSERT_EQ(first.status, 201) << first.body << server.log();
  const HttpResponse duplicate = http_json(port, "POST", "/api/v1/rooms", good);
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(json_get(duplicate.body, "error.field"), "name") << duplicate.body;

  const HttpResponse text =
      http_exchange(port, "POST", "/api/v1/rooms", {{"Content-Type", "text/plain"}}, good);
  EXPECT_EQ(text.status, 415) << text.body;
  const HttpResponse untyped = http_exchange(port, "POST", "/api/v1/rooms", {}, good);
  EXPECT_EQ(untyped.status, 415) << untyped.body;

  // Well over the 64 KiB body limit: refused before it is read.
  const std::string huge =
      "{\"name\": \"huge\", \"padding\": \"" + std::string(300 * 1024, 'x') + "\"}";
  const HttpResponse too_big = http_json(port, "POST", "/api/v1/rooms", huge);
  EXPECT_EQ(too_big.status, 413) << too_big.body.substr(0, 300);
  EXPECT_EQ(server.get("/api/v1/rooms/huge").status, 404);

  // Nothing of the above disturbed the server.
  EXPECT_TRUE(server.process()->running());
  EXPECT_EQ(server.get("/healthz").status, 200);
  EXPECT_EQ(json_array_length(server.get("/api/v1/rooms").body, "rooms"), 1);
}

TEST_F(OperatorApi, UnknownRoomIs404OnEveryRoomRoute) {
  ServerUnderTest server("api-404");
  ASSERT_TRUE(start(server, "[]", "")) << server.log();
  struct Route {
    const char* method;
    const char* path;
    const char* body;  // JSON, or "" for none
  };
  const Route routes[] = {
      {"GET", "", ""},
      {"DELETE", "", ""},
      {"POST", "/rebuild", ""},
      {"GET", "/participants", ""},
      {"GET", "/participants/alice-1", ""},
      {"PATCH", "/participants/alice-1", "{\"audio_muted\": true}"},
      {"DELETE", "/participants/alice-1", ""},
      {"POST", "/sources", "{\"name\": \"A\", \"uri\": \"test://color\"}"},
      {"DELETE", "/sources/alice-1", ""},
      {"PUT", "/layout", "{\"name\": \"grid\"}"},
      {"GET", "/outputs", ""},
      {"POST", "/outputs", "{\"kind\": \"rtmp\", \"url\": \"rtmp://127.0.0.1:1/live/x\"}"},
      {"GET", "/outputs/hls", ""},
      {"DELETE", "/outputs/hls", ""},
      {"POST", "/hls/start", ""},
      {"POST", "/hls/stop", ""},
      {"POST", "/recording/start", ""},
      {"POST", "/recording/stop", ""},
      {"POST", "/recording/split", ""},
      {"GET", "/recordings", ""},
      {"DELETE", "/recordings/nope.mp4", ""},
  };
  // Recordings outlive rooms, but a name that is not a room's never reaches a directory.
  write_file(server.dir().file("secret.mp4"), "secret");  // next to the recordings directory
  for (const char* path : {"/api/v1/rooms/%2e%2e/recordings", "/api/v1/rooms/./recordings",
                           "/api/v1/rooms/%2e%2e/recordings/secret.mp4"}) {
    for (const char* method : {"GET", "DELETE"}) {
      const HttpResponse response = http_exchange(server.port(), method, path);
      EXPECT_TRUE(response.status == 404 || response.status == 400 || response.status == 405)
          << method << " " << path << ": " << response.status << "\n"
          << response.body;
      // Nothing of the server's own directory is listed.
      EXPECT_EQ(json_array_length(response.body, "recordings"), -1) << response.body;
      EXPECT_EQ(response.body.find("mixcast.yaml"), std::string::npos) << response.body;
    }
  }
  EXPECT_TRUE(std::filesystem::exists(server.dir().file("secret.mp4")));
  for (const auto& route : routes) {
    const std::string path = std::string("/api/v1/rooms/nowhere") + route.path;
    const HttpResponse response = *route.body
                                      ? http_json(server.port(), route.method, path, route.body)
                                      : http_exchange(server.port(), route.method, path);
    EXPECT_EQ(response.status, 404) << route.method << " " << path << "\n" << response.body;
    EXPECT_EQ(json_get(response.body, "error.code"), "404") << route.method << " " << path << "\n"
                                                            << response.body;
  }
  EXPECT_TRUE(server.process()->running());
}

// ---------------------------------------------------------------------------
// Participants: mute, volume, video mute, pin, name.

TEST_F(OperatorApi, AudioMuteTakesOnlyThatToneOutOfTheMixAndUnmuteBringsItBack) {
  ServerUnderTest server("api-mute");
  ASSERT_TRUE(start(server, studio())) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  const auto room = room_info(server, kRoom);
  ASSERT_TRUE(room && room->named("Alice") && room->named("Bob")) << server.log();
  const std::string alice = room->named("Alice")->id;
  std::string notes;
  ASSERT_TRUE(hls.wait_for(
      0, kShowS,
      [&](const HlsSample& s, std::string& why) {
        why = tones(s);
        return s.tone(kAliceHz) > kHeard && s.tone(kBobHz) > kHeard;
      },
      &notes))
      << "both tones before the mute:\n"
      << notes;

  const HttpResponse muted = http_json(server.port(), "PATCH", room_path("/participants/" + alice),
                                       "{\"audio_muted\": true}");
  ASSERT_EQ(muted.status, 200) << muted.body;
  EXPECT_EQ(json_get(muted.body, "audio_muted"), "true") << muted.body;
  EXPECT_EQ(json_get(muted.body, "video_muted"), "false") << muted.body;
  notes.clear();
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        why = tones(s);
        return s.tone(kAliceHz) < kSilent && s.tone(kBobHz) > kHeard;
      },
      &notes))
      << "Alice muted: her 440 Hz must leave the mix, Bob's 620 Hz stay:\n"
      << notes;
  // Her picture stays: muting audio is not muting video.
  const auto sample = hls.next(hls.newest(), 5);
  ASSERT_TRUE(sample);
  std::string picture;
  EXPECT_TRUE(shows_participants(*sample, *room_info(server, kRoom), {{"Alice", kRed}}, picture))
      << picture;

  const HttpResponse unmuted = http_json(
      server.port(), "PATCH", room_path("/participants/" + alice), "{\"audio_muted\": false}");
  ASSERT_EQ(unmuted.status, 200) << unmuted.body;
  EXPECT_EQ(json_get(unmuted.body, "audio_muted"), "false") << unmuted.body;
  notes.clear();
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        why = tones(s);
        return s.tone(kAliceHz) > kHeard && s.tone(kBobHz) > kHeard;
      },
      &notes))
      << "Alice unmuted: her tone must come back:\n"
      << notes;
}

TEST_F(OperatorApi, VolumeMinus20dBMakesThatTone20dBQuieter) {
  ServerUnderTest server("api-volume");
  ASSERT_TRUE(start(server, studio())) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  const auto room = room_info(server, kRoom);
  ASSERT_TRUE(room && room->named("Bob")) << server.log();
  const std::string bob = room->named("Bob")->id;
  const auto before = hls.next(1, kShowS);
  ASSERT_TRUE(before) << server.log();
  const double bob_before = before->tone(kBobHz);
  const double alice_before = before->tone(kAliceHz);
  ASSERT_GT(bob_before, kHeard) << tones(*before);

  const HttpResponse quieter =
      http_json(server.port(), "PATCH", room_path("/participants/" + bob), "{\"volume_db\": -20}");
  ASSERT_EQ(quieter.status, 200) << quieter.body;
  EXPECT_DOUBLE_EQ(std::stod(json_get(quieter.body, "volume_db").value_or("0")), -20)
      << quieter.body;
  std::string notes;
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const double bob_db = amplitude_db(s.tone(kBobHz) / bob_before);
        const double alice_db = amplitude_db(s.tone(kAliceHz) / alice_before);
        why = tones(s) + " Bob " + std::to_string(bob_db) + " dB, Alice " +
              std::to_string(alice_db) + " dB";
        return std::abs(bob_db + 20) <= 3 && std::abs(alice_db) <= 1.5;
      },
      &notes))
      << "Bob at -20 dB: his tone 20 dB (+-3) lower, Alice's unchanged:\n"
      << notes;

  // Out of range: refused, nothing changes.
  const HttpResponse loud =
      http_json(server.port(), "PATCH", room_path("/participants/" + bob), "{\"volume_db\": 40}");
  EXPECT_EQ(loud.status, 400) << loud.body;
  EXPECT_EQ(json_get(loud.body, "error.field"), "volume_db") << loud.body;
  EXPECT_DOUBLE_EQ(room_info(server, kRoom)->participant(bob)->volume_db, -20);
}

TEST_F(OperatorApi, VideoMuteShowsThePlaceholderInItsTile) {
  ServerUnderTest server("api-video-mute");
  ASSERT_TRUE(start(server, studio())) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  const auto room = room_info(server, kRoom);
  ASSERT_TRUE(room && room->named("Bob")) << server.log();
  const std::string bob = room->named("Bob")->id;

  const HttpResponse muted = http_json(server.port(), "PATCH", room_path("/participants/" + bob),
                                       "{\"video_muted\": true}");
  ASSERT_EQ(muted.status, 200) << muted.body;
  EXPECT_EQ(json_get(muted.body, "video_muted"), "true") << muted.body;
  RoomInfo after;
  ASSERT_TRUE(wait_for_room(
      server, kRoom,
      [&](const RoomInfo& r) {
        const auto tiles = r.tiles_of(bob);
        return tiles.size() == 1 && tiles[0].placeholder;
      },
      5, &after))
      << "Bob's tile must say placeholder: " << server.get(room_path()).body;
  std::string notes;
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const TileInfo tile = after.tiles_of(bob).front();
        const bool placeholder = tile_shows(s, tile, after.tiles, kPlaceholder, why);
        const bool alice = shows_participants(s, after, {{"Alice", kRed}}, why);
        why += " blue patches " + std::to_string(patches_of(s.frame, kBlue)) + ";" + tones(s);
        return placeholder && alice && patches_of(s.frame, kBlue) == 0 && s.tone(kBobHz) > kHeard;
      },
      &notes))
      << "Bob's tile must show the placeholder (#303030), not blue; his sound stays:\n"
      << notes;

  ASSERT_EQ(http_json(server.port(), "PATCH", room_path("/participants/" + bob),
                      "{\"video_muted\": false}")
                .status,
            200);
  notes.clear();
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const auto now = room_info(server, kRoom);
        return now && shows_participants(s, *now, {{"Alice", kRed}, {"Bob", kBlue}}, why);
      },
      &notes))
      << "Bob's picture must come back:\n"
      << notes;
}

TEST_F(OperatorApi, PinnedParticipantFillsTheSpeakerRegion) {
  ServerUnderTest server("api-pin");
  ASSERT_TRUE(start(server, studio("speaker"))) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  const auto room = room_info(server, kRoom);
  ASSERT_TRUE(room && room->named("Alice") && room->named("Bob")) << server.log();
  // The speaker layout's `show: speaker` region (config/layouts/speaker.yaml).
  const std::string focus = "focus";
  struct Pin {
    std::string name;
    Rgb colour;
  };
  // Each in turn, so neither can pass by being the active speaker already.
  for (const Pin& pin : {Pin{"Bob", kBlue}, Pin{"Alice", kRed}}) {
    SCOPED_TRACE("pinning " + pin.name);
    const std::string id = room->named(pin.name)->id;
    const HttpResponse pinned =
        http_json(server.port(), "PATCH", room_path("/participants/" + id), "{\"pinned\": true}");
    ASSERT_EQ(pinned.status, 200) << pinned.body;
    EXPECT_EQ(json_get(pinned.body, "pinned"), "true") << pinned.body;
    RoomInfo now;
    ASSERT_TRUE(wait_for_room(
        server, kRoom,
        [&](const RoomInfo& r) {
          for (const auto& t : r.tiles)
            if (t.region == focus) return t.participant == id;
          return false;
        },
        5, &now))
        << "the " << focus << " tile must be " << id << "'s: " << server.get(room_path()).body;
    int pinned_count = 0;
    for (const auto& p : now.participants) pinned_count += p.pinned;
    EXPECT_EQ(pinned_count, 1) << "one pinned participant per room";
    TileInfo focus_tile;
    for (const auto& t : now.tiles)
      if (t.region == focus) focus_tile = t;
    EXPECT_GT(focus_tile.width, now.width / 2) << "the focus region is the large one";
    std::string notes;
    EXPECT_TRUE(hls.wait_for(
        hls.mark(), kShowS,
        [&](const HlsSample& s, std::string& why) {
          return tile_shows(s, focus_tile, now.tiles, pin.colour, why);
        },
        &notes))
        << pin.name << "'s colour must fill the focus region:\n"
        << notes;
  }
}

TEST_F(OperatorApi, RenameChangesTheStatusAndTheLabel) {
  ServerUnderTest server("api-rename");
  ASSERT_TRUE(start(server, studio())) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  const auto room = room_info(server, kRoom);
  ASSERT_TRUE(room && room->named("Alice")) << server.log();
  const std::string alice = room->named("Alice")->id;
  const TileInfo tile = room->tiles_of(alice).at(0);
  // The label sits in the tile's bottom-left corner (grid: position bottom-left).
  const int label_x = tile.x, label_y = tile.y + tile.height - 48;
  const int label_w = tile.width, label_h = 48;
  auto changed_pixels = [&](const RgbFrame& a, const RgbFrame& b) {
    int count = 0;
    for (int y = label_y; y < label_y + label_h; ++y) {
      for (int x = label_x; x < label_x + label_w; ++x) {
        const Rgb p = a.at(x, y), q = b.at(x, y);
        count += std::max({std::abs(p.r - q.r), std::abs(p.g - q.g), std::abs(p.b - q.b)}) > 60;
      }
    }
    return count;
  };
  const auto first = hls.next(1, kShowS);
  ASSERT_TRUE(first) << server.log();
  const auto second = hls.next(first->segment + 1, kShowS);
  ASSERT_TRUE(second) << server.log();
  // Two frames with the same label: what the encoding alone changes.
  const int noise = changed_pixels(first->frame, second->frame);

  const std::string new_name = "Alexandra Konstantinou";
  const HttpResponse renamed =
      http_json(server.port(), "PATCH", room_path("/participants/" + alice),
                "{\"name\": \"" + new_name + "\"}");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(json_get(renamed.body, "name"), new_name) << renamed.body;
  const auto status = room_info(server, kRoom);
  ASSERT_TRUE(status && status->participant(alice));
  EXPECT_EQ(status->participant(alice)->name, new_name);
  EXPECT_EQ(status->participant(alice)->identity, "Alice") << "the identity stays";

  std::string notes;
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const int changed = changed_pixels(second->frame, s.frame);
        why =
            std::to_string(changed) + " label pixels changed (noise " + std::to_string(noise) + ")";
        return changed > std::max(150, 4 * noise);
      },
      &notes))
      << "the label area of Alice's tile must change with her name:\n"
      << notes;

  // A name that cannot be a label is refused.
  const HttpResponse empty =
      http_json(server.port(), "PATCH", room_path("/participants/" + alice), "{\"name\": \"\"}");
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(room_info(server, kRoom)->participant(alice)->name, new_name);
}

// ---------------------------------------------------------------------------
// Sources and kicks.

TEST_F(OperatorApi, AddedSourceAppearsAndRemovedOnesLeaveTheStatusAndThePicture) {
  ServerUnderTest server("api-sources");
  ASSERT_TRUE(start(server, studio())) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));

  const HttpResponse added =
      http_json(server.port(), "POST", room_path("/sources"),
                "{\"name\": \"Carol\", \"uri\": \"test://color?color=yellow&tone=820\"}");
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string carol = json_get(added.body, "id").value_or("");
  ASSERT_FALSE(carol.empty()) << added.body;
  EXPECT_EQ(json_get(added.body, "name"), "Carol");
  EXPECT_EQ(header(added, "location"), room_path("/participants/" + carol));
  RoomInfo room;
  ASSERT_TRUE(wait_for_room(
      server, kRoom, [&](const RoomInfo& r) { return r.tiles_of(carol).size() == 1; }, 10, &room))
      << server.get(room_path()).body;
  EXPECT_EQ(room.participants.size(), 3u);
  std::string notes;
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const auto now = room_info(server, kRoom);
        const bool picture =
            now &&
            shows_participants(s, *now, {{"Alice", kRed}, {"Bob", kBlue}, {"Carol", kYellow}}, why);
        why += tones(s);
        return picture && s.tone(kCarolHz) > kHeard;
      },
      &notes))
      << "Carol must appear in yellow in her tile and be heard:\n"
      << notes;

  // The source removed: gone from the status, the picture and the sound.
  const HttpResponse removed =
      http_exchange(server.port(), "DELETE", room_path("/sources/" + carol));
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_TRUE(wait_for_room(
      server, kRoom, [&](const RoomInfo& r) { return !r.participant(carol); }, 5))
      << server.get(room_path()).body;
  notes.clear();
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        why = "yellow patches " + std::to_string(patches_of(s.frame, kYellow)) + ";" + tones(s);
        return patches_of(s.frame, kYellow) == 0 && s.tone(kCarolHz) < kSilent;
      },
      &notes))
      << "Carol must leave the picture and the mix:\n"
      << notes;
  EXPECT_EQ(http_exchange(server.port(), "DELETE", room_path("/sources/" + carol)).status, 404);

  // Bob kicked: the same.
  const std::string bob = room.named("Bob")->id;
  const HttpResponse kicked =
      http_exchange(server.port(), "DELETE", room_path("/participants/" + bob + "?reason=enough"));
  EXPECT_EQ(kicked.status, 204) << kicked.body;
  EXPECT_TRUE(wait_for_room(
      server, kRoom, [&](const RoomInfo& r) { return !r.participant(bob); }, 5))
      << server.get(room_path()).body;
  notes.clear();
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const auto now = room_info(server, kRoom);
        const bool alice = now && shows_participants(s, *now, {{"Alice", kRed}}, why);
        why += " blue patches " + std::to_string(patches_of(s.frame, kBlue)) + ";" + tones(s);
        return alice && patches_of(s.frame, kBlue) == 0 && s.tone(kBobHz) < kSilent &&
               s.tone(kAliceHz) > kHeard;
      },
      &notes))
      << "Bob must leave the picture and the mix, Alice stay:\n"
      << notes;
  EXPECT_EQ(http_exchange(server.port(), "DELETE", room_path("/participants/" + bob)).status, 404);
}

// Signals a webrtcbin peer over the WebSocket: candidates both ways.
void trickle(WsClient& ws, WebRtcPeer& peer) {
  for (const auto& [mline, candidate] : peer.take_local_candidates())
    ws.send(ws_json({{"type", "candidate"}, {"candidate", candidate}}, {{"mline", mline}}));
  while (auto c = ws.take("candidate", 0))
    if (!c->get("candidate").empty())
      peer.add_remote_candidate(std::stoi(c->get("mline")), c->get("candidate"));
}

TEST_F(OperatorApi, KickedWebSocketParticipantIsToldWhyAndLeavesThePicture) {
  ServerUnderTest server("api-kick-ws");
  ASSERT_TRUE(start(server, std::string("  - name: studio\n    layout: grid\n    outputs:\n") +
                                "      hls: " + kLiveHls +
                                "\n      recording: {enabled: false}\n    sources:\n      - " +
                                kAlice + "\n"))
      << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  PublisherOptions options;
  options.argb = 0xff0000ff;  // blue
  options.tone_hz = 620;
  options.decode = false;  // the mix is checked in HLS
  WebRtcPeer peer(options);
  WsClient ws(server.port());
  ws.send(ws_json(
      {{"type", "join"}, {"room", kRoom}, {"name", "Webby"}, {"sdp", peer.create_offer(false)}}));
  const auto answer = ws.take("answer", 15);
  ASSERT_TRUE(answer) << server.log();
  peer.apply_answer(answer->get("sdp"));
  const std::string id = answer->get("id");
  ASSERT_TRUE(wait_until(
      [&] {
        trickle(ws, peer);
        const auto room = room_info(server, kRoom);
        return room && room->participant(id) && room->participant(id)->has_video &&
               room->tiles_of(id).size() == 1 && !room->tiles_of(id)[0].placeholder;
      },
      25))
      << "the WebSocket publisher's video never arrived: " << server.get(room_path()).body
      << server.log();
  std::string notes;
  ASSERT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const auto now = room_info(server, kRoom);
        return now && shows_participants(s, *now, {{"Webby", kBlue}, {"Alice", kRed}}, why);
      },
      &notes))
      << "the WebSocket publisher in blue, before the kick:\n"
      << notes;

  const HttpResponse kicked =
      http_exchange(server.port(), "DELETE",
                    room_path("/participants/" + id + "?reason=kicked%20by%20the%20host"));
  EXPECT_EQ(kicked.status, 204) << kicked.body;
  const auto left = ws.take("left", 10);
  ASSERT_TRUE(left) << "no 'left' on the kicked participant's socket\n" << server.log();
  EXPECT_EQ(left->get("reason"), "kicked by the host") << left->raw;
  EXPECT_TRUE(ws.wait_closed(5)) << "the server closes the kicked participant's socket";
  EXPECT_TRUE(wait_for_room(
      server, kRoom, [&](const RoomInfo& r) { return !r.participant(id); }, 5))
      << server.get(room_path()).body;
  notes.clear();
  EXPECT_TRUE(hls.wait_for(
      hls.mark(), kShowS,
      [&](const HlsSample& s, std::string& why) {
        const auto now = room_info(server, kRoom);
        const bool alice = now && shows_participants(s, *now, {{"Alice", kRed}}, why);
        why += " blue patches " + std::to_string(patches_of(s.frame, kBlue)) + ";";
        return alice && patches_of(s.frame, kBlue) == 0;
      },
      &notes))
      << "the kicked participant must leave the picture:\n"
      << notes;
}

TEST_F(OperatorApi, MaxParticipantsRefusesTheSecondWhipPublisher) {
  ServerUnderTest server("api-max");
  ASSERT_TRUE(start(server, "[]", "")) << server.log();
  const HttpResponse created = http_json(
      server.port(), "POST", "/api/v1/rooms",
      "{\"name\": \"duo\", \"max_participants\": 1, \"outputs\": {\"hls\": {\"enabled\": false},"
      " \"recording\": {\"enabled\": false}}}");
  ASSERT_EQ(created.status, 201) << created.body;
  PublisherOptions options;
  options.decode = false;
  WebRtcPeer first(options);
  const HttpResponse admitted = first.publish(server.port(), "/whip/duo?name=First");
  ASSERT_EQ(admitted.status, 201) << admitted.body << server.log();
  options.argb = 0xff00ff00;
  WebRtcPeer second(options);
  const HttpResponse refused = second.publish(server.port(), "/whip/duo?name=Second");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("full"), std::string::npos) << refused.body;
  const auto room = room_info(server, "duo");
  ASSERT_TRUE(room);
  EXPECT_EQ(room->participants.size(), 1u) << server.get("/api/v1/rooms/duo").body;

  // The seat is free again once the first leaves.
  const std::string location = header(admitted, "location");
  ASSERT_FALSE(location.empty());
  EXPECT_EQ(http_exchange(server.port(), "DELETE", location).status, 200);
  ASSERT_TRUE(wait_for_room(
      server, "duo", [](const RoomInfo& r) { return r.participants.empty(); }, 10))
      << server.get("/api/v1/rooms/duo").body;
  WebRtcPeer third(options);
  EXPECT_EQ(third.publish(server.port(), "/whip/duo?name=Third").status, 201) << server.log();
}

// A room without max_participants of its own takes limits.max_participants_per_room.
TEST_F(OperatorApi, DefaultMaxParticipantsPerRoomRefusesTheSecondPublisher) {
  ServerUnderTest server("api-max-default");
  ASSERT_TRUE(server.start(config("[]") + "limits:\n  max_participants_per_room: 1\n"))
      << server.log();
  const HttpResponse created =
      http_json(server.port(), "POST", "/api/v1/rooms",
                "{\"name\": \"solo\", \"outputs\": {\"hls\": {\"enabled\": false},"
                " \"recording\": {\"enabled\": false}}}");
  ASSERT_EQ(created.status, 201) << created.body;
  PublisherOptions options;
  options.decode = false;
  WebRtcPeer first(options);
  ASSERT_EQ(first.publish(server.port(), "/whip/solo?name=First").status, 201) << server.log();
  WebRtcPeer second(options);
  const HttpResponse refused = second.publish(server.port(), "/whip/solo?name=Second");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("full (1 participants)"), std::string::npos) << refused.body;
  EXPECT_NE(
      server.get("/metrics").body.find("mixcast_limit_refusals_total{reason=\"participants\"} 1"),
      std::string::npos);
}

// And limits.max_viewers_per_room for its viewers; a room's own limit wins.
TEST_F(OperatorApi, DefaultMaxViewersPerRoomRefusesTheSecondWhepViewer) {
  ServerUnderTest server("api-max-viewers");
  ASSERT_TRUE(server.start(config("[]") + "limits:\n  max_viewers_per_room: 1\n")) << server.log();
  const std::string outputs =
      ", \"outputs\": {\"hls\": {\"enabled\": false}, \"recording\": {\"enabled\": false}}}";
  ASSERT_EQ(
      http_json(server.port(), "POST", "/api/v1/rooms", "{\"name\": \"one\"" + outputs).status,
      201);
  ASSERT_EQ(http_json(server.port(), "POST", "/api/v1/rooms",
                      "{\"name\": \"two\", \"max_viewers\": 2" + outputs)
                .status,
            201);
  auto first = WebRtcPeer::viewer();
  ASSERT_EQ(first->publish(server.port(), "/whep/one").status, 201) << server.log();
  auto second = WebRtcPeer::viewer();
  const HttpResponse refused = second->publish(server.port(), "/whep/one");
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("most viewers (1)"), std::string::npos) << refused.body;
  // Room "two" says 2.
  auto third = WebRtcPeer::viewer();
  EXPECT_EQ(third->publish(server.port(), "/whep/two").status, 201);
  auto fourth = WebRtcPeer::viewer();
  EXPECT_EQ(fourth->publish(server.port(), "/whep/two").status, 201);
  EXPECT_NE(server.get("/metrics").body.find("mixcast_limit_refusals_total{reason=\"viewers\"} 1"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// Layouts.

TEST_F(OperatorApi, LayoutByNameAndInlineYamlMoveTheTilesInThePicture) {
  ServerUnderTest server("api-layout");
  ASSERT_TRUE(start(server, studio())) << server.log();
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  const std::map<std::string, Rgb> colours{{"Alice", kRed}, {"Bob", kBlue}};

  // Switches the layout with `body`, then checks the status and that each
  // participant's colour shows where its new tiles are and where its old
  // tiles were not (so the picture really changed).
  auto switch_to = [&](const std::string& label, const std::string& content_type,
                       const std::string& body, const std::string& expected_layout) {
    SCOPED_TRACE(label);
    const auto before = room_info(server, kRoom);
    ASSERT_TRUE(before);
    const auto old_picture = hls.next(hls.newest(), kShowS);
    ASSERT_TRUE(old_picture);
    const HttpResponse put = http_exchange(server.port(), "PUT", room_path("/layout"),
                                           {{"Content-Type", content_type}}, body);
    ASSERT_EQ(put.status, 200) << put.body;
    const auto after = parse_room(put.body);
    ASSERT_TRUE(after) << put.body;
    EXPECT_EQ(after->layout, expected_layout);
    EXPECT_EQ(room_info(server, kRoom)->layout, expected_layout);
    std::vector<std::string> geometry_before, geometry_after;
    for (const auto& t : before->tiles)
      geometry_before.push_back(t.participant + ":" + std::to_string(t.x) + "," +
                                std::to_string(t.y) + "," + std::to_string(t.width) + "x" +
                                std::to_string(t.height));
    for (const auto& t : after->tiles)
      geometry_after.push_back(t.participant + ":" + std::to_string(t.x) + "," +
                               std::to_string(t.y) + "," + std::to_string(t.width) + "x" +
                               std::to_string(t.height));
    EXPECT_NE(geometry_before, geometry_after) << "the tiles must move";
    // A point of each new tile that the participant did not cover before.
    struct Probe {
      int x, y;
      Rgb colour;
      std::string who;
    };
    std::vector<Probe> probes;
    for (const auto& tile : after->tiles) {
      const ParticipantInfo* p = after->participant(tile.participant);
      ASSERT_TRUE(p);
      int x = 0, y = 0;
      if (!visible_point(tile, after->tiles, x, y)) continue;
      bool was_there = false;
      for (const auto& old : before->tiles_of(tile.participant))
        was_there = was_there || old.contains(x, y);
      if (!was_there) probes.push_back({x, y, colours.at(p->name), p->name});
    }
    ASSERT_FALSE(probes.empty()) << "no tile moved to new ground";
    for (const auto& probe : probes)
      EXPECT_FALSE(near_colour(old_picture->patch(probe.x, probe.y), probe.colour))
          << probe.who << "'s colour was already at (" << probe.x << "," << probe.y << ")";
    std::string notes;
    EXPECT_TRUE(hls.wait_for(
        hls.mark(), kShowS,
        [&](const HlsSample& s, std::string& why) {
          bool ok = shows_participants(s, *after, colours, why);
          for (const auto& probe : probes) {
            const Rgb seen = s.patch(probe.x, probe.y);
            why += " new ground of " + probe.who + " " + to_string(seen) + ";";
            ok = ok && near_colour(seen, probe.colour);
          }
          return ok;
        },
        &notes))
        << "the picture must follow the new layout:\n"
        << notes;
  };

  switch_to("by name", "application/json", "{\"name\": \"pip\"}", "pip");
  // Away from pip's inset, so that whoever was in it moves to new ground.
  const std::string corners =
      "name: api-corners\n"
      "regions:\n"
      "  - id: bottom-left\n"
      "    x: 0.05\n"
      "    y: 0.55\n"
      "    width: 0.4\n"
      "    height: 0.4\n"
      "    show: {slot: 0}\n"
      "  - id: top-right\n"
      "    x: 0.55\n"
      "    y: 0.05\n"
      "    width: 0.4\n"
      "    height: 0.4\n"
      "    show: {slot: 1}\n";
  switch_to("inline", "application/yaml", corners, "api-corners");
  const auto corners_room = room_info(server, kRoom);
  ASSERT_TRUE(corners_room);
  for (const auto& tile : corners_room->tiles) {
    EXPECT_EQ(tile.width, 256) << tile.region;
    EXPECT_EQ(tile.height, 144) << tile.region;
  }
  // Between the two regions nobody is shown.
  const auto middle = hls.next(hls.newest(), kShowS);
  ASSERT_TRUE(middle);
  EXPECT_FALSE(near_colour(middle->patch(320, 180), kRed) ||
               near_colour(middle->patch(320, 180), kBlue))
      << to_string(middle->patch(320, 180));

  // A broken inline layout: 422 naming line, column and field; the room
  // keeps the layout it had.
  const std::string broken =
      "name: broken\n"
      "regions:\n"
      "  - id: a\n"
      "    fit: sideways\n";
  const HttpResponse refused = http_exchange(server.port(), "PUT", room_path("/layout"),
                                             {{"Content-Type", "application/yaml"}}, broken);
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(json_get(refused.body, "error.issues.0.line"), "4") << refused.body;
  EXPECT_EQ(json_get(refused.body, "error.issues.0.column"), "10") << refused.body;
  EXPECT_EQ(json_get(refused.body, "error.issues.0.field"), "regions[0].fit") << refused.body;
  EXPECT_TRUE(json_get(refused.body, "error.issues.0.message")) << refused.body;
  EXPECT_EQ(room_info(server, kRoom)->layout, "api-corners");
  const HttpResponse unknown =
      http_json(server.port(), "PUT", room_path("/layout"), "{\"name\": \"no-such-layout\"}");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(json_get(unknown.body, "error.field"), "name") << unknown.body;
  EXPECT_EQ(room_info(server, kRoom)->layout, "api-corners");
  const auto still = hls.next(hls.mark(), kShowS);
  ASSERT_TRUE(still);
  std::string why;
  EXPECT_TRUE(shows_participants(*still, *room_info(server, kRoom), colours, why))
      << "the previous layout keeps running:" << why;
}

TEST_F(OperatorApi, LayoutsAreListedServedAndValidated) {
  ServerUnderTest server("api-layouts");
  ASSERT_TRUE(start(server, "[]", "")) << server.log();
  const std::string dir = source_root() + "/config/layouts";
  const HttpResponse list = server.get("/api/v1/layouts");
  ASSERT_EQ(list.status, 200) << list.body;
  std::vector<std::string> listed;
  for (int i = 0; i < json_array_length(list.body, "layouts"); ++i) {
    const std::string at = "layouts." + std::to_string(i);
    const std::string name = json_get(list.body, at + ".name").value_or("");
    listed.push_back(name);
    EXPECT_EQ(
        std::filesystem::path(json_get(list.body, at + ".file").value_or("")).filename().string(),
        name + ".yaml");
  }
  std::vector<std::string> files;
  for (const auto& f : files_in(dir, ".yaml"))
    files.push_back(std::filesystem::path(f).stem().string());
  EXPECT_EQ(listed, files) << list.body;

  const HttpResponse grid = server.get("/api/v1/layouts/grid");
  ASSERT_EQ(grid.status, 200);
  EXPECT_EQ(header(grid, "content-type").rfind("application/yaml", 0), 0u)
      << header(grid, "content-type");
  EXPECT_EQ(grid.body, read_file(dir + "/grid.yaml"));
  EXPECT_EQ(server.get("/api/v1/layouts/no-such-layout").status, 404);
  const int traversal = server.get("/api/v1/layouts/..%2Fmixcast").status;
  EXPECT_TRUE(traversal == 404 || traversal == 400) << traversal;

  auto validate = [&](const std::string& yaml) {
    return http_exchange(server.port(), "POST", "/api/v1/layouts/validate",
                         {{"Content-Type", "application/yaml"}}, yaml);
  };
  const HttpResponse good = validate(read_file(dir + "/speaker.yaml"));
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(json_get(good.body, "valid"), "true") << good.body;
  const HttpResponse bad = validate(
      "name: bad\n"
      "regions:\n"
      "  - id: a\n"
      "    show: all\n"
      "    width: -3\n"
      "    arrange: spiral\n");
  EXPECT_EQ(bad.status, 422) << bad.body;
  ASSERT_GE(json_array_length(bad.body, "error.issues"), 1) << bad.body;
  bool width = false, arrange = false;
  for (int i = 0; i < json_array_length(bad.body, "error.issues"); ++i) {
    const std::string at = "error.issues." + std::to_string(i);
    const std::string field = json_get(bad.body, at + ".field").value_or("");
    const std::string line = json_get(bad.body, at + ".line").value_or("");
    EXPECT_NE(json_get(bad.body, at + ".column").value_or("0"), "0") << bad.body;
    width = width || (field == "regions[0].width" && line == "5");
    arrange = arrange || (field == "regions[0].arrange" && line == "6");
  }
  EXPECT_TRUE(width && arrange) << "each bad field with its line:\n" << bad.body;
  EXPECT_EQ(validate("name: [unclosed\n").status, 422);
  // yaml-cpp 0.7 alone would build nodes until the server ran out of memory
  // on these (found by tests/fuzz/fuzz_config): refused, and the server goes on.
  for (const char* runaway : {",", "\"a\",b"}) {
    const HttpResponse refused = validate(runaway);
    EXPECT_EQ(refused.status, 422) << runaway << ": " << refused.body;
  }
  EXPECT_EQ(server.get("/healthz").status, 200);
  const HttpResponse json = http_json(server.port(), "POST", "/api/v1/layouts/validate", "{}");
  EXPECT_EQ(json.status, 415) << json.body;
}

// ---------------------------------------------------------------------------
// Recordings.

TEST_F(OperatorApi, DeletingARoomAnswersOnlyOnceItsRecordingAndPlaylistAreFinished) {
  ServerUnderTest server("api-delete-room");
  ASSERT_TRUE(start(server, "[]", "")) << server.log();
  const HttpResponse created = http_json(
      server.port(), "POST", "/api/v1/rooms",
      std::string("{\"name\": \"take\", \"outputs\": {\"hls\": {\"enabled\": true, \"segment_s\": "
                  "1}, \"recording\": {\"enabled\": true, \"format\": \"mp4\"}},") +
          " \"sources\": [{\"name\": \"Alice\", \"uri\": \"test://color?color=red&tone=440\"}]}");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until(
      [&] {
        const auto rec = output_info(server, "take", "recording");
        return rec && rec->state == "live" && rec->bytes > 50000;
      },
      20))
      << describe(output_info(server, "take", "recording"));
  sleep_s(std::max(0.0, 4 - seconds_since(started)));
  const std::string dir = server.dir().file("recordings/take");
  ASSERT_EQ(files_in(dir, ".mp4").size(), 1u);
  const std::string file = files_in(dir, ".mp4").front();

  const HttpResponse deleted =
      http_exchange(server.port(), "DELETE", "/api/v1/rooms/take", {}, "", 30);
  ASSERT_EQ(deleted.status, 204) << deleted.body << server.log();
  // At once, without waiting: the file is complete and nothing writes it any more.
  const auto size = std::filesystem::file_size(file);
  std::string log;
  EXPECT_TRUE(decodes_cleanly(file, &log)) << file << ": " << log;
  EXPECT_GT(probe_duration(file), 2.0) << file;
  const std::string playlist = read_file(server.dir().file("hls/take/index.m3u8"));
  EXPECT_TRUE(parse_playlist(playlist).ended) << "the playlist must be ended:\n" << playlist;
  EXPECT_EQ(server.get("/api/v1/rooms/take").status, 404);
  EXPECT_EQ(json_array_length(server.get("/api/v1/rooms").body, "rooms"), 0);
  sleep_s(1.5);
  EXPECT_EQ(std::filesystem::file_size(file), size) << "the recording still grows after the 204";

  // The recordings outlive the room: listed as finished, and the name is free again.
  const HttpResponse listing = server.get("/api/v1/rooms/take/recordings");
  EXPECT_EQ(listing.status, 200) << listing.body;
  EXPECT_EQ(json_get(listing.body, "recordings.0.file"),
            std::filesystem::path(file).filename().string())
      << listing.body;
  EXPECT_EQ(json_get(listing.body, "recordings.0.finished"), "true") << listing.body;
  EXPECT_EQ(
      server.get("/recordings/take/" + std::filesystem::path(file).filename().string()).status,
      200);
}

TEST_F(OperatorApi, RecordingsAreListedServedInRangesAndDeletedUnlessBeingWritten) {
  ServerUnderTest server("api-recordings");
  // A new file every 2 s: finished files while the room records on.
  ASSERT_TRUE(start(server, studio("grid", "{enabled: true, format: mp4, split_s: 2}")))
      << server.log();
  const std::string dir = server.dir().file("recordings/studio");
  ASSERT_TRUE(wait_until([&] { return files_in(dir, ".mp4").size() >= 3; }, 25)) << server.log();

  const HttpResponse listing = server.get(room_path("/recordings"));
  ASSERT_EQ(listing.status, 200) << listing.body;
  const int count = json_array_length(listing.body, "recordings");
  ASSERT_GE(count, 3) << listing.body;
  std::string finished_file, writing_file;
  for (int i = 0; i < count; ++i) {
    const std::string at = "recordings." + std::to_string(i);
    const std::string file = json_get(listing.body, at + ".file").value_or("");
    const bool finished = json_get(listing.body, at + ".finished") == "true";
    const bool recording = json_get(listing.body, at + ".recording") == "true";
    EXPECT_EQ(json_get(listing.body, at + ".url"), "/recordings/studio/" + file);
    // Around a split two files are open: the new one, and the previous one
    // still being finalized. Every other file is finished, with its size.
    EXPECT_NE(finished, recording) << file << ":\n" << listing.body;
    if (finished) {
      EXPECT_GT(std::stoll(json_get(listing.body, at + ".size_bytes").value_or("0")), 0)
          << listing.body;
      // Read from the file (null only for a file that cannot be read yet).
      EXPECT_GT(std::stod(json_get(listing.body, at + ".duration_s").value_or("0")), 1.0)
          << listing.body;
      EXPECT_EQ(json_get(listing.body, at + ".size_bytes"),
                std::to_string(std::filesystem::file_size(dir + "/" + file)));
      if (finished_file.empty()) finished_file = file;
    } else {
      EXPECT_GE(i + 2, count) << file << " is open but not one of the two newest:\n"
                              << listing.body;
    }
    if (i + 1 == count) {
      EXPECT_TRUE(recording) << file << " is the one being written:\n" << listing.body;
      writing_file = file;
    }
  }
  ASSERT_FALSE(finished_file.empty());

  // A range of a finished recording.
  const std::string path = "/recordings/studio/" + finished_file;
  const HttpResponse range = http_exchange(server.port(), "GET", path, {{"Range", "bytes=0-99"}});
  EXPECT_EQ(range.status, 206) << range.body.substr(0, 200);
  EXPECT_EQ(range.body.size(), 100u);
  EXPECT_EQ(range.body, read_file(dir + "/" + finished_file).substr(0, 100));
  EXPECT_EQ(header(range, "content-range"),
            "bytes 0-99/" + std::to_string(std::filesystem::file_size(dir + "/" + finished_file)));
  EXPECT_EQ(server.get(path).body, read_file(dir + "/" + finished_file));

  // Deleting a finished one: 204 and gone.
  const HttpResponse removed =
      http_exchange(server.port(), "DELETE", room_path("/recordings/" + finished_file));
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_FALSE(std::filesystem::exists(dir + "/" + finished_file));
  EXPECT_EQ(server.get(room_path("/recordings")).body.find(finished_file), std::string::npos);
  EXPECT_EQ(server.get(path).status, 404);

  // The file being written: right after a split, so that it surely is the
  // current one when the DELETE arrives.
  const size_t files_now = files_in(dir, ".mp4").size();
  ASSERT_TRUE(wait_until([&] { return files_in(dir, ".mp4").size() > files_now; }, 10));
  const std::string current =
      std::filesystem::path(files_in(dir, ".mp4").back()).filename().string();
  const HttpResponse busy =
      http_exchange(server.port(), "DELETE", room_path("/recordings/" + current));
  EXPECT_EQ(busy.status, 409) << current << ": " << busy.body;
  EXPECT_TRUE(std::filesystem::exists(dir + "/" + current))
      << "the recording being written was deleted";

  EXPECT_EQ(http_exchange(server.port(), "DELETE", room_path("/recordings/nope.mp4")).status, 404);
  const int traversal =
      http_exchange(server.port(), "DELETE", room_path("/recordings/..%2Fsecret")).status;
  EXPECT_TRUE(traversal == 404 || traversal == 400) << traversal;
}

// ---------------------------------------------------------------------------
// Outputs.

TEST_F(OperatorApi, AddedRtmpOutputReachesTheDestinationAndEndsOnDelete) {
  ASSERT_TRUE(RtmpServer::available()) << "nginx and libnginx-mod-rtmp are needed";
  ServerUnderTest server("api-rtmp");
  RtmpServer nginx(server.dir().file("nginx"), free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  ASSERT_TRUE(start(server, studio())) << server.log();
  const HttpResponse added =
      http_json(server.port(), "POST", room_path("/outputs"),
                "{\"kind\": \"rtmp\", \"name\": \"cdn\", \"url\": \"" + nginx.url("show") +
                    "\", \"backoff_initial_s\": 0.5, \"backoff_max_s\": 1}");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(json_get(added.body, "name"), "cdn");
  EXPECT_EQ(json_get(added.body, "kind"), "rtmp");
  EXPECT_EQ(json_get(added.body, "target").value_or("show").find("show"), std::string::npos)
      << "the stream key is a secret";
  EXPECT_EQ(header(added, "location"), room_path("/outputs/cdn"));
  EXPECT_TRUE(wait_until(
      [&] {
        const auto o = output_info(server, kRoom, "cdn");
        return o && o->state == "live" && o->bytes > 0;
      },
      20))
      << describe(output_info(server, kRoom, "cdn"));
  sleep_s(3);
  const auto streams = probe_streams(nginx.url("show"));
  ASSERT_NE(find_stream(streams, "video"), nullptr) << nginx.log();
  ASSERT_NE(find_stream(streams, "audio"), nullptr) << nginx.log();
  EXPECT_EQ(find_stream(streams, "video")->codec_name, "h264");
  EXPECT_EQ(find_stream(streams, "audio")->codec_name, "aac");

  const HttpResponse removed = http_exchange(server.port(), "DELETE", room_path("/outputs/cdn"));
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_FALSE(output_info(server, kRoom, "cdn")) << "the output is gone from the room";
  EXPECT_EQ(server.get(room_path("/outputs/cdn")).status, 404);
  // The stream ended: nginx's recording of it stops growing, and it plays.
  const auto flvs = nginx.recorded_files();
  ASSERT_FALSE(flvs.empty()) << nginx.log();
  const auto size = std::filesystem::file_size(flvs.back());
  sleep_s(2);
  EXPECT_EQ(std::filesystem::file_size(flvs.back()), size) << "media still arrives after DELETE";
  EXPECT_GT(probe_duration(flvs.back()), 2.0) << flvs.back();
  // The room itself goes on.
  HlsViewer hls(server, kRoom, server.dir().file("view"));
  EXPECT_TRUE(hls.next(hls.mark(), kShowS)) << server.log();
}

TEST_F(OperatorApi, HlsStopEndsThePlaylistAndStartResumesIt) {
  ServerUnderTest server("api-hls-stop");
  ASSERT_TRUE(start(server, studio())) << server.log();
  const HttpResponse stopped = http_exchange(server.port(), "POST", room_path("/hls/stop"));
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_TRUE(parse_room(stopped.body)) << stopped.body;
  // The playlist is ended by the HLS branch's own EOS: at once or very soon.
  const std::string playlist_file = server.dir().file("hls/studio/index.m3u8");
  EXPECT_TRUE(wait_until([&] { return parse_playlist(read_file(playlist_file)).ended; }, 5))
      << read_file(playlist_file);
  const Playlist ended = parse_playlist(read_file(playlist_file));
  sleep_s(3);
  EXPECT_EQ(parse_playlist(read_file(playlist_file)).uris, ended.uris) << "no segment after stop";
  const auto hls_output = output_info(server, kRoom, "hls");
  EXPECT_TRUE(!hls_output || hls_output->state == "stopped") << describe(hls_output);

  const HttpResponse restarted = http_exchange(server.port(), "POST", room_path("/hls/start"));
  ASSERT_EQ(restarted.status, 200) << restarted.body;
  EXPECT_TRUE(wait_until(
      [&] {
        const auto o = output_info(server, kRoom, "hls");
        const HttpResponse r = server.get("/hls/studio/index.m3u8");
        return o && o->state == "live" && r.status == 200 && !parse_playlist(r.body).ended &&
               !parse_playlist(r.body).uris.empty();
      },
      20))
      << describe(output_info(server, kRoom, "hls")) << "\n"
      << server.get("/hls/studio/index.m3u8").body;
}

TEST_F(OperatorApi, RecordingSplitMakesTwoFilesThatBothDecode) {
  ServerUnderTest server("api-split");
  ASSERT_TRUE(start(server, studio("grid", "{enabled: true, format: mp4}"))) << server.log();
  const std::string dir = server.dir().file("recordings/studio");
  sleep_s(3);
  const HttpResponse split = http_exchange(server.port(), "POST", room_path("/recording/split"));
  ASSERT_EQ(split.status, 200) << split.body;
  ASSERT_TRUE(wait_until([&] { return files_in(dir, ".mp4").size() == 2; }, 10))
      << files_in(dir, ".mp4").size() << " files\n"
      << server.log();
  // The first file is finalized by the handover (soon), the second is being written.
  auto finished = [&](int i) {
    return json_get(server.get(room_path("/recordings")).body,
                    "recordings." + std::to_string(i) + ".finished");
  };
  EXPECT_TRUE(wait_until([&] { return finished(0) == "true"; }, 10))
      << server.get(room_path("/recordings")).body;
  EXPECT_EQ(finished(1), "false") << server.get(room_path("/recordings")).body;
  sleep_s(3);
  const HttpResponse stop = http_exchange(server.port(), "POST", room_path("/recording/stop"));
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_TRUE(wait_until([&] { return finished(1) == "true"; }, 10))
      << server.get(room_path("/recordings")).body;
  const auto files = files_in(dir, ".mp4");
  ASSERT_EQ(files.size(), 2u);
  for (const auto& file : files) {
    std::string log;
    EXPECT_TRUE(decodes_cleanly(file, &log)) << file << ": " << log;
    EXPECT_GT(probe_duration(file), 1.5) << file;
  }
}

}  // namespace
}  // namespace mixcast::testing
