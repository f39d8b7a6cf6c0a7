// WHIP ingest end to end: the real server and a webrtcbin publisher in one
// private network namespace (tests/tools/netns-run runs this executable).
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "core/audio_math.h"
#include "core/layout.h"
#include "integration_support.h"
#include "live_room_config.h"
#include "test_support.h"
#include "webrtc_peer.h"

namespace mt = mixcast::testing;

namespace {

struct Rgb {
  int r = 0, g = 0, b = 0;
};

// Average colour of a 40x40 patch centred at (x, y) in the last decodable
// frame of `file` (which may still be growing: fragmented MP4).
Rgb patch_colour(const std::string& file, int x, int y) {
  const std::string all =
      mt::run_command("ffmpeg -v error -i " + file + " -vf crop=40:40:" + std::to_string(x - 20) +
                      ":" + std::to_string(y - 20) + " -f rawvideo -pix_fmt rgb24 - 2>/dev/null");
  Rgb out;
  const size_t frame_bytes = 40 * 40 * 3;
  if (all.size() < frame_bytes) return out;
  const std::string raw = all.substr((all.size() / frame_bytes - 1) * frame_bytes, frame_bytes);
  const size_t n = raw.size() / 3;
  long r = 0, g = 0, b = 0;
  for (size_t i = 0; i < n; ++i) {
    r += static_cast<unsigned char>(raw[i * 3]);
    g += static_cast<unsigned char>(raw[i * 3 + 1]);
    b += static_cast<unsigned char>(raw[i * 3 + 2]);
  }
  return Rgb{int(r / long(n)), int(g / long(n)), int(b / long(n))};
}

std::string recording(const mt::ServerUnderTest& server) {
  for (const auto& e : std::filesystem::directory_iterator(server.dir().file("recordings/live")))
    return e.path().string();
  return "";
}

class Whip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

}  // namespace

