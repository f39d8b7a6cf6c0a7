// /metrics from the real server while a room is busy: a test:// participant,
// an RTMP push to a closed port (so it keeps retrying) and a WHEP viewer (a
// webrtcbin peer that decodes the mix). Prometheus's own linter must accept
// the scrape as it is (promtool check metrics: exit 0, no output), and the
// scrape must say what is going on. Runs inside tests/tools/netns-run (ICE
// ignores loopback).
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "auth_support.h"
#include "integration_support.h"
#include "test_support.h"
#include "webrtc_peer.h"

namespace mixcast::testing {
namespace {

constexpr const char* kKey = "mixcast-metrics-admin-key-0123456789";
constexpr const char* kSecret = "mixcast-metrics-token-secret-0123456789abcdef";

// One sample of an exposition: name, labels, value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The samples of a text exposition (comments skipped). Label values are
// unescaped (\\, \", \n).
std::vector<Sample> parse_exposition(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    size_t i = line.find_first_of("{ ");
    if (i == std::string::npos) continue;
    s.name = line.substr(0, i);
    if (line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') break;
        const std::string label = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value += line[j] == 'n' ? '\n' : line[j];
          } else {
            value += line[j];
          }
        }
        s.labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      i = line.find(' ', i);
      if (i == std::string::npos) continue;
    }
    std::istringstream value(line.substr(i + 1));
    value >> s.value;
    samples.push_back(std::move(s));
  }
  return samples;
}

// The value of the one sample of `name` whose labels include `labels`.
std::optional<double> value_of(const std::vector<Sample>& samples, const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [label, value] : labels) {
      auto it = s.labels.find(label);
      if (it == s.labels.end() || it->second != value) all = false;
    }
    if (all) return s.value;
  }
  return std::nullopt;
}

bool promtool_available() {
  int code = -1;
  run_command("command -v promtool >/dev/null 2>&1", &code);
  return code == 0;
}

class MetricsScrape : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(MetricsScrape, PromtoolAcceptsALiveScrapeThatSaysWhatIsGoingOn) {
  if (!promtool_available()) GTEST_SKIP() << "needs promtool (Debian's prometheus package)";
  const int closed_port = free_tcp_port();  // nobody listens: the push keeps retrying
  ServerUnderTest server("metrics-scrape");
  const std::string config =
      std::string(
          "log_level: info\n"
          "http: {address: 127.0.0.1, port: {port}}\n"
          "auth: {api_keys: [") +
      kKey + "], token_secret: " + kSecret +
      "}\n"
      "media: {width: 320, height: 180, fps: 15, video_bitrate_kbps: 300}\n"
      "paths:\n"
      "  layouts: {root}/config/layouts\n"
      "  pipelines: {root}/pipelines\n"
      "  hls: {dir}/hls\n"
      "  recordings: {dir}/recordings\n"
      "rooms:\n"
      "  - name: studio\n"
      "    layout: grid\n"
      "    outputs:\n"
      "      hls: {enabled: false}\n"
      "      recording: {enabled: false}\n"
      "      rtmp:\n"
      "        - {name: cdn, url: \"rtmp://127.0.0.1:" +
      std::to_string(closed_port) +
      "/live/stream\", max_retries: -1, backoff_initial_s: 1, backoff_max_s: 2}\n"
      "    sources:\n"
      "      - {name: Red, uri: \"test://color?color=red&tone=440\"}\n";
  ASSERT_TRUE(server.start(config, 30)) << server.log();
  const Headers admin = bearer(kKey);

  // The viewer: a webrtcbin peer over WHEP, watched until it decodes the mix.
  auto viewer = WebRtcPeer::viewer();
  const std::string offer = viewer->create_offer(true);
  const HttpResponse whep =
      http_send(server.port(), "POST", "/whep/studio", admin, offer, "application/sdp");
  ASSERT_EQ(whep.status, 201) << whep.body << server.log();
  viewer->apply_answer(whep.body);
  ASSERT_TRUE(wait_until([&] { return viewer->frames_received() > 5; }, 30))
      << "the viewer decodes the mix\n"
      << server.log();

  // The push has failed at least once and is waiting or trying again.
  const std::map<std::string, std::string> cdn = {
      {"room", "studio"}, {"output", "cdn"}, {"kind", "rtmp"}};
  ASSERT_TRUE(wait_until(
      [&] {
        const auto now = parse_exposition(http_send(server.port(), "GET", "/metrics", admin).body);
        return value_of(now, "mixcast_output_reconnect_attempt", cdn).value_or(0) >= 1;
      },
      30))
      << server.log();
  // A route of the API has been asked for (and one refused without a key).
  EXPECT_EQ(http_send(server.port(), "GET", "/api/v1/rooms", admin).status, 200);
  EXPECT_EQ(http_send(server.port(), "GET", "/api/v1/rooms", {}).status, 401);
  EXPECT_EQ(http_send(server.port(), "GET", "/metrics", {}).status, 401);

