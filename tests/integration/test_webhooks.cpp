// Webhooks end to end: the real server posts room events to a receiver run
// by the test on loopback. The receiver checks every signature with its own
// Standard Webhooks implementation (GLib's HMAC-SHA256 and base64, nothing
// shared with the server's OpenSSL code) and records what arrived, in order.
//
// The receiver answers each request on its own connection and closes it, so
// when it "goes down" (stops listening) nothing of it is left: every attempt
// of the server's sender is refused until it listens again.
#include <arpa/inet.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration_support.h"
#include "test_support.h"

namespace mixcast::testing {
namespace {

using Clock = std::chrono::steady_clock;

// 32 bytes of key, base64: the secret as an operator writes it in the config.
const char* const kSecret = "whsec_bWl4Y2FzdC13ZWJob29rLXRlc3Qta2V5LTMyYnl0ZXMh";

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>", computed with GLib only.
std::string expected_signature(const std::string& secret, const std::string& id,
                               const std::string& timestamp, const std::string& body) {
  gsize key_len = 0;
  guchar* key = g_base64_decode(secret.substr(6).c_str(), &key_len);
  const std::string content = id + "." + timestamp + "." + body;
  gchar* hex =
      g_compute_hmac_for_data(G_CHECKSUM_SHA256, key, key_len,
                              reinterpret_cast<const guchar*>(content.data()), content.size());
  g_free(key);
  std::vector<guchar> digest;
  for (size_t i = 0; hex[i] && hex[i + 1]; i += 2)
    digest.push_back(
        static_cast<guchar>(g_ascii_xdigit_value(hex[i]) * 16 + g_ascii_xdigit_value(hex[i + 1])));
  g_free(hex);
  gchar* b64 = g_base64_encode(digest.data(), digest.size());
  std::string out = std::string("v1,") + b64;
  g_free(b64);
  return out;
}

// One POST as the receiver got it.
struct Delivery {
  std::string id;         // webhook-id
  std::string timestamp;  // webhook-timestamp (unix seconds)
  std::string signature;  // webhook-signature
  std::string content_type;
  std::string body;
  bool signature_ok = false;
  bool timestamp_fresh = false;  // within 5 minutes of the receiver's clock
  std::string type;              // body "type"
  std::string room;              // body "data.room"
  Clock::time_point at;
  std::string data(const std::string& field) const {
    return json_get(body, "data." + field).value_or("");
  }
};

class WebhookReceiver {
 public:
  WebhookReceiver(int port, std::string secret) : port_(port), secret_(std::move(secret)) {}
  ~WebhookReceiver() { stop_listening(); }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  bool listen() {
    stop_listening();
    // Not inherited by the server (a child of this process): closing must close it.
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
      close(fd_);
      fd_ = -1;
      return false;
    }
    running_ = true;
    thread_ = std::thread([this] { run(); });
    return true;
  }

  // Closes the listening socket: connections are refused from now on.
  void stop_listening() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  std::vector<Delivery> deliveries() const {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return deliveries_.size();
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }

 private:
  void run() {
    while (running_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      serve(client);
      close(client);
    }
  }