TEST_F(Whip, PublisherAppearsInItsTileAndLeavesOnDelete) {
  mt::ServerUnderTest server("whip");
  ASSERT_TRUE(server.start(mt::live_room_config())) << server.log();
  mt::WebRtcPeer publisher(0xff0000ff, 660);  // blue
  const auto response = publisher.publish(server.port(), "/whip/live?name=Blue");
  ASSERT_EQ(response.status, 201) << response.body << server.log();
  ASSERT_TRUE(response.headers.count("location"));
  const std::string location = response.headers.at("location");
  EXPECT_EQ(location.rfind("/whip/live/", 0), 0u) << location;
  EXPECT_EQ(response.headers.at("content-type"), "application/sdp");
  EXPECT_NE(response.body.find("a=candidate"), std::string::npos) << "non-trickle answer";
  EXPECT_NE(response.body.find("a=fingerprint"), std::string::npos);

  ASSERT_TRUE(mt::wait_until([&] { return publisher.connected(); }, 10)) << server.log();
  ASSERT_TRUE(mt::wait_until(
      [&] {
        const auto room = server.get("/api/v1/rooms/live").body;
        return room.find("\"Blue\"") != std::string::npos &&
               room.find("\"has_video\" : true", room.find("\"Blue\"")) != std::string::npos;
      },
      10))
      << server.get("/api/v1/rooms/live").body << server.log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // The mix shows it: side-by-side, Red in seat 0 on the left, the publisher
  // in seat 1 on the right (checked on the recording, complete fragments).
  const std::string file = recording(server);
  ASSERT_FALSE(file.empty());
  const Rgb right = patch_colour(file, 480, 180);
  EXPECT_GT(right.b, 180) << "the publisher's blue is in its tile: " << right.r << "," << right.g
                          << "," << right.b;
  EXPECT_LT(right.r, 80);
  const Rgb left = patch_colour(file, 160, 180);
  EXPECT_GT(left.r, 180) << "Red stays on the left";
  EXPECT_LT(left.b, 80);

  // It offered no H.264: the mix comes back in VP8, from one shared VP8
  // encode that exists only while such a peer is there.
  EXPECT_EQ(response.body.find("a=recvonly"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("VP8/90000"), std::string::npos) << response.body;
  ASSERT_TRUE(mt::wait_until([&] { return publisher.frames_received() > 30; }, 10)) << server.log();
  int r = 0, g = 0, b = 0;
  ASSERT_TRUE(publisher.colour_at(480, 180, r, g, b));
  EXPECT_TRUE(b > 180 && r < 80) << "own tile in the returned VP8 mix: " << r << "," << g << ","
                                 << b;
  ASSERT_TRUE(publisher.colour_at(160, 180, r, g, b));
  EXPECT_TRUE(r > 180 && b < 80) << "Red's tile in the returned VP8 mix: " << r << "," << g << ","
                                 << b;
  EXPECT_NE(server.log().find("vp8: shared encode started"), std::string::npos);

  // DELETE ends the session; a second DELETE finds nothing.
  EXPECT_EQ(mt::http_request("DELETE", server.port(), location).status, 200);
  EXPECT_EQ(mt::http_request("DELETE", server.port(), location).status, 404);
  EXPECT_TRUE(mt::wait_until(
      [&] { return server.log().find("vp8: shared encode stopped") != std::string::npos; }, 5))
      << "the VP8 encode goes with its last receiver";
  EXPECT_TRUE(mt::wait_until(
      [&] { return server.get("/api/v1/rooms/live").body.find("\"Blue\"") == std::string::npos; },
      5));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(server.process()->stop(SIGTERM, 15), 0) << server.log();

  // Alone again, Red fills the canvas: no trace of the publisher.
  const Rgb after = patch_colour(file, 480, 180);
  EXPECT_LT(after.b, 80);
}

TEST_F(Whip, BadRequestsGetClearErrorsAndTheServerGoesOn) {
  mt::ServerUnderTest server("whip-errors");
  const std::string config = mt::live_room_config(
      {.webrtc = "auto_create_rooms: false, stun_servers: [\"stun://10.77.0.1:3478\"], "
                 "turn_servers: [\"turn://ann:s3cret@10.77.0.1:3478\"]"});
  ASSERT_TRUE(server.start(config)) << server.log();
  const int port = server.port();
  const std::string offer =
      mt::read_file(mt::source_root() + "/tests/unit/data/sdp/chrome-sendrecv-av.sdp");
  ASSERT_FALSE(offer.empty());
  struct Case {
    const char* what;
    std::string method, path, body, type;
    int status;
  };
  const Case cases[] = {
      {"wrong content type", "POST", "/whip/live", offer, "text/plain", 415},
      {"not SDP", "POST", "/whip/live", "hello", "application/sdp", 400},
      {"SDP without media", "POST", "/whip/live",
       "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", "application/sdp", 400},
      {"unknown room (auto-create off)", "POST", "/whip/nope", offer, "application/sdp", 404},
      {"unknown WHEP room", "POST", "/whep/nope", offer, "application/sdp", 404},
      {"body over 64 KiB", "POST", "/whip/live", std::string(70 * 1024, 'a'), "application/sdp",
       413},
      {"DELETE of an unknown session", "DELETE", "/whip/live/nobody-9", "", "", 404},
      {"PATCH of an unknown session", "PATCH", "/whip/live/nobody-9",
       "a=candidate:1 1 UDP 1 10.77.0.1 9 typ host\r\n", "application/trickle-ice-sdpfrag", 404},
      {"PATCH with the wrong type", "PATCH", "/whip/live/nobody-9", "x", "text/plain", 415},
      {"GET on the WHIP endpoint", "GET", "/whip/live", "", "", 405},
  };
  for (const auto& c : cases) {
    const auto r = mt::http_request(c.method, port, c.path, c.body, c.type);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    if (r.status >= 400) {
      EXPECT_NE(r.body.find("\"error\""), std::string::npos) << c.what;
    }
  }
  EXPECT_EQ(server.get("/healthz").status, 200) << "still serving";
  auto options = mt::http_request("OPTIONS", port, "/whip/live");
  EXPECT_EQ(options.status, 204);
  EXPECT_NE(options.headers["access-control-expose-headers"].find("Location"), std::string::npos);
  // RFC 9725 Link headers name the configured ICE servers.
  const std::string links = options.headers["link"];
  EXPECT_NE(links.find("<stun:10.77.0.1:3478>; rel=\"ice-server\""), std::string::npos) << links;
  EXPECT_NE(links.find("<turn:10.77.0.1:3478?transport=udp>; rel=\"ice-server\"; "
                       "username=\"ann\"; credential=\"s3cret\""),
            std::string::npos)
      << links;
  EXPECT_TRUE(server.process()->running());
}

// Two publishers that take the mix back: each sees the room in the tiles the
// layout engine computes and hears everyone but themselves.
TEST_F(Whip, SendrecvPublishersGetTheMixAndTheirMixMinus) {
  mt::ServerUnderTest server("whip-mixminus");
  ASSERT_TRUE(server.start(mt::live_room_config({.layout = "grid"}))) << server.log();
  mt::WebRtcPeer blue(0xff0000ff, 660, "h264");
  mt::WebRtcPeer green(0xff00ff00, 880, "h264");
  const auto blue_answer = blue.publish(server.port(), "/whip/live?name=Blue");
  ASSERT_EQ(blue_answer.status, 201) << blue_answer.body << server.log();
  const auto green_answer = green.publish(server.port(), "/whip/live?name=Green");
  ASSERT_EQ(green_answer.status, 201) << green_answer.body;
  // The answer keeps sendrecv and the offered payload numbers.
  for (const auto* answer : {&blue_answer, &green_answer}) {
    EXPECT_EQ(answer->body.find("a=recvonly"), std::string::npos)
        << "offer:\n"
        << (answer == &blue_answer ? blue.offer() : green.offer()) << "answer:\n"
        << answer->body;
    EXPECT_NE(answer->body.find("a=rtpmap:102 H264/90000"), std::string::npos) << answer->body;
    EXPECT_NE(answer->body.find("a=rtpmap:111 OPUS/48000/2"), std::string::npos) << answer->body;
  }
  ASSERT_TRUE(mt::wait_until(
      [&] { return blue.frames_received() > 30 && green.frames_received() > 30; }, 15))
      << "frames back: blue " << blue.frames_received() << ", green " << green.frames_received()
      << "\n"
      << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));

  // The answer announces the SSRCs that really arrive: a browser drops a
  // stream whose SSRC differs from the answer's a=ssrc.
  for (auto* peer : {&blue, &green}) {
    const std::string& answer = peer == &blue ? blue_answer.body : green_answer.body;
    for (const auto& [media, ssrc] : peer->received_ssrcs()) {
      const size_t section = answer.find("m=" + media);
      ASSERT_NE(section, std::string::npos);
      const size_t end = answer.find("m=", section + 2);
      const std::string text =
          answer.substr(section, end == std::string::npos ? end : end - section);
      if (text.find("a=ssrc:") == std::string::npos) continue;  // no SSRC announced: any goes
      EXPECT_NE(text.find("a=ssrc:" + std::to_string(ssrc) + " "), std::string::npos)
          << media << " arrives with SSRC " << ssrc << " but the answer says:\n"
          << text;
    }
    EXPECT_EQ(peer->received_ssrcs().size(), 2u);
  }

  // Seats: Red 0, Blue 1, Green 2; the grid of three on 640x360.
  mixcast::Layout grid = mixcast::load_layout_file(mt::source_root() + "/config/layouts/grid.yaml");
  mixcast::LayoutInput input;
  input.canvas_width = 640;
  input.canvas_height = 360;
  input.participants = {{"red", "", "Red", 0, true, 640, 360, false},
                        {"blue", "", "Blue", 1, true, 320, 180, false},
                        {"green", "", "Green", 2, true, 320, 180, false}};
  const auto tiles = mixcast::compose(grid, input).tiles;
  ASSERT_EQ(tiles.size(), 3u);
  const std::map<std::string, std::array<int, 3>> expected = {
      {"red", {255, 0, 0}}, {"blue", {0, 0, 255}}, {"green", {0, 255, 0}}};
  for (auto* viewer : {&blue, &green}) {
    const auto frame = viewer->last_frame();
    ASSERT_EQ(frame.width, 640);
    ASSERT_EQ(frame.height, 360);
    for (const auto& tile : tiles) {
      int r = 0, g = 0, b = 0;
      ASSERT_TRUE(viewer->colour_at(tile.rect.center_x(), tile.rect.center_y(), r, g, b));
      const auto& want = expected.at(tile.participant_id);
      EXPECT_LT(std::abs(r - want[0]) + std::abs(g - want[1]) + std::abs(b - want[2]), 120)
          << tile.participant_id << " tile shows " << r << "," << g << "," << b;
    }
  }
  // Mix-minus: each hears the others' tones, not its own. Both joined a
  // moment ago: wait (bounded) for their audio to settle in the mix.
  auto power = [](const std::vector<float>& a, double f) {
    return mixcast::goertzel_power(a, 1, 0, 48000, f);
  };
  auto hears = [&](mt::WebRtcPeer& peer, double other_a, double other_b, double own) {
    const auto heard = peer.last_audio(0.5);
    return heard.size() > 20000 && power(heard, other_a) > 1e-3 && power(heard, other_b) > 1e-3 &&
           power(heard, own) < std::min(power(heard, other_a), power(heard, other_b)) / 100;
  };
  const bool settled =
      mt::wait_until([&] { return hears(blue, 440, 880, 660) && hears(green, 440, 660, 880); }, 8);
  const auto heard_by_blue = blue.last_audio(0.5);
  const auto heard_by_green = green.last_audio(0.5);
  std::printf("blue hears 440:%.2e 660(own):%.2e 880:%.2e\n", power(heard_by_blue, 440),
              power(heard_by_blue, 660), power(heard_by_blue, 880));
  std::printf("green hears 440:%.2e 660:%.2e 880(own):%.2e\n", power(heard_by_green, 440),
              power(heard_by_green, 660), power(heard_by_green, 880));
  EXPECT_TRUE(settled) << "each hears the two others, and itself at least 20 dB below them";
}