  const HttpResponse scrape = http_send(server.port(), "GET", "/metrics", admin);
  ASSERT_EQ(scrape.status, 200) << scrape.body;
  EXPECT_EQ(header(scrape, "content-type").rfind("text/plain; version=0.0.4", 0), 0u)
      << header(scrape, "content-type");
  write_file(server.dir().file("scrape.txt"), scrape.body);
  int code = -1;
  const std::string lint =
      run_command("promtool check metrics < " + server.dir().file("scrape.txt") + " 2>&1", &code);
  EXPECT_EQ(code, 0) << lint << "\n" << scrape.body;
  EXPECT_EQ(lint, "") << scrape.body;

  const auto samples = parse_exposition(scrape.body);
  const std::map<std::string, std::string> room = {{"room", "studio"}};
  EXPECT_EQ(value_of(samples, "mixcast_rooms"), 1) << scrape.body;
  EXPECT_GE(value_of(samples, "mixcast_participants", room).value_or(0), 1) << scrape.body;
  EXPECT_EQ(value_of(samples, "mixcast_viewers", room), 1) << scrape.body;
  auto state = [&](const char* name) {
    auto labels = cdn;
    labels["state"] = name;
    return value_of(samples, "mixcast_output_state", labels).value_or(-1);
  };
  EXPECT_EQ(state("retrying") + state("connecting"), 1) << scrape.body;
  EXPECT_EQ(state("live"), 0) << scrape.body;
  EXPECT_EQ(state("failed"), 0) << scrape.body;
  EXPECT_TRUE(value_of(samples, "mixcast_output_bytes_total", cdn)) << scrape.body;
  EXPECT_GE(value_of(samples, "mixcast_output_reconnect_attempt", cdn).value_or(0), 1)
      << scrape.body;
  EXPECT_GE(value_of(samples, "mixcast_http_requests_total",
                     {{"route", "/api/v1/rooms"}, {"method", "GET"}, {"status", "200"}})
                .value_or(0),
            1)
      << scrape.body;
  EXPECT_GE(value_of(samples, "mixcast_http_requests_total",
                     {{"route", "/api/v1/rooms"}, {"method", "GET"}, {"status", "401"}})
                .value_or(0),
            1)
      << scrape.body;
  EXPECT_GT(value_of(samples, "mixcast_video_frames_encoded_total", room).value_or(0), 0)
      << scrape.body;
  EXPECT_GT(value_of(samples, "process_resident_memory_bytes").value_or(0), 1e6) << scrape.body;
  // The exposition holds no credential (the RTMP URL's stream key is no
  // label either).
  EXPECT_EQ(scrape.body.find(kKey), std::string::npos);
  EXPECT_EQ(scrape.body.find(kSecret), std::string::npos);
  EXPECT_EQ(server.log().find(kKey), std::string::npos);
  EXPECT_EQ(server.log().find(kSecret), std::string::npos);

  // The viewer leaves: the gauge follows.
  const std::string session = whep.headers.count("location") ? whep.headers.at("location") : "";
  EXPECT_EQ(http_send(server.port(), "DELETE", session, admin).status, 200);
  viewer.reset();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto now = parse_exposition(http_send(server.port(), "GET", "/metrics", admin).body);
        return value_of(now, "mixcast_viewers", room) == 0;
      },
      10));
  // What the viewer's branch freed goes back to the system a moment later.
  std::vector<Sample> after_trim;
  EXPECT_TRUE(wait_until(
      [&] {
        after_trim = parse_exposition(http_send(server.port(), "GET", "/metrics", admin).body);
        return value_of(after_trim, "mixcast_heap_trims_total").value_or(0) >= 1;
      },
      10))
      << "no malloc_trim after the viewer's teardown";
  EXPECT_TRUE(value_of(after_trim, "mixcast_heap_returned_bytes_total"));
  EXPECT_GT(value_of(after_trim, "mixcast_heap_allocated_bytes").value_or(0), 1e6);
  EXPECT_TRUE(value_of(after_trim, "mixcast_heap_free_bytes"));
  EXPECT_EQ(server.process()->stop(SIGTERM, 15), 0) << server.log();
}

}  // namespace
}  // namespace mixcast::testing
