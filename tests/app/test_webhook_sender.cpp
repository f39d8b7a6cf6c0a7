// WebhookSender against real HTTP receivers on loopback (libsoup servers on
// their own threads). Every request's signature is checked with GLib's HMAC
// and base64, independent of the OpenSSL code that made it.
#include <arpa/inet.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/webhook_sender.h"

using namespace mixcast;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kOtherSecret = "whsec_c2Vjb25kIHRhcmdldCBrZXkgMzIgYnl0ZXMhIQ==";

template <typename T>
struct GObjectUnref {
  void operator()(T* p) const { g_object_unref(p); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref<T>>;

struct GFreeDeleter {
  void operator()(void* p) const { g_free(p); }
};

// The Standard Webhooks check, with GLib only: base64 key after "whsec_",
// HMAC-SHA256 over "id.timestamp.body", "v1," + base64 among the
// space-separated signatures.
bool signature_valid(const std::string& secret, const std::string& id, const std::string& timestamp,
                     const std::string& body, const std::string& header) {
  if (secret.rfind("whsec_", 0) != 0) return false;
  gsize key_size = 0;
  std::unique_ptr<guchar, GFreeDeleter> key(g_base64_decode(secret.c_str() + 6, &key_size));
  std::unique_ptr<GHmac, decltype(&g_hmac_unref)> hmac(
      g_hmac_new(G_CHECKSUM_SHA256, key.get(), key_size), &g_hmac_unref);
  const std::string content = id + "." + timestamp + "." + body;
  g_hmac_update(hmac.get(), reinterpret_cast<const guchar*>(content.data()),
                static_cast<gssize>(content.size()));
  guint8 digest[32];
  gsize digest_size = sizeof digest;
  g_hmac_get_digest(hmac.get(), digest, &digest_size);
  std::unique_ptr<gchar, GFreeDeleter> encoded(g_base64_encode(digest, digest_size));
  const std::string expected = std::string("v1,") + encoded.get();
  size_t start = 0;
  while (start <= header.size()) {
    const size_t end = std::min(header.find(' ', start), header.size());
    if (header.substr(start, end - start) == expected) return true;
    start = end + 1;
  }
  return false;
}

// One request as the receiver saw it.
struct Request {
  std::string id;
  std::string timestamp;
  std::string body;
  std::string content_type;
  bool signature_ok = false;
  int64_t timestamp_skew_s = 0;  // header timestamp minus the receiver's clock
  // From the body: {"type", "timestamp", "data": {"room", "n"}}.
  bool body_ok = false;
  std::string type;
  std::string room;
  int n = -1;
  int attempt = 0;  // 1 for the first request with this id
};

void parse_body(Request& r) {
  GObjectPtr<JsonParser> parser(json_parser_new());
  if (!json_parser_load_from_data(parser.get(), r.body.c_str(), -1, nullptr)) return;
  JsonNode* root = json_parser_get_root(parser.get());
  if (!JSON_NODE_HOLDS_OBJECT(root)) return;
  JsonObject* o = json_node_get_object(root);
  if (!json_object_has_member(o, "type") || !json_object_has_member(o, "timestamp") ||
      !json_object_has_member(o, "data"))
    return;
  r.type = json_object_get_string_member(o, "type");
  static const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  if (!std::regex_match(std::string(json_object_get_string_member(o, "timestamp")), rfc3339))
    return;
  JsonObject* data = json_object_get_object_member(o, "data");
  if (!data) return;
  r.room = json_object_get_string_member(data, "room");
  r.n = static_cast<int>(json_object_get_int_member(data, "n"));
  r.body_ok = true;
}

// An HTTP receiver on 127.0.0.1. Its port is bound from the start but it
// refuses connections until listen() (a bound TCP socket that does not
// listen answers SYN with RST), so a test can hold "the receiver is down"
// on a port it knows.
class Receiver {
 public:
  // The status to answer a request with (its `attempt` counted already).
  using Policy = std::function<int(const Request&)>;

  explicit Receiver(std::string secret, bool listening = true) : secret_(std::move(secret)) {
    socket_.reset(g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_DEFAULT, nullptr));
    GObjectPtr<GInetAddress> loopback(g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4));
    GObjectPtr<GSocketAddress> address(g_inet_socket_address_new(loopback.get(), 0));
    g_socket_bind(socket_.get(), address.get(), TRUE, nullptr);
    GObjectPtr<GSocketAddress> bound(g_socket_get_local_address(socket_.get(), nullptr));
    port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound.get()));

    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    std::promise<void> ready;
    thread_ = std::thread([this, &ready] {
      g_main_context_push_thread_default(context_);
      server_ = soup_server_new(nullptr, nullptr);
      soup_server_add_handler(server_, nullptr, &Receiver::on_request_cb, this, nullptr);
      ready.set_value();
      g_main_loop_run(loop_);
      soup_server_disconnect(server_);
      g_object_unref(server_);
      g_main_context_pop_thread_default(context_);
    });
    ready.get_future().wait();
    if (listening) listen();
  }

  ~Receiver() {
    g_main_context_invoke(
        context_,
        [](gpointer loop) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop*>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_);
    thread_.join();
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  void listen() {
    std::promise<bool> done;
    struct Call {
      Receiver* self;
      std::promise<bool>* done;
    } call{this, &done};
    g_main_context_invoke(
        context_,
        [](gpointer data) -> gboolean {
          auto* c = static_cast<Call*>(data);
          GError* error = nullptr;
          const bool ok =
              g_socket_listen(c->self->socket_.get(), &error) &&
              soup_server_listen_socket(c->self->server_, c->self->socket_.get(),
                                        static_cast<SoupServerListenOptions>(0), &error);
          if (error) {
            ADD_FAILURE() << "receiver listen: " << error->message;
            g_error_free(error);
          }
          c->done->set_value(ok);
          return G_SOURCE_REMOVE;
        },
        &call);
    ASSERT_TRUE(done.get_future().get());
  }

  void set_policy(Policy policy) {
    std::lock_guard lock(mutex_);
    policy_ = std::move(policy);
  }

  // Waits until `n` requests were answered 2xx.
  bool wait_accepted(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return accepted_.size() >= n; });
  }
  bool wait_requests(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return all_.size() >= n; });
  }
  std::vector<Request> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<Request> all() const {
    std::lock_guard lock(mutex_);
    return all_;
  }

 private:
  static void on_request_cb(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*,
                            gpointer self) {
    static_cast<Receiver*>(self)->on_request(msg);
  }

  void on_request(SoupServerMessage* msg) {
    SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
    auto header = [&](const char* name) {
      const char* value = soup_message_headers_get_one(headers, name);
      return std::string(value ? value : "");
    };
    Request r;
    r.id = header("webhook-id");
    r.timestamp = header("webhook-timestamp");
    r.content_type = header("Content-Type");
    GBytes* body = soup_message_body_flatten(soup_server_message_get_request_body(msg));
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(body, &size));
    r.body.assign(data ? data : "", size);
    g_bytes_unref(body);
    r.signature_ok =
        signature_valid(secret_, r.id, r.timestamp, r.body, header("webhook-signature"));
    r.timestamp_skew_s =
        std::atoll(r.timestamp.c_str()) - static_cast<int64_t>(g_get_real_time() / 1000000);
    parse_body(r);

    int status = 200;
    {
      std::lock_guard lock(mutex_);
      r.attempt = ++attempts_[r.id];
      if (policy_) status = policy_(r);
      if (!r.signature_ok) status = 401;
      all_.push_back(r);
      if (status >= 200 && status < 300) accepted_.push_back(r);
    }
    changed_.notify_all();
    soup_server_message_set_status(msg, status, nullptr);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, "ok", 2);
  }

  const std::string secret_;
  GObjectPtr<GSocket> socket_;
  int port_ = 0;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  SoupServer* server_ = nullptr;  // receiver thread only
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Policy policy_;
  std::map<std::string, int> attempts_;
  std::vector<Request> all_;
  std::vector<Request> accepted_;
};