// A WHEP viewer gets the full mix: every tile, every tone.
TEST_F(Whip, WhepViewerGetsTheFullMix) {
  mt::ServerUnderTest server("whep");
  ASSERT_TRUE(server.start(mt::live_room_config())) << server.log();
  mt::WebRtcPeer blue(0xff0000ff, 660, "h264");
  ASSERT_EQ(blue.publish(server.port(), "/whip/live?name=Blue").status, 201);
  auto viewer = mt::WebRtcPeer::viewer();
  const auto answer = viewer->publish(server.port(), "/whep/live");
  ASSERT_EQ(answer.status, 201) << answer.body << server.log();
  const std::string location = answer.headers.at("location");
  EXPECT_EQ(location.rfind("/whep/live/", 0), 0u) << location;
  EXPECT_NE(answer.body.find("a=sendonly"), std::string::npos) << answer.body;
  ASSERT_TRUE(mt::wait_until([&] { return viewer->frames_received() > 30; }, 15)) << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  // side-by-side: Red (seat 0) left, Blue (seat 1) right.
  int r = 0, g = 0, b = 0;
  ASSERT_TRUE(viewer->colour_at(160, 180, r, g, b));
  EXPECT_GT(r, 180) << r << "," << g << "," << b;
  ASSERT_TRUE(viewer->colour_at(480, 180, r, g, b));
  EXPECT_GT(b, 180) << r << "," << g << "," << b;
  const auto heard = viewer->last_audio(0.5);
  ASSERT_GT(heard.size(), 20000u);
  EXPECT_GT(mixcast::goertzel_power(heard, 1, 0, 48000, 440), 1e-3) << "Red's tone";
  EXPECT_GT(mixcast::goertzel_power(heard, 1, 0, 48000, 660), 1e-3) << "Blue's tone too";
  EXPECT_EQ(mt::http_request("DELETE", server.port(), location).status, 200);
  EXPECT_EQ(mt::http_request("DELETE", server.port(), location).status, 404);
}