  // One request: headers, then a Content-Length or chunked body.
  void serve(int client) {
    timeval tv{5, 0};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string raw;
    char buf[8192];
    size_t head_end = std::string::npos;
    while ((head_end = raw.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t n = recv(client, buf, sizeof buf, 0);
      if (n <= 0) return problem("connection closed before the headers ended");
      raw.append(buf, static_cast<size_t>(n));
    }
    std::string request_line;
    std::map<std::string, std::string> headers;
    {
      size_t start = 0;
      bool first = true;
      while (start < head_end) {
        size_t end = raw.find("\r\n", start);
        const std::string line = raw.substr(start, end - start);
        start = end + 2;
        if (first) {
          request_line = line;
          first = false;
          continue;
        }
        const size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(g_ascii_tolower(c));
        const size_t value = line.find_first_not_of(' ', colon + 1);
        headers[name] = value == std::string::npos ? "" : line.substr(value);
      }
    }
    std::string rest = raw.substr(head_end + 4);
    auto read_more = [&] {
      const ssize_t n = recv(client, buf, sizeof buf, 0);
      if (n <= 0) return false;
      rest.append(buf, static_cast<size_t>(n));
      return true;
    };
    std::string body;
    if (headers.count("content-length")) {
      const size_t length = std::stoul(headers["content-length"]);
      while (rest.size() < length)
        if (!read_more()) return problem("body shorter than its Content-Length");
      body = rest.substr(0, length);
    } else if (headers["transfer-encoding"].find("chunked") != std::string::npos) {
      size_t at = 0;
      for (;;) {
        size_t eol;
        while ((eol = rest.find("\r\n", at)) == std::string::npos)
          if (!read_more()) return problem("chunked body cut short");
        const size_t size = std::stoul(rest.substr(at, eol - at), nullptr, 16);
        while (rest.size() < eol + 2 + size + 2)
          if (!read_more()) return problem("chunk cut short");
        if (size == 0) break;
        body += rest.substr(eol + 2, size);
        at = eol + 2 + size + 2;
      }
    }
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    send(client, reply.data(), reply.size(), MSG_NOSIGNAL);

    Delivery d;
    d.at = Clock::now();
    d.id = headers["webhook-id"];
    d.timestamp = headers["webhook-timestamp"];
    d.signature = headers["webhook-signature"];
    d.content_type = headers["content-type"];
    d.body = body;
    d.type = json_get(body, "type").value_or("");
    d.room = json_get(body, "data.room").value_or("");
    // The header may carry several signatures, space separated.
    const std::string expected = expected_signature(secret_, d.id, d.timestamp, body);
    gchar** parts = g_strsplit(d.signature.c_str(), " ", -1);
    for (gchar** p = parts; *p; ++p) d.signature_ok = d.signature_ok || expected == *p;
    g_strfreev(parts);
    const long long sent = std::atoll(d.timestamp.c_str());
    d.timestamp_fresh = std::llabs(sent - static_cast<long long>(std::time(nullptr))) < 300;
    if (request_line.rfind("POST /hook ", 0) != 0) problem("unexpected request: " + request_line);
    std::lock_guard lock(mutex_);
    deliveries_.push_back(std::move(d));
  }

  void problem(const std::string& what) {
    std::lock_guard lock(mutex_);
    problems_.push_back(what);
  }

  const int port_;
  const std::string secret_;
  int fd_ = -1;
  std::atomic<bool> running_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> problems_;
};

// Each event once (a retried event keeps its webhook-id), in arrival order.
std::vector<Delivery> unique_events(const std::vector<Delivery>& all) {
  std::vector<Delivery> out;
  std::set<std::string> seen;
  for (const auto& d : all)
    if (seen.insert(d.id).second) out.push_back(d);
  return out;
}

std::vector<Delivery> of_room(const std::vector<Delivery>& events, const std::string& room) {
  std::vector<Delivery> out;
  for (const auto& d : events)
    if (d.room == room) out.push_back(d);
  return out;
}

// Index of the first event of `type` whose data field `key` is `value`; -1 if none.
int find_event(const std::vector<Delivery>& events, const std::string& type,
               const std::string& key = "", const std::string& value = "") {
  for (size_t i = 0; i < events.size(); ++i)
    if (events[i].type == type && (key.empty() || events[i].data(key) == value))
      return static_cast<int>(i);
  return -1;
}

std::string describe(const std::vector<Delivery>& events) {
  std::string out;
  for (const auto& d : events) {
    out += "  " + d.type + " " + d.room;
    for (const char* key : {"id", "name", "state", "layout", "reason"})
      if (!d.data(key).empty()) out += std::string(" ") + key + "=" + d.data(key);
    out += "\n";
  }
  return out;
}

std::string config(const WebhookReceiver& receiver, const std::string& room_outputs) {
  return "log_level: info\n"
         "http: {port: {port}}\n"
         "media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800, "
         "video_encoder: x264, keyframe_interval_s: 1}\n"
         "paths:\n"
         "  layouts: {root}/config/layouts\n"
         "  pipelines: {root}/pipelines\n"
         "  hls: {dir}/hls\n"
         "  recordings: {dir}/recordings\n"
         "webhooks:\n"
         "  targets:\n"
         "    - url: " +
         receiver.url() +
         "\n"
         "      secret: " +
         kSecret +
         "\n"
         "  backoff_max_s: 2\n"
         "rooms:\n"
         "  - name: hooks\n"
         "    layout: grid\n"
         "    outputs: " +
         room_outputs +
         "\n"
         "    sources:\n"
         "      - {name: Alice, uri: \"test://color?color=red&tone=440\"}\n"
         "      - {name: Bob, uri: \"test://color?color=blue&tone=620\"}\n";
}

// Every delivery is signed right, fresh and JSON with a type and a timestamp.
void expect_well_formed(const std::vector<Delivery>& all) {
  for (const auto& d : all) {
    EXPECT_TRUE(d.signature_ok) << "bad signature on " << d.id << ": " << d.signature << "\n"
                                << d.body;
    EXPECT_TRUE(d.timestamp_fresh) << d.id << " webhook-timestamp " << d.timestamp;
    EXPECT_EQ(d.content_type.rfind("application/json", 0), 0u) << d.content_type;
    EXPECT_FALSE(d.id.empty());
    EXPECT_FALSE(d.type.empty()) << d.body;
    EXPECT_FALSE(d.room.empty()) << d.body;
    EXPECT_TRUE(json_get(d.body, "timestamp")) << d.body;
  }
  // A redelivery repeats the same event exactly.
  std::map<std::string, std::string> body_of;
  for (const auto& d : all) {
    auto [it, fresh] = body_of.emplace(d.id, d.body);
    if (!fresh) {
      EXPECT_EQ(it->second, d.body) << "two bodies under one webhook-id " << d.id;
    }
  }
}

TEST(Webhooks, EveryEventIsSignedAndEachRoomsEventsArriveInOrder) {
  WebhookReceiver receiver(free_tcp_port(), kSecret);
  ASSERT_TRUE(receiver.listen());
  ServerUnderTest server("webhooks-order");
  ASSERT_TRUE(server.start(config(
      receiver, "{hls: {enabled: true, segment_s: 1}, recording: {enabled: false}, rtmp: []}")))
      << server.log();
  const int port = server.port();

  // The config room started; its HLS went live.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto events = unique_events(receiver.deliveries());
        return find_event(events, "room.started", "room", "hooks") >= 0 &&
               find_event(events, "output.state_changed", "state", "live") >= 0;
      },
      20))
      << describe(receiver.deliveries()) << server.log();

  // A room created over the API.
  const HttpResponse extra =
      http_json(port, "POST", "/api/v1/rooms",
                "{\"name\": \"extra\", \"outputs\": {\"hls\": {\"enabled\": false}, \"recording\": "
                "{\"enabled\": false}}}");
  ASSERT_EQ(extra.status, 201) << extra.body;

  // A source added and removed, a layout switch, then both rooms deleted.
  const HttpResponse added =
      http_json(port, "POST", "/api/v1/rooms/hooks/sources",
                "{\"name\": \"Carol\", \"uri\": \"test://color?color=yellow&tone=820\"}");
  ASSERT_EQ(added.status, 201) << added.body;
  const std::string carol = json_get(added.body, "id").value_or("");
  ASSERT_TRUE(wait_until(
      [&] {
        const auto room = room_info(server, "hooks");
        return room && room->participant(carol);
      },
      5));
  sleep_s(0.5);
  EXPECT_EQ(http_exchange(port, "DELETE", "/api/v1/rooms/hooks/sources/" + carol).status, 204);
  const HttpResponse layout =
      http_json(port, "PUT", "/api/v1/rooms/hooks/layout", "{\"name\": \"speaker\"}");
  EXPECT_EQ(layout.status, 200) << layout.body;
  EXPECT_EQ(http_exchange(port, "DELETE", "/api/v1/rooms/extra", {}, "", 30).status, 204);
  EXPECT_EQ(http_exchange(port, "DELETE", "/api/v1/rooms/hooks", {}, "", 30).status, 204);

  ASSERT_TRUE(wait_until(
      [&] {
        const auto events = unique_events(receiver.deliveries());
        return find_event(events, "room.finished", "room", "hooks") >= 0 &&
               find_event(events, "room.finished", "room", "extra") >= 0;
      },
      20))
      << describe(receiver.deliveries()) << server.log();
  sleep_s(1);  // anything that would wrongly come after room.finished

  const auto all = receiver.deliveries();
  EXPECT_TRUE(receiver.problems().empty()) << receiver.problems().front();
  expect_well_formed(all);
  const auto events = unique_events(all);
  const auto hooks = of_room(events, "hooks");
  SCOPED_TRACE("events of room hooks:\n" + describe(hooks));
  ASSERT_FALSE(hooks.empty());
  EXPECT_EQ(hooks.front().type, "room.started") << "room.started comes first";
  EXPECT_EQ(hooks.back().type, "room.finished") << "room.finished comes last";
  const int alice = find_event(hooks, "participant.joined", "name", "Alice");
  const int bob = find_event(hooks, "participant.joined", "name", "Bob");
  const int hls_live = find_event(hooks, "output.state_changed", "state", "live");
  const int joined = find_event(hooks, "participant.joined", "id", carol);
  const int left = find_event(hooks, "participant.left", "id", carol);
  const int switched = find_event(hooks, "layout.changed", "layout", "speaker");
  EXPECT_GT(alice, 0) << "the config sources join after room.started";
  EXPECT_GT(bob, 0);
  EXPECT_GT(hls_live, 0);
  ASSERT_GE(joined, 0) << "no participant.joined for " << carol;
  ASSERT_GE(left, 0) << "no participant.left for " << carol;
  ASSERT_GE(switched, 0) << "no layout.changed";
  EXPECT_LT(joined, left);
  EXPECT_LT(left, switched) << "the layout was switched after Carol left";
  EXPECT_EQ(hooks[joined].data("name"), "Carol");
  EXPECT_FALSE(hooks[left].data("reason").empty()) << hooks[left].body;
  // Deleting the room stops its outputs before it finishes.
  const int hls_stopped = find_event(hooks, "output.state_changed", "state", "stopped");
  EXPECT_GT(hls_stopped, switched);
  EXPECT_EQ(hooks[hls_live].data("name"), "hls");
  EXPECT_EQ(hooks[hls_live].data("kind"), "hls");
  for (size_t i = 1; i < hooks.size(); ++i)
    EXPECT_LE(json_get(hooks[i - 1].body, "timestamp").value_or(""),
              json_get(hooks[i].body, "timestamp").value_or(""))
        << "event " << i << " is older than the one before it";

  const auto extra_events = of_room(events, "extra");
  SCOPED_TRACE("events of room extra:\n" + describe(extra_events));
  ASSERT_GE(extra_events.size(), 2u);
  EXPECT_EQ(extra_events.front().type, "room.started");
  EXPECT_EQ(extra_events.back().type, "room.finished");
}