// A TCP port that accepts connections (the kernel completes the handshake)
// and never reads or answers: a receiver that hangs.
class HangingPort {
 public:
  HangingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HangingPort() { close(fd_); }
  HangingPort(const HangingPort&) = delete;
  HangingPort& operator=(const HangingPort&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string event_data(const std::string& room, int n) {
  return "{\"room\":\"" + room + "\",\"n\":" + std::to_string(n) + "}";
}

WebhookConfig fast_config(std::vector<WebhookTarget> targets) {
  WebhookConfig config;
  config.targets = std::move(targets);
  config.backoff_initial_s = 0.05;
  config.backoff_max_s = 0.2;
  config.timeout_s = 5;
  return config;
}

// Every request signed, well-formed and fresh; per room, the accepted
// events are exactly `expected` in that order (no loss, no duplicate).
void expect_delivered(const Receiver& receiver,
                      const std::map<std::string, std::vector<int>>& expected) {
  for (const Request& r : receiver.all()) {
    EXPECT_TRUE(r.signature_ok) << r.id;
    EXPECT_TRUE(r.body_ok) << r.body;
    EXPECT_EQ(r.type, "room.test") << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_TRUE(r.id.rfind("msg_", 0) == 0) << r.id;
    EXPECT_LE(std::abs(r.timestamp_skew_s), 5) << r.timestamp;
  }
  std::map<std::string, std::vector<int>> got;
  std::set<std::string> ids;
  for (const Request& r : receiver.accepted()) {
    got[r.room].push_back(r.n);
    EXPECT_TRUE(ids.insert(r.id).second) << "accepted twice: " << r.id;
  }
  EXPECT_EQ(got, expected);
}

// The receiver records a request before the sender has read the answer:
// stats settle a moment later.
WebhookSender::Stats settled_stats(const WebhookSender& sender, uint64_t delivered) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto stats = sender.stats();
  while ((stats.delivered < delivered || stats.queued > 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
    stats = sender.stats();
  }
  return stats;
}

std::vector<int> range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

}  // namespace

TEST(WebhookSender, DeliversEveryEventSignedAndInOrderPerRoom) {
  Receiver receiver(kSecret);
  WebhookSender sender(fast_config({{receiver.url(), kSecret}}));
  for (int n = 0; n < 40; ++n)
    for (const char* room : {"alpha", "beta", "gamma"})
      sender.enqueue(room, "room.test", event_data(room, n));
  ASSERT_TRUE(receiver.wait_accepted(120, 20s));
  expect_delivered(receiver,
                   {{"alpha", range(0, 40)}, {"beta", range(0, 40)}, {"gamma", range(0, 40)}});
  const auto stats = settled_stats(sender, 120);
  EXPECT_EQ(stats.delivered, 120u);
  EXPECT_EQ(stats.failed_attempts, 0u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(WebhookSender, ConcurrentCallersKeepEachRoomInOrder) {
  Receiver receiver(kSecret);
  WebhookSender sender(fast_config({{receiver.url(), kSecret}}));
  std::vector<std::thread> callers;
  for (const char* room : {"alpha", "beta", "gamma", "delta"})
    callers.emplace_back([&sender, room] {
      for (int n = 0; n < 50; ++n) sender.enqueue(room, "room.test", event_data(room, n));
    });
  for (auto& t : callers) t.join();
  ASSERT_TRUE(receiver.wait_accepted(200, 20s));
  expect_delivered(receiver, {{"alpha", range(0, 50)},
                              {"beta", range(0, 50)},
                              {"gamma", range(0, 50)},
                              {"delta", range(0, 50)}});
}

TEST(WebhookSender, TheTypeIsEscapedAndEmptyDataIsNull) {
  Receiver receiver(kSecret);
  WebhookSender sender(fast_config({{receiver.url(), kSecret}}));
  const std::string type = "odd \"type\"\\\n\x01";
  sender.enqueue("r", type, "");
  ASSERT_TRUE(receiver.wait_accepted(1, 10s));
  const Request r = receiver.accepted().at(0);
  EXPECT_TRUE(r.signature_ok);
  GObjectPtr<JsonParser> parser(json_parser_new());
  ASSERT_TRUE(json_parser_load_from_data(parser.get(), r.body.c_str(), -1, nullptr)) << r.body;
  JsonObject* o = json_node_get_object(json_parser_get_root(parser.get()));
  EXPECT_EQ(json_object_get_string_member(o, "type"), type);
  EXPECT_TRUE(JSON_NODE_HOLDS_NULL(json_object_get_member(o, "data"))) << r.body;
}

TEST(WebhookSender, EachTargetSignsWithItsOwnSecret) {
  Receiver first(kSecret);
  Receiver second(kOtherSecret);
  WebhookSender sender(fast_config({{first.url(), kSecret}, {second.url(), kOtherSecret}}));
  for (int n = 0; n < 5; ++n) sender.enqueue("r", "room.test", event_data("r", n));
  ASSERT_TRUE(first.wait_accepted(5, 10s));
  ASSERT_TRUE(second.wait_accepted(5, 10s));
  expect_delivered(first, {{"r", range(0, 5)}});
  expect_delivered(second, {{"r", range(0, 5)}});
  // The same event has the same id at both.
  EXPECT_EQ(first.accepted()[0].id, second.accepted()[0].id);
  EXPECT_EQ(settled_stats(sender, 10).delivered, 10u);
}

TEST(WebhookSender, QueuedEventsArriveInOrderOnceTheReceiverIsUp) {
  Receiver receiver(kSecret, /*listening=*/false);
  WebhookConfig config = fast_config({{receiver.url("/hook?token=do-not-log"), kSecret}});
  config.backoff_initial_s = 0.1;
  config.backoff_max_s = 0.5;
  testing::internal::CaptureStderr();
  std::string logs;
  {
    WebhookSender sender(config);
    for (int n = 0; n < 20; ++n)
      for (const char* room : {"alpha", "beta"})
        sender.enqueue(room, "room.test", event_data(room, n));
    std::this_thread::sleep_for(3s);  // refused all along, retried with backoff
    auto stats = sender.stats();
    EXPECT_EQ(stats.delivered, 0u);
    EXPECT_GE(stats.failed_attempts, 4u);
    // Backoff 0.1, 0.2, 0.4, 0.5, 0.5 ... s for the target, not for each of
    // the two rooms: 8 attempts in 3 s at most (16 if each room retried).
    EXPECT_LE(stats.failed_attempts, 10u);
    EXPECT_EQ(stats.queued, 40u);

    receiver.listen();
    ASSERT_TRUE(receiver.wait_accepted(40, 15s));
    expect_delivered(receiver, {{"alpha", range(0, 20)}, {"beta", range(0, 20)}});
    stats = settled_stats(sender, 40);
    EXPECT_EQ(stats.delivered, 40u);
    EXPECT_EQ(stats.dropped, 0u);
    EXPECT_EQ(stats.queued, 0u);
  }
  logs = testing::internal::GetCapturedStderr();
  // One warning for the streak, one line for the recovery; no secret, no query.
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = logs.find(needle); at != std::string::npos; at = logs.find(needle, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("failing"), 1u) << logs;
  EXPECT_EQ(count("recovered"), 1u) << logs;
  EXPECT_EQ(count("MfKQ9r8G"), 0u) << logs;
  EXPECT_EQ(count("do-not-log"), 0u) << logs;
}

TEST(WebhookSender, OverTheQueueLimitTheOldestAreDroppedAndTheNewestKept) {
  Receiver receiver(kSecret, /*listening=*/false);
  WebhookConfig config = fast_config({{receiver.url(), kSecret}});
  config.queue_limit = 5;
  config.backoff_initial_s = 2;  // long enough that no attempt is in flight while we enqueue
  config.backoff_max_s = 2;
  WebhookSender sender(config);
  sender.enqueue("a", "room.test", event_data("a", 0));
  sender.enqueue("b", "room.test", event_data("b", 0));
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       sender.stats().failed_attempts < 1 && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(10ms);
  // Refused: the whole target backs off (one attempt, not one per room).
  ASSERT_EQ(sender.stats().failed_attempts, 1u);
  for (int n = 1; n < 10; ++n)
    for (const char* room : {"a", "b"}) sender.enqueue(room, "room.test", event_data(room, n));
  auto stats = sender.stats();
  EXPECT_EQ(stats.dropped, 15u);
  EXPECT_EQ(stats.queued, 5u);

  receiver.listen();
  ASSERT_TRUE(receiver.wait_accepted(5, 10s));
  std::this_thread::sleep_for(300ms);  // nothing else may come
  // Enqueued a0 b0 a1 b1 ... a9 b9: the five newest are b7 a8 b8 a9 b9.
  expect_delivered(receiver, {{"a", {8, 9}}, {"b", {7, 8, 9}}});
  stats = settled_stats(sender, 5);
  EXPECT_EQ(stats.delivered, 5u);
  EXPECT_EQ(stats.dropped, 15u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST(WebhookSender, RetriesA500WithTheSameIdAndAFreshSignature) {
  Receiver receiver(kSecret);
  receiver.set_policy([](const Request& r) { return r.attempt <= 2 ? 500 : 200; });
  WebhookSender sender(fast_config({{receiver.url(), kSecret}}));
  for (int n = 0; n < 5; ++n) sender.enqueue("r", "room.test", event_data("r", n));
  ASSERT_TRUE(receiver.wait_accepted(5, 15s));
  expect_delivered(receiver, {{"r", range(0, 5)}});
  const auto all = receiver.all();
  ASSERT_EQ(all.size(), 15u);
  // In order: each event three times (500, 500, 200) before the next one.
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].n, static_cast<int>(i / 3));
    EXPECT_EQ(all[i].attempt, static_cast<int>(i % 3) + 1);
    EXPECT_EQ(all[i].id, all[i - i % 3].id);
    EXPECT_EQ(all[i].body, all[i - i % 3].body);  // only the signature is redone
  }
  const auto stats = settled_stats(sender, 5);
  EXPECT_EQ(stats.delivered, 5u);
  EXPECT_EQ(stats.failed_attempts, 10u);
}

TEST(WebhookSender, ARoomThatKeepsFailingDoesNotHoldUpOtherRooms) {
  Receiver receiver(kSecret);
  std::atomic<bool> refuse_stuck{true};
  receiver.set_policy(
      [&](const Request& r) { return r.room == "stuck" && refuse_stuck ? 503 : 200; });
  WebhookSender sender(fast_config({{receiver.url(), kSecret}}));
  sender.enqueue("stuck", "room.test", event_data("stuck", 0));
  sender.enqueue("stuck", "room.test", event_data("stuck", 1));
  for (int n = 0; n < 10; ++n) sender.enqueue("flowing", "room.test", event_data("flowing", n));
  ASSERT_TRUE(receiver.wait_accepted(10, 10s));
  EXPECT_GE(sender.stats().failed_attempts, 1u);
  refuse_stuck = false;
  ASSERT_TRUE(receiver.wait_accepted(12, 10s));
  expect_delivered(receiver, {{"stuck", {0, 1}}, {"flowing", range(0, 10)}});
  // stuck/1 was never tried before stuck/0 got through.
  for (const Request& r : receiver.all()) {
    if (r.room == "stuck" && r.n == 1) {
      EXPECT_EQ(r.attempt, 1);
    }
  }
}

TEST(WebhookSender, AHangingTargetDoesNotDelayAnother) {
  HangingPort hanging;
  Receiver receiver(kSecret);
  WebhookConfig config = fast_config({{hanging.url(), kSecret}, {receiver.url(), kSecret}});
  config.timeout_s = 20;
  WebhookSender sender(config);
  for (int n = 0; n < 20; ++n) sender.enqueue("r", "room.test", event_data("r", n));
  // Well within the hanging target's timeout: the two were not serialised.
  ASSERT_TRUE(receiver.wait_accepted(20, 8s));
  expect_delivered(receiver, {{"r", range(0, 20)}});
}

TEST(WebhookSender, AnAttemptWithoutAnswerEndsAtTheTimeoutAndIsRetried) {
  HangingPort hanging;
  WebhookConfig config = fast_config({{hanging.url(), kSecret}});
  config.timeout_s = 0.3;
  WebhookSender sender(config);
  sender.enqueue("r", "room.test", event_data("r", 0));
  const auto start = std::chrono::steady_clock::now();
  while (sender.stats().failed_attempts < 3 && std::chrono::steady_clock::now() - start < 10s)
    std::this_thread::sleep_for(10ms);
  const auto stats = sender.stats();
  EXPECT_GE(stats.failed_attempts, 3u);
  EXPECT_EQ(stats.queued, 1u);
  EXPECT_EQ(stats.delivered, 0u);
}

TEST(WebhookSender, EnqueueNeverBlocksOnAHangingTarget) {
  HangingPort hanging;
  WebhookConfig config = fast_config({{hanging.url(), kSecret}});
  config.timeout_s = 20;
  WebhookSender sender(config);
  const auto start = std::chrono::steady_clock::now();
  for (int n = 0; n < 10000; ++n) sender.enqueue("r", "room.test", event_data("r", n));
  const auto took = std::chrono::steady_clock::now() - start;
  // A sanity bound only: a blocked enqueue would wait for the 20 s timeout.
  EXPECT_LT(took, 10s);
  const auto stats = sender.stats();
  EXPECT_EQ(stats.queued, 1000u);
  EXPECT_EQ(stats.dropped, 9000u);
  EXPECT_EQ(stats.delivered, 0u);
}

TEST(WebhookSender, DestructorReturnsPromptlyWithARequestHanging) {
  HangingPort hanging;
  Receiver refusing(kSecret, /*listening=*/false);
  WebhookConfig config = fast_config({{hanging.url(), kSecret}, {refusing.url(), kSecret}});
  config.timeout_s = 20;
  config.backoff_initial_s = 20;  // the refused target sits in a long backoff
  config.backoff_max_s = 20;
  auto sender = std::make_unique<WebhookSender>(config);
  for (int n = 0; n < 10; ++n) sender->enqueue("r", "room.test", event_data("r", n));
  std::this_thread::sleep_for(500ms);  // the hanging request is in flight
  const auto start = std::chrono::steady_clock::now();
  sender.reset();
  // Far less than the timeout or the backoff: both were cut short.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(WebhookSender, NoTargetsIsANoOp) {
  WebhookSender sender(WebhookConfig{});
  sender.enqueue("r", "room.test", "{}");
  EXPECT_EQ(sender.stats().queued, 0u);
}

TEST(WebhookSender, ValidateNamesTheBadField) {
  WebhookConfig config;
  config.targets = {{"http://127.0.0.1:1/ok", kSecret},
                    {"ftp://example.com/", kSecret},
                    {"not a url", kSecret},
                    {"https://example.com/hook", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}};
  config.queue_limit = 0;
  config.backoff_initial_s = 0;
  config.timeout_s = -1;
  IssueList issues;
  validate(config, issues);
  std::vector<std::string> fields;
  for (const auto& issue : issues.issues()) fields.push_back(issue.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"webhooks.targets[1].url", "webhooks.targets[2].url",
                                              "webhooks.targets[3].secret", "webhooks.queue_limit",
                                              "webhooks.backoff_initial_s", "webhooks.timeout_s"}));
  for (const auto& issue : issues.issues())
    EXPECT_EQ(issue.message.find("MfKQ9r8G"), std::string::npos) << issue.message;
  EXPECT_THROW(WebhookSender{config}, FileError);

  config.backoff_initial_s = 5;
  config.backoff_max_s = 1;
  IssueList more;
  validate(config, more);
  bool max_named = false;
  for (const auto& issue : more.issues()) max_named |= issue.field == "webhooks.backoff_max_s";
  EXPECT_TRUE(max_named);
}