// A join to an unknown room creates it (the config's room_layout and default
// outputs); ICE uses only the configured address and port range.
TEST_F(Whip, AJoinCreatesTheRoomAndIceKeepsToTheConfiguredAddressAndPorts) {
  mt::ServerUnderTest server("whip-autocreate");
  const std::string config = mt::live_room_config(
      {.webrtc = "room_layout: grid, ice_addresses: [10.77.0.1], udp_port_min: 41000, "
                 "udp_port_max: 41020, idle_room_close_s: 1"});
  ASSERT_TRUE(server.start(config)) << server.log();
  EXPECT_EQ(server.get("/api/v1/rooms/popup").status, 404);
  mt::WebRtcPeer peer(0xff0000ff, 660, "h264");
  const auto answer = peer.publish(server.port(), "/whip/popup?name=Blue");
  ASSERT_EQ(answer.status, 201) << answer.body << server.log();
  int candidates = 0;
  std::istringstream lines(answer.body);
  for (std::string line; std::getline(lines, line);) {
    const bool udp =
        line.find(" udp ") != std::string::npos || line.find(" UDP ") != std::string::npos;
    if (line.rfind("a=candidate:", 0) != 0 || !udp) continue;
    ++candidates;
    std::istringstream fields(line);
    std::string foundation, component, transport, priority, address;
    int port = 0;
    fields >> foundation >> component >> transport >> priority >> address >> port;
    EXPECT_EQ(address, "10.77.0.1") << line;
    EXPECT_GE(port, 41000) << line;
    EXPECT_LE(port, 41020) << line;
  }
  EXPECT_GT(candidates, 0) << answer.body;
  ASSERT_TRUE(mt::wait_until([&] { return peer.frames_received() > 10; }, 15)) << server.log();
  const auto room = server.get("/api/v1/rooms/popup");
  EXPECT_EQ(room.status, 200);
  EXPECT_NE(room.body.find("\"Blue\""), std::string::npos) << room.body;
  EXPECT_NE(room.body.find("\"layout\" : \"grid\""), std::string::npos) << room.body;
  EXPECT_TRUE(std::filesystem::exists(server.dir().file("recordings/popup")));

  // Empty for idle_room_close_s: the room closes, its recording finished.
  ASSERT_EQ(mt::http_request("DELETE", server.port(), answer.headers.at("location")).status, 200);
  ASSERT_TRUE(mt::wait_until([&] { return server.get("/api/v1/rooms/popup").status == 404; }, 5))
      << server.log();
  EXPECT_TRUE(mt::wait_until(
      [&] { return server.log().find("room popup: stopped") != std::string::npos; }, 5))
      << server.log();
  EXPECT_EQ(server.get("/api/v1/rooms/live").status, 200) << "configured rooms stay";
}

