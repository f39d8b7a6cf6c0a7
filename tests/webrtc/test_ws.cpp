// The WebSocket /ws end to end: the real server, a webrtcbin peer signalled
// over the socket with trickle ICE both ways, and a second socket watching
// the room's events. Runs inside tests/tools/netns-run.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "core/layout.h"
#include "integration_support.h"
#include "live_room_config.h"
#include "test_support.h"
#include "webrtc_peer.h"
#include "ws_client.h"

namespace mt = mixcast::testing;

namespace {

class WebSocket : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

std::string grid_config() {
  return mt::live_room_config({.layout = "grid"});
}

// Trickles candidates both ways between `peer` and the server until the peer
// decodes `frames` frames of the mix or `timeout_s` passes.
bool trickle_until(mt::WsClient& ws, mt::WebRtcPeer& peer, int frames, double timeout_s) {
  return mt::wait_until(
      [&] {
        for (const auto& [mline, candidate] : peer.take_local_candidates())
          ws.send(
              mt::ws_json({{"type", "candidate"}, {"candidate", candidate}}, {{"mline", mline}}));
        while (auto c = ws.take("candidate", 0))
          if (!c->get("candidate").empty())
            peer.add_remote_candidate(std::stoi(c->get("mline")), c->get("candidate"));
        return peer.frames_received() >= frames;
      },
      timeout_s);
}

// Joins `peer` over `ws` as `name`; trickles candidates both ways until the
// peer decodes `frames` frames of the mix or `timeout_s` passes. Returns the
// participant id from the answer ("" when there was none).
std::string join_and_connect(mt::WsClient& ws, mt::WebRtcPeer& peer, const std::string& name,
                             int frames, double timeout_s, double* answer_ms = nullptr) {
  const std::string offer = peer.create_offer(false);
  const auto sent = std::chrono::steady_clock::now();
  ws.send(mt::ws_json({{"type", "join"}, {"room", "live"}, {"name", name}, {"sdp", offer}}));
  const auto answer = ws.take("answer", 10);
  if (!answer) return "";
  if (answer_ms)
    *answer_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count();
  peer.apply_answer(answer->get("sdp"));
  trickle_until(ws, peer, frames, timeout_s);
  return answer->get("id");
}

}  // namespace

// A browser's path: join with trickle ICE, see the mix with its own tile,
// while another socket sees it join and leave.
TEST_F(WebSocket, JoinWithTrickleGetsTheMixAndEveryoneSeesTheEvents) {
  mt::ServerUnderTest server("ws-join");
  ASSERT_TRUE(server.start(grid_config())) << server.log();
  mt::WsClient watcher(server.port());
  watcher.send(mt::ws_json({{"type", "watch"}, {"room", "live"}}));
  const auto snapshot = watcher.take("room", 5);
  ASSERT_TRUE(snapshot) << server.log();
  EXPECT_NE(snapshot->raw.find("\"Red\""), std::string::npos) << snapshot->raw;

  mt::WsClient ws(server.port());
  mt::WebRtcPeer blue(0xff0000ff, 660, "h264");
  double answer_ms = 0;
  const std::string id = join_and_connect(ws, blue, "Blue", 30, 15, &answer_ms);
  ASSERT_FALSE(id.empty()) << server.log();
  std::printf("answer after %.0f ms (trickle: no wait for ICE gathering)\n", answer_ms);
  ASSERT_GE(blue.frames_received(), 30) << server.log();
  const auto joined = watcher.take("participant_joined", 5, "id", id);
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->get("name"), "Blue");
  EXPECT_TRUE(ws.take("room", 1)) << "the joining socket gets the room's state";

  // The returned mix shows Red and Blue in the grid's two tiles.
  mixcast::Layout grid = mixcast::load_layout_file(mt::source_root() + "/config/layouts/grid.yaml");
  mixcast::LayoutInput input;
  input.canvas_width = 640;
  input.canvas_height = 360;
  input.participants = {{"red", "", "Red", 0, true, 640, 360, false},
                        {"blue", "", "Blue", 1, true, 320, 180, false}};
  const auto tiles = mixcast::compose(grid, input).tiles;
  ASSERT_EQ(tiles.size(), 2u);
  const bool both = mt::wait_until(
      [&] {
        for (const auto& tile : tiles) {
          int r = 0, g = 0, b = 0;
          if (!blue.colour_at(tile.rect.center_x(), tile.rect.center_y(), r, g, b)) return false;
          const bool red = r > 180 && g < 70 && b < 70;
          const bool is_blue = b > 180 && r < 70 && g < 70;
          if (tile.participant_id == "red" ? !red : !is_blue) return false;
        }
        return true;
      },
      5);
  EXPECT_TRUE(both) << "the returned mix shows Red and Blue in their tiles";

  ws.send(mt::ws_json({{"type", "leave"}}));
  EXPECT_TRUE(ws.wait_closed(5)) << "the server closes the socket after leave";
  const auto left = watcher.take("participant_left", 5, "id", id);
  ASSERT_TRUE(left) << server.log();
  EXPECT_EQ(left->get("reason"), "left");
  const auto state = mt::http_get(server.port(), "/api/v1/rooms/live");
  EXPECT_EQ(state.body.find("\"Blue\""), std::string::npos) << state.body;
}

