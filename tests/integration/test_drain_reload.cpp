// SIGTERM drains the real server (new sessions refused with 503 and
// Retry-After, WebSocket clients told, recordings and playlists finished,
// exit 0 in time); SIGHUP reloads its config file (rooms added and removed,
// outputs changed live, a broken file changes nothing).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>

#include "integration_support.h"
#include "ws_client.h"

namespace mixcast::testing {
namespace {

std::string header(const HttpResponse& response, const std::string& name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? "" : it->second;
}

std::string chrome_offer() {
  return read_file(source_root() + "/tests/unit/data/sdp/chrome-sendrecv-av.sdp");
}

// The config as ServerUnderTest writes it, for a file written again later.
std::string expand(const ServerUnderTest& server, std::string config) {
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = config.find(from, pos)) != std::string::npos; pos += to.size())
      config.replace(pos, from.size(), to);
  };
  replace_all("{port}", std::to_string(server.port()));
  replace_all("{dir}", server.dir().path());
  replace_all("{root}", source_root());
  return config;
}

// The small canvas of small_room_config, and rooms written by the test.
std::string header_yaml(const std::string& extra = "") {
  return "log_level: info\n"
         "drain_retry_after_s: 7\n" +
         extra +
         "http:\n"
         "  port: {port}\n"
         "media:\n"
         "  width: 640\n"
         "  height: 360\n"
         "  fps: 30\n"
         "  video_bitrate_kbps: 600\n"
         "  video_encoder: x264\n"
         "  keyframe_interval_s: 1\n"
         "paths:\n"
         "  layouts: {root}/config/layouts\n"
         "  pipelines: {root}/pipelines\n"
         "  hls: {dir}/hls\n"
         "  recordings: {dir}/recordings\n"
         "webrtc:\n"
         "  auto_create_rooms: false\n"
         "rooms:\n";
}

std::string room_yaml(const std::string& name, const std::string& outputs) {
  return "  - name: " + name +
         "\n"
         "    layout: grid\n"
         "    outputs:\n" +
         outputs +
         "    sources:\n"
         "      - name: Alice\n"
         "        uri: test://color?color=red&tone=440\n";
}

const char* kRecordOnly =
    "      hls: {enabled: false}\n"
    "      recording: {enabled: true, format: mp4}\n"
    "      rtmp: []\n";
const char* kHlsOnly =
    "      hls: {enabled: true, segment_s: 1, playlist_length: 3, max_files: 6}\n"
    "      recording: {enabled: false}\n"
    "      rtmp: []\n";

// A WebSocket client on a link that went dead: it completes the handshake,
// then never reads or answers again (so never answers the server's close).
class SilentWebSocket {
 public:
  explicit SilentWebSocket(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    const std::string request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (write(fd_, request.data(), request.size()) != ssize_t(request.size())) return;
    char buffer[1024];
    const ssize_t n = read(fd_, buffer, sizeof buffer);
    upgraded_ = n > 12 && std::string(buffer, size_t(n)).rfind("HTTP/1.1 101", 0) == 0;
  }
  ~SilentWebSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  SilentWebSocket(const SilentWebSocket&) = delete;
  SilentWebSocket& operator=(const SilentWebSocket&) = delete;
  bool upgraded() const { return upgraded_; }

 private:
  int fd_ = -1;
  bool upgraded_ = false;
};

bool exited_cleanly(int status) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<std::string> room_names(const ServerUnderTest& server) {
  std::vector<std::string> names;
  const HttpResponse rooms = server.get("/api/v1/rooms");
  for (int i = 0; i < json_array_length(rooms.body, "rooms"); ++i)
    names.push_back(json_get(rooms.body, "rooms." + std::to_string(i) + ".name").value_or(""));
  return names;
}