// Three sendrecv publishers: each sees the four tiles the grid computes and
// hears everyone but itself. Then one vanishes without a DELETE (a closed
// laptop): after webrtc.departure_timeout_s of RTP silence it is removed and
// the others' returned mix reflows.
TEST_F(Whip, ThreePublishersAndOneVanishes) {
  mt::ServerUnderTest server("whip-three");
  ASSERT_TRUE(
      server.start(mt::live_room_config({.layout = "grid", .webrtc = "departure_timeout_s: 2"})))
      << server.log();
  struct Guest {
    const char* name;
    unsigned argb;
    int tone;
    std::array<int, 3> rgb;
  };
  const Guest guests[] = {{"Blue", 0xff0000ff, 660, {0, 0, 255}},
                          {"Green", 0xff00ff00, 880, {0, 255, 0}},
                          {"Yellow", 0xffffff00, 1100, {255, 255, 0}}};
  std::vector<std::unique_ptr<mt::WebRtcPeer>> peers;
  for (const auto& g : guests) {
    peers.push_back(std::make_unique<mt::WebRtcPeer>(g.argb, g.tone, "h264"));
    const auto answer =
        peers.back()->publish(server.port(), std::string("/whip/live?name=") + g.name);
    ASSERT_EQ(answer.status, 201) << answer.body << server.log();
  }
  ASSERT_TRUE(mt::wait_until(
      [&] {
        for (const auto& p : peers)
          if (p->frames_received() < 30) return false;
        return true;
      },
      20))
      << server.log();

  mixcast::Layout grid = mixcast::load_layout_file(mt::source_root() + "/config/layouts/grid.yaml");
  auto tiles_for = [&](int guests_present) {
    mixcast::LayoutInput input;
    input.canvas_width = 640;
    input.canvas_height = 360;
    input.participants.push_back({"Red", "", "Red", 0, true, 640, 360, false});
    for (int i = 0; i < guests_present; ++i)
      input.participants.push_back(
          {guests[i].name, "", guests[i].name, i + 1, true, 640, 360, false});
    return mixcast::compose(grid, input).tiles;
  };
  // Each peer's returned mix shows every tile in its colour; `seen` says
  // what the last look found wrong.
  std::string seen;
  auto shows = [&](mt::WebRtcPeer& peer, int guests_present) {
    for (const auto& tile : tiles_for(guests_present)) {
      int r = 0, g = 0, b = 0;
      if (!peer.colour_at(tile.rect.center_x(), tile.rect.center_y(), r, g, b)) {
        seen = "no frame yet";
        return false;
      }
      std::array<int, 3> want = {255, 0, 0};
      for (const auto& guest : guests)
        if (tile.participant_id == guest.name) want = guest.rgb;
      if (std::abs(r - want[0]) + std::abs(g - want[1]) + std::abs(b - want[2]) > 120) {
        seen = "the tile of " + tile.participant_id + " shows " + std::to_string(r) + "," +
               std::to_string(g) + "," + std::to_string(b) + " (" +
               std::to_string(peer.frames_received()) + " frames received)";
        return false;
      }
    }
    return true;
  };
  for (size_t i = 0; i < peers.size(); ++i)
    EXPECT_TRUE(mt::wait_until([&] { return shows(*peers[i], 3); }, 8))
        << guests[i].name << " does not see the four tiles: " << seen << "\n"
        << server.log();

  // Mix-minus: everyone else's tone, its own at least 20 dB below them.
  auto power = [](const std::vector<float>& a, double f) {
    return mixcast::goertzel_power(a, 1, 0, 48000, f);
  };
  auto hears_others_only = [&](size_t me) {
    const auto heard = peers[me]->last_audio(0.5);
    if (heard.size() < 20000) return false;
    double weakest = power(heard, 440);
    for (size_t j = 0; j < peers.size(); ++j)
      if (j != me) weakest = std::min(weakest, power(heard, guests[j].tone));
    return weakest > 1e-3 && power(heard, guests[me].tone) < weakest / 100;
  };
  for (size_t i = 0; i < peers.size(); ++i)
    EXPECT_TRUE(mt::wait_until([&] { return hears_others_only(i); }, 8))
        << guests[i].name << " hears itself or misses someone";

  // Yellow vanishes: no DELETE, its media just stops.
  peers.pop_back();
  const auto gone_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(mt::wait_until(
      [&] { return server.get("/api/v1/rooms/live").body.find("\"Yellow\"") == std::string::npos; },
      8))
      << server.log();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gone_at).count();
  std::printf("Yellow removed %.1f s after its media stopped\n", seconds);
  EXPECT_NE(server.log().find("no media for 2 s"), std::string::npos) << server.log();
  for (size_t i = 0; i < peers.size(); ++i)
    EXPECT_TRUE(mt::wait_until([&] { return shows(*peers[i], 2); }, 4))
        << guests[i].name << "'s mix does not reflow to three tiles: " << seen;
}