// A viewer can watch over the WebSocket too: the full mix, no seat taken.
TEST_F(WebSocket, AViewerJoinsOverTheSocketAndGetsTheFullMix) {
  mt::ServerUnderTest server("ws-viewer");
  ASSERT_TRUE(server.start(grid_config())) << server.log();
  mt::WsClient ws(server.port());
  auto viewer = mt::WebRtcPeer::viewer();
  ws.send(mt::ws_json({{"type", "join"},
                       {"room", "live"},
                       {"role", "viewer"},
                       {"sdp", viewer->create_offer(false)}}));
  const auto answer = ws.take("answer", 10);
  ASSERT_TRUE(answer) << server.log();
  EXPECT_EQ(answer->get("id").rfind("viewer-", 0), 0u) << answer->raw;
  viewer->apply_answer(answer->get("sdp"));
  ASSERT_TRUE(trickle_until(ws, *viewer, 30, 15)) << server.log();
  int r = 0, g = 0, b = 0;
  ASSERT_TRUE(viewer->colour_at(320, 180, r, g, b));
  EXPECT_TRUE(r > 180 && g < 70 && b < 70)
      << "Red fills the grid alone: " << r << "," << g << "," << b;
  const auto room = mt::http_get(server.port(), "/api/v1/rooms/live").body;
  EXPECT_EQ(room.find("\"id\" : \"viewer-"), std::string::npos)
      << "a viewer takes no seat: " << room;
  ws.send(mt::ws_json({{"type", "leave"}}));
  EXPECT_TRUE(ws.wait_closed(5));
  EXPECT_TRUE(mt::wait_until(
      [&] {
        return server.log().find("viewer " + answer->get("id") + " left (left)") !=
               std::string::npos;
      },
      5))
      << server.log();
}

// Closing the socket is leaving, even before any media flowed (the
// leave-before-media case that deadlocks webrtcbin 1.22.0 if done wrong).
TEST_F(WebSocket, ClosingTheSocketLeavesEvenBeforeMedia) {
  mt::ServerUnderTest server("ws-close");
  ASSERT_TRUE(server.start(grid_config())) << server.log();
  mt::WsClient watcher(server.port());
  watcher.send(mt::ws_json({{"type", "watch"}, {"room", "live"}}));
  ASSERT_TRUE(watcher.take("room", 5));
  for (int round = 0; round < 3; ++round) {
    mt::WebRtcPeer peer(0xff00ff00, 880, "h264");
    auto ws = std::make_unique<mt::WsClient>(server.port());
    ws->send(mt::ws_json({{"type", "join"},
                          {"room", "live"},
                          {"name", "Quick" + std::to_string(round)},
                          {"sdp", peer.create_offer(false)}}));
    const auto answer = ws->take("answer", 10);
    ASSERT_TRUE(answer) << server.log();
    ws.reset();  // gone before a single candidate was exchanged
    const auto left = watcher.take("participant_left", 5, "id", answer->get("id"));
    ASSERT_TRUE(left) << "round " << round << " healthz "
                      << mt::http_get(server.port(), "/healthz").status << "\n"
                      << server.log();
    EXPECT_EQ(left->get("reason"), "WebSocket closed");
  }
  // The room is still running: the encoder keeps producing frames.
  auto frames = [&] { return mt::frames_encoded(server, "live"); };
  const int64_t before = frames();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_GT(frames(), before + 15) << server.log();
  EXPECT_TRUE(server.process()->running());
}