bool has_room(const ServerUnderTest& server, const std::string& name) {
  const auto names = room_names(server);
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Lines of the log after the first `from` bytes.
std::string log_since(const ServerUnderTest& server, size_t from) {
  const std::string log = server.log();
  return from < log.size() ? log.substr(from) : "";
}

// A recording of the room's directory that is finished (mfra) and decodes.
void expect_finished_recording(const ServerUnderTest& server, const std::string& room) {
  const auto files = files_in(server.dir().file("recordings/") + room, ".mp4");
  ASSERT_EQ(files.size(), 1u) << server.log();
  const HttpResponse listed = server.get("/api/v1/rooms/" + room + "/recordings");
  EXPECT_EQ(json_get(listed.body, "recordings.0.finished"), "true") << listed.body;
  std::string why;
  EXPECT_TRUE(decodes_cleanly(files[0], &why)) << files[0] << ": " << why;
  EXPECT_GT(probe_duration(files[0]), 1.5) << files[0];
}

// 1. SIGTERM with a room recording to MP4 and live on HLS, and a WebSocket
// client watching it: the client hears server_stopping and is closed, the
// server answers 503 (with Retry-After) to /healthz, to a WHIP offer and to
// a new room while it drains, and exits 0 within shutdown_timeout_s with the
// recording finished and the playlist ended.
TEST(Drain, SigtermRefusesNewSessionsTellsClientsAndFinishesOutputs) {
  ServerUnderTest server("drain");
  const std::string config =
      header_yaml("shutdown_timeout_s: 8\n") +
      room_yaml("studio",
                "      hls: {enabled: true, segment_s: 1, playlist_length: 3, max_files: 6}\n"
                "      recording: {enabled: true, format: mp4}\n"
                "      rtmp: []\n");
  ASSERT_TRUE(server.start(config)) << server.log();
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse playlist = server.get("/hls/studio/index.m3u8");
        return playlist.status == 200 && parse_playlist(playlist.body).uris.size() >= 2;
      },
      20))
      << server.log();

  WsClient ws(server.port());
  ws.send(ws_json({{"type", "watch"}, {"room", "studio"}}));
  ASSERT_TRUE(ws.take("room", 5)) << server.log();
  // Not in any room: told all the same.
  WsClient idle(server.port());
  // Never answers the close: the drain waits for it, up to its bound
  // (HttpServer::kWebSocketCloseS), which leaves time to see the drain.
  SilentWebSocket silent(server.port());
  ASSERT_TRUE(silent.upgraded());

  // What the server answers, in order, from SIGTERM until it is gone.
  const std::string offer = chrome_offer();
  ASSERT_FALSE(offer.empty());
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(server.process()->pid(), SIGTERM), 0);
  // Asked as fast as it answers: the drain may last only a fraction of a second.
  HttpResponse health = server.get("/healthz");
  while (health.status == 200 && seconds_since(signalled) < 5) {
    sleep_s(0.002);
    health = server.get("/healthz");
  }
  // The drain has begun; the silent client keeps it going for 2 s.
  const HttpResponse whip = http_exchange(server.port(), "POST", "/whip/studio?name=Late",
                                          {{"Content-Type", "application/sdp"}}, offer, 5);
  const HttpResponse create =
      http_json(server.port(), "POST", "/api/v1/rooms", R"({"name": "late", "layout": "grid"})");

  const int status = server.process()->stop(SIGTERM, 10);
  const double took_s = seconds_since(signalled);
  std::printf("drain: SIGTERM to exit %.2f s\n", took_s);

  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(json_get(health.body, "status"), "draining") << health.body;
  EXPECT_EQ(header(health, "retry-after"), "7");
  EXPECT_EQ(whip.status, 503) << whip.body << "\n" << server.log();
  EXPECT_EQ(header(whip, "retry-after"), "7");
  EXPECT_EQ(json_get(whip.body, "error.code"), "503") << whip.body;
  EXPECT_EQ(json_get(whip.body, "error.message"), "the server is stopping") << whip.body;
  EXPECT_EQ(create.status, 503) << create.body;
  EXPECT_EQ(header(create, "retry-after"), "7");
  EXPECT_EQ(json_get(create.body, "error.code"), "503") << create.body;

  const auto stopping = ws.take("server_stopping", 5);
  ASSERT_TRUE(stopping) << server.log();
  EXPECT_EQ(stopping->get("retry_after_s"), "7") << stopping->raw;
  EXPECT_TRUE(ws.wait_closed(5));
  const auto told = idle.take("server_stopping", 5);
  ASSERT_TRUE(told);
  EXPECT_TRUE(idle.wait_closed(5));

  const std::string log = server.log();
  EXPECT_TRUE(exited_cleanly(status)) << status << "\n" << log;
  EXPECT_GT(took_s, 1.9) << "the silent WebSocket client was waited for";
  EXPECT_LT(took_s, 8.0) << "shutdown_timeout_s";
  EXPECT_NE(log.find("1 WebSocket client(s) did not close within 2 s"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped cleanly in"), std::string::npos) << log;
  // Clients were told before the room went.
  EXPECT_LT(log.find("draining: new sessions"), log.find("room studio: closed")) << log;

  const auto files = files_in(server.dir().file("recordings/studio"), ".mp4");
  ASSERT_EQ(files.size(), 1u) << log;
  std::string why;
  EXPECT_TRUE(decodes_cleanly(files[0], &why)) << files[0] << ": " << why;
  EXPECT_GT(probe_duration(files[0]), 1.0) << files[0];
  const std::string playlist = read_file(server.dir().file("hls/studio/index.m3u8"));
  EXPECT_TRUE(parse_playlist(playlist).ended) << playlist;
}

// 2. SIGHUP: a broken file is reported with file, line and field and
// changes nothing; a good one removes a room (its recording finished), adds
// one (live on HLS), adds an RTMP push to a room that stays, and names what
// needs a restart.
TEST(Reload, SighupAppliesTheFileOrChangesNothing) {
  ASSERT_TRUE(RtmpServer::available()) << "nginx with libnginx-mod-rtmp is needed";
  ServerUnderTest server("reload");
  RtmpServer nginx(server.dir().file("nginx"), free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  const std::string v1 =
      header_yaml() + room_yaml("studio", kHlsOnly) + room_yaml("gone", kRecordOnly);
  ASSERT_TRUE(server.start(v1)) << server.log();
  ASSERT_TRUE(wait_until(
      [&] {
        return output_info(server, "gone", "recording") &&
               output_info(server, "gone", "recording")->state == "live";
      },
      20))
      << server.log();
  // A recording of a few seconds (one stopped within a second of going
  // live may hold a track without a time scale: a separate problem).
  sleep_s(2);
  const std::string file = server.dir().file("mixcast.yaml");

  // A broken file: a misspelt key in a room, and a bad value.
  size_t mark = server.log().size();
  std::string broken = v1;
  broken.replace(broken.find("  - name: gone\n    layout: grid\n"),
                 std::string("  - name: gone\n    layout: grid\n").size(),
                 "  - name: gone\n    layout: grid\n    fpz: 25\n");
  broken.replace(broken.find("video_bitrate_kbps: 600"), 23, "video_bitrate_kbps: -1");
  write_file(file, expand(server, broken));
  ASSERT_EQ(kill(server.process()->pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_until(
      [&] { return log_since(server, mark).find("nothing was changed") != std::string::npos; }, 10))
      << server.log();
  {
    const std::string said = log_since(server, mark);
    // file:line:column: field: message, for each problem.
    const size_t at = broken.find("video_bitrate_kbps: -1");
    const long line = 1 + std::count(broken.begin(), broken.begin() + long(at), '\n');
    EXPECT_NE(said.find(file + ":" + std::to_string(line) + ":"), std::string::npos) << said;
    EXPECT_NE(said.find("media.video_bitrate_kbps"), std::string::npos) << said;
    EXPECT_NE(said.find("rooms[1].fpz"), std::string::npos) << said;
    EXPECT_NE(said.find("2 problems"), std::string::npos) << said;
  }
  EXPECT_EQ(room_names(server), (std::vector<std::string>{"gone", "studio"}));
  EXPECT_EQ(output_info(server, "gone", "recording")->state, "live");
  const HttpResponse metrics = server.get("/metrics");
  EXPECT_NE(metrics.body.find("mixcast_config_reloads_total{result=\"failed\"} 1"),
            std::string::npos)
      << metrics.body;

  // A good file: "gone" removed, "fresh" added with HLS, "studio" pushes to
  // nginx too, and a canvas change that needs a restart.
  mark = server.log().size();
  std::string studio_outputs = std::string(kHlsOnly);
  studio_outputs.replace(
      studio_outputs.find("      rtmp: []\n"), 15,
      "      rtmp:\n        - name: cdn\n          url: " + nginx.url("studio") + "\n");
  std::string v2 =
      header_yaml() + room_yaml("studio", studio_outputs) + room_yaml("fresh", kHlsOnly);
  v2.replace(v2.find("  fps: 30\n"), 10, "  fps: 25\n");
  write_file(file, expand(server, v2));
  const auto hup = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(server.process()->pid(), SIGHUP), 0);
  ASSERT_TRUE(wait_until(
      [&] {
        return log_since(server, mark).find("config reload: rooms added: fresh") !=
               std::string::npos;
      },
      10))
      << server.log();
  std::printf("reload: applied %.2f s after SIGHUP\n", seconds_since(hup));
  {
    const std::string said = log_since(server, mark);
    EXPECT_NE(said.find("rooms removed: gone"), std::string::npos) << said;
    EXPECT_NE(said.find("rooms changed: studio (outputs)"), std::string::npos) << said;
    EXPECT_NE(said.find("media.fps (" + file + ":"), std::string::npos) << said;
    EXPECT_NE(said.find("needs a restart"), std::string::npos) << said;
  }
  EXPECT_TRUE(
      wait_until([&] { return has_room(server, "fresh") && !has_room(server, "gone"); }, 10))
      << server.log();
  // The removed room's recording is finished, the new room is live on HLS,
  // the new push reaches nginx.
  EXPECT_TRUE(wait_until(
      [&] { return server.log().find("room gone: closed, recordings") != std::string::npos; }, 10))
      << server.log();
  expect_finished_recording(server, "gone");
  EXPECT_TRUE(wait_until(
      [&] {
        const HttpResponse playlist = server.get("/hls/fresh/index.m3u8");
        return playlist.status == 200 && parse_playlist(playlist.body).uris.size() >= 2;
      },
      20))
      << server.log();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto cdn = output_info(server, "studio", "cdn");
        return cdn && cdn->state == "live" && cdn->bytes > 0;
      },
      20))
      << describe(output_info(server, "studio", "cdn")) << "\n"
      << server.log();
  EXPECT_NE(probe_streams(nginx.url("studio")).size(), 0u) << nginx.log();
  EXPECT_EQ(room_info(server, "studio")->outputs.size(), 2u);

  // HLS off in "fresh": its playlist ends; its layout switches. The push of "studio" moves to
  // another stream key: stopped, then started again at the new URL. The fps
  // change is named again.
  mark = server.log().size();
  std::string v3 = v2;
  const std::string fresh_at = "  - name: fresh\n";
  const size_t fresh = v3.find(fresh_at);
  v3.replace(v3.find("hls: {enabled: true", fresh), 19, "hls: {enabled: false");
  v3.replace(v3.find("layout: grid", fresh), 12, "layout: speaker");
  v3.replace(v3.find(nginx.url("studio")), nginx.url("studio").size(), nginx.url("moved"));
  write_file(file, expand(server, v3));
  ASSERT_EQ(kill(server.process()->pid(), SIGHUP), 0);
  EXPECT_TRUE(wait_until(
      [&] { return parse_playlist(read_file(server.dir().file("hls/fresh/index.m3u8"))).ended; },
      10))
      << server.log();
  EXPECT_EQ(output_info(server, "fresh", "hls"), std::nullopt);
  EXPECT_EQ(room_info(server, "fresh")->layout, "speaker");
  {
    const std::string said = log_since(server, mark);
    EXPECT_NE(said.find("rooms changed: studio (outputs), fresh (outputs, layout speaker)"),
              std::string::npos)
        << said;
    EXPECT_NE(said.find("media.fps ("), std::string::npos) << said;
  }
  EXPECT_TRUE(wait_until(
      [&] {
        return log_since(server, mark).find("RTMP output cdn started with its new settings") !=
               std::string::npos;
      },
      10))
      << server.log();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto cdn = output_info(server, "studio", "cdn");
        return cdn && cdn->state == "live";
      },
      20))
      << describe(output_info(server, "studio", "cdn")) << "\n"
      << server.log();
  EXPECT_NE(probe_streams(nginx.url("moved")).size(), 0u) << nginx.log();
  EXPECT_TRUE(has_room(server, "studio"));
  const HttpResponse after = server.get("/metrics");
  EXPECT_NE(after.body.find("mixcast_config_reloads_total{result=\"applied\"} 2"),
            std::string::npos)
      << after.body;

  // The same over the API: a broken file is a 422 with every issue, the
  // file as it runs answers what still needs a restart.
  write_file(file, expand(server, broken));
  const HttpResponse refused = http_request("POST", server.port(), "/api/v1/reload");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(json_array_length(refused.body, "error.issues"), 2) << refused.body;
  EXPECT_EQ(json_get(refused.body, "error.field"), "media.video_bitrate_kbps") << refused.body;
  EXPECT_TRUE(has_room(server, "studio") && has_room(server, "fresh"));
  write_file(file, expand(server, v3));
  const HttpResponse same = http_request("POST", server.port(), "/api/v1/reload");
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(json_get(same.body, "summary"), "needs a restart: media.fps") << same.body;
  EXPECT_EQ(json_get(same.body, "needs_restart.0"), "media.fps") << same.body;
  const HttpResponse counted = server.get("/metrics");
  EXPECT_NE(counted.body.find("mixcast_config_reloads_total{result=\"failed\"} 2"),
            std::string::npos)
      << counted.body;

  EXPECT_TRUE(exited_cleanly(server.process()->stop(SIGTERM, 10))) << server.log();
}

}  // namespace
}  // namespace mixcast::testing