// Viewers send no media: they are gone when their RTCP says goodbye or stops,
// and one that never connects is dropped after twice the departure timeout.
TEST_F(Whip, VanishedAndNeverConnectedViewersAreDropped) {
  mt::ServerUnderTest server("whep-gone");
  ASSERT_TRUE(server.start(mt::live_room_config({.webrtc = "departure_timeout_s: 1.5"})))
      << server.log();
  auto viewer = mt::WebRtcPeer::viewer();
  ASSERT_EQ(viewer->publish(server.port(), "/whep/live").status, 201) << server.log();
  ASSERT_TRUE(mt::wait_until([&] { return viewer->frames_received() > 10; }, 15)) << server.log();
  const auto vanished = std::chrono::steady_clock::now();
  viewer.reset();  // the tab closes: no DELETE
  ASSERT_TRUE(mt::wait_until(
      [&] { return server.log().find("viewer viewer-1 left") != std::string::npos; }, 20))
      << server.log();
  std::printf("the vanished viewer was dropped after %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - vanished).count());

  // An offer whose peer never shows up (its candidates lead nowhere).
  const std::string offer =
      mt::read_file(mt::source_root() + "/tests/unit/data/sdp/chrome-recvonly-whep.sdp");
  ASSERT_EQ(mt::http_request("POST", server.port(), "/whep/live", offer, "application/sdp").status,
            201);
  EXPECT_TRUE(mt::wait_until(
      [&] {
        return server.log().find("viewer viewer-2 left (never connected)") != std::string::npos;
      },
      6))
      << server.log();
  EXPECT_TRUE(server.process()->running());
}

// Keyframes: the server asks a new publisher for one; a new receiver and a
// peer's PLI get a keyframe of the shared encode, and a burst of PLIs no more
// than one keyframe per webrtc.keyframe_min_interval_s.
TEST_F(Whip, KeyframesOnJoinOnPliAndRateLimited) {
  mt::ServerUnderTest server("whip-keyframes");
  // Natural keyframes only every 60 s: any other one was asked for.
  ASSERT_TRUE(server.start(mt::live_room_config(
      {.media = "keyframe_interval_s: 60", .webrtc = "keyframe_min_interval_s: 1"})))
      << server.log();
  mt::WebRtcPeer blue(0xff0000ff, 660, "h264");
  ASSERT_EQ(blue.publish(server.port(), "/whip/live?name=Blue").status, 201) << server.log();
  // The returned stream starts on a keyframe, forced when the peer connected.
  const auto answered = std::chrono::steady_clock::now();
  ASSERT_TRUE(mt::wait_until([&] { return blue.keyframes_received() >= 1; }, 3))
      << "no keyframe for the new receiver";
  std::printf("first keyframe %.0f ms after the answer\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - answered)
                  .count());
  EXPECT_TRUE(mt::wait_until([&] { return blue.keyframe_requests_received() >= 1; }, 8))
      << "the server never asked the new publisher for a keyframe";
  ASSERT_TRUE(mt::wait_until([&] { return blue.frames_received() > 30; }, 10)) << server.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));

  const int before = blue.keyframes_received();
  const auto asked = std::chrono::steady_clock::now();
  blue.request_keyframe();
  ASSERT_TRUE(mt::wait_until([&] { return blue.keyframes_received() > before; }, 4))
      << "no keyframe after a PLI";
  std::printf(
      "keyframe %.0f ms after the PLI\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked).count());

  // Ten PLIs in one second, then three seconds for what they cause: one
  // keyframe at once, one deferred to the end of each interval, never ten.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int burst_start = blue.keyframes_received();
  for (int i = 0; i < 10; ++i) {
    blue.request_keyframe();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const int burst = blue.keyframes_received() - burst_start;
  std::printf("%d keyframes for 10 PLIs in 1 s (4 s window)\n", burst);
  EXPECT_GE(burst, 1);
  EXPECT_LE(burst, 3);
}

// The room's mixing core is rebuilt under a live WebRTC publisher and an
// RTMP push (as after a compositor or encoder error): within 2 s the room
// encodes again, the publisher is back in its tile of the mix it gets back
// on the same connection, the push goes on, and the recording plays.
TEST_F(Whip, ARebuiltCoreKeepsThePublisherItsReturnAndThePush) {
  if (!mt::RtmpServer::available()) GTEST_SKIP() << "nginx with the RTMP module is not installed";
  mt::TempDir nginx_dir("whip-rtmp");
  mt::RtmpServer nginx(nginx_dir.path(), mt::free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  mt::ServerUnderTest server("whip-rebuild");
  mt::LiveRoom room;
  room.rtmp = "[{name: cdn, url: '" + nginx.url("heal") + "'}]";
  ASSERT_TRUE(server.start(mt::live_room_config(room))) << server.log();
  mt::WebRtcPeer publisher(0xff0000ff, 660);  // blue
  ASSERT_EQ(publisher.publish(server.port(), "/whip/live?name=Blue").status, 201) << server.log();
  ASSERT_TRUE(mt::wait_until([&] { return publisher.frames_received() > 60; }, 15)) << server.log();
  ASSERT_TRUE(mt::wait_until(
      [&] {
        auto cdn = mt::output_info(server, "live", "cdn");
        return cdn && cdn->state == "live" && cdn->bytes > 0;
      },
      15))
      << mt::describe(mt::output_info(server, "live", "cdn")) << server.log();

  auto frames_encoded = [&] { return mt::frames_encoded(server, "live"); };
  const int64_t before = frames_encoded();
  const int64_t pushed_before = mt::output_info(server, "live", "cdn")->bytes;
  const auto started = std::chrono::steady_clock::now();
  const auto rebuilt = mt::http_request("POST", server.port(), "/api/v1/rooms/live/rebuild");
  ASSERT_EQ(rebuilt.status, 202) << rebuilt.body;
  EXPECT_NE(rebuilt.body.find("\"core_rebuilds\" : 1"), std::string::npos) << rebuilt.body;
  ASSERT_TRUE(mt::wait_until([&] { return frames_encoded() > before + 15; }, 2.0))
      << "encoding again within 2 s" << server.log();
  std::printf("encoding again %.2f s after the rebuild\n", mt::seconds_since(started));

  // The publisher's connection carried on: the mix comes back, with its tile.
  const int received = publisher.frames_received();
  ASSERT_TRUE(mt::wait_until([&] { return publisher.frames_received() > received + 30; }, 5))
      << "the returned mix goes on" << server.log();
  EXPECT_TRUE(publisher.connected());
  // Both tiles are back: the test source rejoins the new core too, which
  // takes longer on a slow machine (the sanitizer build); until then the
  // publisher alone fills the picture.
  int r = 0, g = 0, b = 0;
  int own_r = 0, own_g = 0, own_b = 0;
  mt::wait_until(
      [&] {
        return publisher.colour_at(480, 180, own_r, own_g, own_b) && own_b > 180 && own_r < 80 &&
               publisher.colour_at(160, 180, r, g, b) && r > 180 && b < 80;
      },
      5);
  EXPECT_TRUE(own_b > 180 && own_r < 80)
      << "own tile in the returned mix after the rebuild: " << own_r << "," << own_g << ","
      << own_b;
  EXPECT_TRUE(r > 180 && b < 80) << "Red's tile after the rebuild: " << r << "," << g << "," << b;
  const std::string room_json = server.get("/api/v1/rooms/live").body;
  EXPECT_NE(room_json.find("\"Blue\""), std::string::npos) << "the publisher is still in the room";

  // The push is live and still sending.
  ASSERT_TRUE(mt::wait_until(
      [&] {
        auto cdn = mt::output_info(server, "live", "cdn");
        return cdn && cdn->state == "live" && cdn->bytes > pushed_before + 50000;
      },
      5))
      << mt::describe(mt::output_info(server, "live", "cdn"));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(server.process()->stop(SIGTERM, 15), 0) << server.log();

  // The recording plays across the rebuild: video as long as audio.
  const std::string file = recording(server);
  ASSERT_FALSE(file.empty());
  const std::string durations = mt::run_command(
      "ffprobe -v error -show_entries stream=codec_type,duration -of csv=p=0 '" + file + "'");
  std::printf("recording streams (type,duration): %s\n", durations.c_str());
  double v = 0, a = 0;
  std::istringstream lines(durations);
  for (std::string line; std::getline(lines, line);) {
    const auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    const double d = std::atof(line.c_str() + comma + 1);
    if (line.rfind("video", 0) == 0) v = d;
    if (line.rfind("audio", 0) == 0) a = d;
  }
  EXPECT_GT(v, 5.0);
  EXPECT_NEAR(v, a, 1.0) << "video as long as audio across the rebuild";
}