// Every bad message gets an `error` with a status; the socket and the
// server stay up.
TEST_F(WebSocket, BadMessagesGetErrorsAndTheServerGoesOn) {
  mt::ServerUnderTest server("ws-bad");
  ASSERT_TRUE(
      server.start(mt::live_room_config({.layout = "grid", .webrtc = "auto_create_rooms: false"})))
      << server.log();
  mt::WsClient ws(server.port());
  mt::WebRtcPeer peer(0xff00ff00, 880, "h264");
  const std::string offer = peer.create_offer(false);
  struct Case {
    std::string message;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"not json at all", "400"},
      {"[1, 2, 3]", "400"},
      {R"({"room": "live"})", "400"},
      {R"({"type": 7})", "400"},
      {R"({"type": "dance"})", "400"},
      {R"({"type": "candidate", "mline": 0, "candidate": "candidate:1 1 UDP 1 1.2.3.4 5 typ host"})",
       "409"},
      {mt::ws_json({{"type", "join"}, {"room", "live"}, {"sdp", "v=0\r\nnonsense"}}), "400"},
      {mt::ws_json({{"type", "join"}, {"room", "live"}, {"role", "king"}, {"sdp", offer}}), "400"},
      {mt::ws_json({{"type", "join"}, {"room", "nosuch"}, {"sdp", offer}}), "404"},
      {mt::ws_json({{"type", "watch"}, {"room", "nosuch"}}), "404"},
      {mt::ws_json({{"type", "join"}, {"room", "live"}, {"sdp", std::string(100000, 'x')}}), "413"},
  };
  for (const auto& c : cases) {
    ws.send(c.message);
    const auto error = ws.take("error", 5);
    ASSERT_TRUE(error) << "no error for " << c.message.substr(0, 80) << "\n" << server.log();
    EXPECT_EQ(error->get("code"), c.code) << c.message.substr(0, 80) << " -> " << error->raw;
    EXPECT_FALSE(error->get("message").empty());
  }
  EXPECT_FALSE(ws.closed());
  EXPECT_EQ(mt::http_get(server.port(), "/healthz").status, 200);
  EXPECT_TRUE(server.process()->running());
}

// Operators' changes reach every watcher: an edit of the room's layout file,
// and an RTMP push that cannot connect.
TEST_F(WebSocket, WatchersGetLayoutAndOutputEvents) {
  mt::ServerUnderTest server("ws-events");
  const std::string layouts = server.dir().file("layouts");
  std::filesystem::create_directories(layouts);
  const std::string layout_file = layouts + "/stage.yaml";
  mt::write_file(layout_file, "name: stage\nregions:\n  - {show: all, arrange: row}\n");
  // Nothing listens on port 1: the push keeps retrying.
  const std::string config = mt::live_room_config(
      {.layout = "stage",
       .layouts_dir = "{dir}/layouts",
       .rtmp = "[{name: cdn, url: \"rtmp://127.0.0.1:1/live/key\", backoff_initial_s: 0.5, "
               "backoff_max_s: 1}]"});
  ASSERT_TRUE(server.start(config)) << server.log();
  mt::WsClient watcher(server.port());
  watcher.send(mt::ws_json({{"type", "watch"}, {"room", "live"}}));
  const auto state = watcher.take("room", 5);
  ASSERT_TRUE(state) << server.log();
  EXPECT_EQ(state->get("layout"), "stage") << state->raw;

  const auto retrying = watcher.take("output_state", 10, "state", "retrying");
  ASSERT_TRUE(retrying) << server.log();
  EXPECT_EQ(retrying->get("name"), "cdn") << retrying->raw;
  EXPECT_EQ(retrying->get("kind"), "rtmp") << retrying->raw;
  EXPECT_FALSE(retrying->get("error").empty()) << retrying->raw;
  EXPECT_EQ(retrying->raw.find("key"), std::string::npos) << "the stream key stays secret";

  mt::write_file(layout_file, "name: stage-column\nregions:\n  - {show: all, arrange: column}\n");
  const auto changed = watcher.take("layout_changed", 5);
  ASSERT_TRUE(changed) << server.log();
  EXPECT_EQ(changed->get("layout"), "stage-column");
}