TEST(Webhooks, AReceiverDownFor30sGetsEveryEventInOrderAndTheMediaNeverStalls) {
  WebhookReceiver receiver(free_tcp_port(), kSecret);
  ASSERT_TRUE(receiver.listen());
  ServerUnderTest server("webhooks-outage");
  ASSERT_TRUE(server.start(
      config(receiver, "{hls: {enabled: false}, recording: {enabled: false}, rtmp: []}")))
      << server.log();
  const int port = server.port();
  ASSERT_TRUE(wait_until(
      [&] {
        return find_event(unique_events(receiver.deliveries()), "participant.joined", "name",
                          "Bob") >= 0;
      },
      20))
      << describe(receiver.deliveries()) << server.log();
  sleep_s(1);

  receiver.stop_listening();
  ASSERT_FALSE(tcp_port_open(receiver.port()))
      << run_command("ss -tanp 2>&1 | grep :" + std::to_string(receiver.port()));
  const size_t delivered_before = receiver.count();
  const size_t events_before = unique_events(receiver.deliveries()).size();

  // While it is down: a source joins every second and the previous one leaves.
  struct Expected {
    std::string type;
    std::string id;
  };
  std::vector<Expected> expected;
  std::vector<std::string> slow_calls;
  double slowest = 0;
  std::vector<int64_t> frames;
  std::string previous;
  const auto outage_start = Clock::now();
  int n = 0;
  while (seconds_since(outage_start) < 30) {
    const auto tick = Clock::now();
    auto timed = [&](const std::string& what, const std::function<HttpResponse()>& call) {
      const auto t0 = Clock::now();
      HttpResponse r = call();
      const double s = seconds_since(t0);
      slowest = std::max(slowest, s);
      // A loop blocked by webhook I/O would wait out a 5 s attempt timeout;
      // 2 s leaves room for a loaded machine.
      if (s > 2.0) slow_calls.push_back(what + " took " + std::to_string(s) + " s");
      return r;
    };
    const std::string name = "Guest" + std::to_string(++n);
    const HttpResponse added = timed("POST source", [&] {
      return http_json(port, "POST", "/api/v1/rooms/hooks/sources",
                       "{\"name\": \"" + name + "\", \"uri\": \"test://color?color=yellow&tone=" +
                           std::to_string(300 + 10 * n) + "\"}");
    });
    EXPECT_EQ(added.status, 201) << added.body;
    const std::string id = json_get(added.body, "id").value_or("");
    if (!id.empty()) expected.push_back({"participant.joined", id});
    if (!previous.empty()) {
      const HttpResponse removed = timed("DELETE source", [&] {
        return http_exchange(port, "DELETE", "/api/v1/rooms/hooks/sources/" + previous);
      });
      EXPECT_EQ(removed.status, 204) << removed.body;
      expected.push_back({"participant.left", previous});
    }
    previous = id;
    const HttpResponse room = timed("GET room", [&] { return server.get("/api/v1/rooms/hooks"); });
    EXPECT_EQ(room.status, 200);
    frames.push_back(json_get(room.body, "video_frames_encoded")
                         ? std::stoll(*json_get(room.body, "video_frames_encoded"))
                         : -1);
    sleep_s(std::max(0.0, 1.0 - seconds_since(tick)));
  }
  EXPECT_EQ(receiver.count(), delivered_before) << "something was delivered while it was down";
  EXPECT_TRUE(server.process()->running());

  // Back up, out of step with the sender's retries (they are anchored to the
  // first failure, as the ticks above are): every event arrives, in the
  // order it happened, within a backoff_max_s wait.
  sleep_s(0.7);
  ASSERT_TRUE(receiver.listen());
  const auto back = Clock::now();
  auto arrived = [&] {
    const auto events = of_room(unique_events(receiver.deliveries()), "hooks");
    for (const auto& e : expected)
      if (find_event(events, e.type, "id", e.id) < 0) return false;
    return true;
  };
  EXPECT_TRUE(wait_until(arrived, 30))
      << "missing events after the receiver came back; got:\n"
      << describe(of_room(unique_events(receiver.deliveries()), "hooks")) << server.log();
  std::printf(
      "[ webhooks ] %zu events of the outage delivered %.1f s after the receiver returned\n",
      expected.size(), seconds_since(back));
  EXPECT_LT(seconds_since(back), 2 + 4) << "longer than backoff_max_s (2 s) and a margin";

  const auto all = receiver.deliveries();
  EXPECT_TRUE(receiver.problems().empty()) << receiver.problems().front();
  expect_well_formed(all);
  const auto events = of_room(unique_events(all), "hooks");
  int last = -1;
  for (const auto& e : expected) {
    const int at = find_event(events, e.type, "id", e.id);
    if (at < 0) continue;  // reported above
    EXPECT_GT(at, last) << e.type << " " << e.id << " arrived out of order\n" << describe(events);
    last = at;
  }
  EXPECT_EQ(unique_events(all).size() - events_before, expected.size())
      << "exactly the outage's events, each once:\n"
      << describe(events);

  // Meanwhile the media never stalled and the API answered at once.
  ASSERT_GE(frames.size(), 25u);
  for (size_t i = 1; i < frames.size(); ++i)
    EXPECT_GT(frames[i], frames[i - 1]) << "no new frame encoded in second " << i;
  EXPECT_GT(frames.back() - frames.front(), 20 * static_cast<int64_t>(frames.size() - 1))
      << "about 30 frames a second";
  std::printf("[ webhooks ] slowest API call during the outage: %.3f s; %lld frames in %zu s\n",
              slowest, static_cast<long long>(frames.back() - frames.front()), frames.size() - 1);
  EXPECT_TRUE(slow_calls.empty()) << slow_calls.size()
                                  << " slow API calls, first: " << slow_calls.front();
  EXPECT_NE(server.log().find("failing"), std::string::npos) << "the outage is logged";
}

}  // namespace
}  // namespace mixcast::testing
