#include "app/webhook_sender.h"

#include <cpprest/http_client.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/backoff.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/url.h"
#include "core/webhook_signature.h"
#include "mixcast_build_config.h"

namespace mixcast {

namespace {

using Clock = std::chrono::steady_clock;

// One event as every target sends it: the body (and so its timestamp) and the
// id stay the same across attempts; the signature is made per attempt.
struct Event {
  uint64_t seq = 0;  // enqueue order, shared by all targets
  std::string id;
  std::string body;
};

// "2024-05-01T12:00:00.123Z"
std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[40];
  const size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", millis);
  return stamp;
}

int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Receivers often put a token in the query: logs get neither it nor user info.
std::string loggable_url(const std::string& url) {
  std::string out = redact_url(url);
  const size_t query = out.find('?');
  if (query != std::string::npos) out = out.substr(0, query) + "?***";
  return out;
}

std::string random_id_prefix() {
  std::random_device device;
  const uint64_t value = (static_cast<uint64_t>(device()) << 32) ^ device();
  char hex[20];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(value));
  return hex;
}

std::chrono::milliseconds to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

}  // namespace

void validate(const WebhookConfig& config, IssueList& issues, const std::string& field) {
  auto add = [&](const std::string& name, std::string message) {
    issues.add(FileIssue{"", 0, 0, field + "." + name, std::move(message)});
  };
  for (size_t i = 0; i < config.targets.size(); ++i) {
    const WebhookTarget& target = config.targets[i];
    const std::string at = "targets[" + std::to_string(i) + "]";
    if (!web::uri::validate(target.url)) {
      add(at + ".url", "not a valid URL");
    } else {
      const web::uri uri(target.url);
      if (uri.scheme() != "http" && uri.scheme() != "https")
        add(at + ".url", "must be an http:// or https:// URL");
      else if (uri.host().empty())
        add(at + ".url", "has no host");
    }
    std::string error;
    if (!parse_webhook_secret(target.secret, error)) add(at + ".secret", error);
  }
  if (config.queue_limit < 1) add("queue_limit", "must be at least 1");
  if (!(config.backoff_initial_s > 0)) add("backoff_initial_s", "must be greater than 0");
  if (!(config.backoff_max_s >= config.backoff_initial_s))
    add("backoff_max_s", "must be at least backoff_initial_s");
  if (!(config.timeout_s > 0)) add("timeout_s", "must be greater than 0");
}

// One receiver: its queue (rooms in FIFO order), its backoff per room and the
// thread that delivers. Only `mutex_` is shared with enqueue, and it is never
// held across I/O.
class WebhookSender::Target {
 public:
  Target(const WebhookTarget& target, std::string key, const WebhookConfig& config)
      : log_url_(loggable_url(target.url)),
        key_(std::move(key)),
        queue_limit_(config.queue_limit),
        backoff_initial_s_(config.backoff_initial_s),
        backoff_max_s_(config.backoff_max_s),
        timeout_(to_ms(config.timeout_s)),
        client_(target.url, client_config(timeout_)),
        reachability_(config.backoff_initial_s, config.backoff_max_s, -1),
        thread_([this] { run(); }) {}

  ~Target() {
    request_stop();
    if (thread_.joinable()) thread_.join();
  }

  void push(const std::string& room, const std::shared_ptr<const Event>& event) {
    bool log_drop = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      auto it = rooms_.find(room);
      if (it == rooms_.end())
        it = rooms_.emplace(room, RoomQueue{{}, Backoff(backoff_initial_s_, backoff_max_s_, -1)})
                 .first;
      it->second.events.push_back(event);
      ++pending_;
      while (pending_ > queue_limit_ && drop_oldest()) {
        ++dropped_;
        if (!drop_logged_) log_drop = drop_logged_ = true;
      }
    }
    wake_.notify_one();
    if (log_drop)
      LOG_WARN << "webhook target " << log_url_ << ": more than " << queue_limit_
               << " events pending, dropping the oldest";
  }

  // Ends run() promptly: waits wake up, the request in flight is cancelled.
  void request_stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      in_flight_cancel_.cancel();
    }
    wake_.notify_all();
  }

  void add_to(Stats& stats) const {
    std::lock_guard lock(mutex_);
    stats.delivered += delivered_;
    stats.failed_attempts += failed_attempts_;
    stats.dropped += dropped_;
    stats.queued += pending_;
  }

 private:
  struct RoomQueue {
    std::deque<std::shared_ptr<const Event>> events;
    Backoff backoff;
    Clock::time_point not_before{};  // set by a failure: the next attempt waits until then
    bool in_flight = false;          // events.front() is being sent: drops leave it alone
  };

  // What one attempt came to (filled by cpprest's thread pool).
  struct Attempt {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int status = 0;  // HTTP status; 0 when there was no response
    std::string error;
  };

  static web::http::client::http_client_config client_config(std::chrono::milliseconds timeout) {
    web::http::client::http_client_config config;
    config.set_timeout(timeout);
    return config;
  }

  // The oldest pending event that is not in flight; false when there is none.
  bool drop_oldest() {
    auto oldest = rooms_.end();
    uint64_t oldest_seq = 0;
    for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
      const RoomQueue& q = it->second;
      const size_t first = q.in_flight ? 1 : 0;
      if (q.events.size() <= first) continue;
      if (oldest == rooms_.end() || q.events[first]->seq < oldest_seq) {
        oldest = it;
        oldest_seq = q.events[first]->seq;
      }
    }
    if (oldest == rooms_.end()) return false;
    RoomQueue& q = oldest->second;
    q.events.erase(q.events.begin() + (q.in_flight ? 1 : 0));
    --pending_;
    if (q.events.empty() && !q.in_flight) rooms_.erase(oldest);
    return true;
  }

  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      const auto now = Clock::now();
      if (unreachable_until_ > now) {
        wake_.wait_until(lock, unreachable_until_);
        continue;
      }
      // The room whose head is the oldest event among rooms not backing off.
      auto next = rooms_.end();
      std::optional<Clock::time_point> earliest;
      for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
        const RoomQueue& q = it->second;
        if (q.events.empty()) continue;
        if (q.not_before > now) {
          if (!earliest || q.not_before < *earliest) earliest = q.not_before;
        } else if (next == rooms_.end() ||
                   q.events.front()->seq < next->second.events.front()->seq) {
          next = it;
        }
      }
      if (next == rooms_.end()) {
        if (earliest)
          wake_.wait_until(lock, *earliest);
        else
          wake_.wait(lock);
        continue;
      }

      const std::string room = next->first;
      const std::shared_ptr<const Event> event = next->second.events.front();
      next->second.in_flight = true;
      in_flight_cancel_ = pplx::cancellation_token_source();
      const pplx::cancellation_token token = in_flight_cancel_.get_token();
      lock.unlock();
      const Outcome outcome = deliver(*event, token);
      lock.lock();

      // Drops skip the event in flight, so the room and its head are still there.
      RoomQueue& q = rooms_.at(room);
      q.in_flight = false;
      if (outcome.answered) reachability_.reset();
      if (outcome.error.empty()) {
        q.events.pop_front();
        --pending_;
        ++delivered_;
        q.backoff.reset();
        q.not_before = {};
        if (q.events.empty()) rooms_.erase(room);
        if (pending_ == 0) drop_logged_ = false;
        if (failing_) {
          LOG_INFO << "webhook target " << log_url_ << " recovered after " << failure_streak_
                   << " failed attempts";
          failing_ = false;
          failure_streak_ = 0;
          drop_logged_ = false;
        }
        continue;
      }
      if (stopping_) break;  // cancelled: not the target's failure
      ++failed_attempts_;
      ++failure_streak_;
      if (outcome.answered) {
        // The receiver refused this event: only its room waits.
        q.not_before = Clock::now() + to_ms(q.backoff.next_delay().value_or(backoff_max_s_));
      } else {
        // Refused, timed out or unresolvable: every room would fail the same
        // way, so the whole target waits instead of each room trying in turn.
        unreachable_until_ =
            Clock::now() + to_ms(reachability_.next_delay().value_or(backoff_max_s_));
      }
      if (!failing_) {
        LOG_WARN << "webhook target " << log_url_ << " failing: " << outcome.error
                 << "; retrying with backoff (each room's later events wait)";
        failing_ = true;
      }
    }
  }

  struct Outcome {
    bool answered = false;  // an HTTP response came back, whatever its status
    std::string error;      // "" for a 2xx answer
  };

  // One POST, signed now.
  Outcome deliver(const Event& event, const pplx::cancellation_token& token) {
    web::http::http_request request(web::http::methods::POST);
    const int64_t timestamp = unix_seconds_now();
    request.headers().add("webhook-id", event.id);
    request.headers().add("webhook-timestamp", std::to_string(timestamp));
    request.headers().add("webhook-signature",
                          webhook_signature_with_key(key_, event.id, timestamp, event.body));
    request.headers().add("User-Agent", "mixcast/" MIXCAST_VERSION);
    request.set_body(event.body, "application/json");

    auto attempt = std::make_shared<Attempt>();
    try {
      client_.request(request, token).then([attempt](pplx::task<web::http::http_response> task) {
        int status = 0;
        std::string error;
        try {
          status = task.get().status_code();
        } catch (const pplx::task_canceled&) {
          error = "cancelled";
        } catch (const std::exception& e) {
          error = e.what();
        }
        std::lock_guard lock(attempt->mutex);
        attempt->status = status;
        attempt->error = std::move(error);
        attempt->done = true;
        attempt->done_cv.notify_all();
      });
    } catch (const std::exception& e) {
      return {false, e.what()};
    }

    std::unique_lock lock(attempt->mutex);
    // cpprest's own timeout restarts on progress; this one bounds the attempt.
    if (!attempt->done_cv.wait_for(lock, timeout_, [&] { return attempt->done; })) {
      lock.unlock();
      cancel_in_flight();  // the source of `token`: only this thread replaces it
      lock.lock();
      attempt->done_cv.wait(lock, [&] { return attempt->done; });
      return {false, "no response within " + std::to_string(timeout_.count()) + " ms"};
    }
    if (!attempt->error.empty()) return {false, attempt->error};
    if (attempt->status < 200 || attempt->status > 299)
      return {true, "answered HTTP " + std::to_string(attempt->status)};
    return {true, ""};
  }

  void cancel_in_flight() {
    std::lock_guard lock(mutex_);
    in_flight_cancel_.cancel();
  }

  const std::string log_url_;
  const std::string key_;
  const size_t queue_limit_;
  const double backoff_initial_s_;
  const double backoff_max_s_;
  const std::chrono::milliseconds timeout_;
  web::http::client::http_client client_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, RoomQueue> rooms_;
  size_t pending_ = 0;
  bool stopping_ = false;
  pplx::cancellation_token_source in_flight_cancel_;
  // Backoff of the target as a whole, for failures without an HTTP answer
  // (this target's thread only).
  Backoff reachability_;
  Clock::time_point unreachable_until_{};
  uint64_t delivered_ = 0;
  uint64_t failed_attempts_ = 0;
  uint64_t dropped_ = 0;
  bool drop_logged_ = false;

  // The failure streak, for logging it once (this target's thread only).
  bool failing_ = false;
  uint64_t failure_streak_ = 0;

  std::thread thread_;  // last: starts once everything above is built
};

WebhookSender::WebhookSender(WebhookConfig config) : id_prefix_(random_id_prefix()) {
  IssueList issues;
  validate(config, issues);
  issues.throw_if_any();
  for (const WebhookTarget& target : config.targets) {
    std::string error;
    targets_.push_back(
        std::make_unique<Target>(target, *parse_webhook_secret(target.secret, error), config));
  }
}

WebhookSender::~WebhookSender() {
  // All stop at once, then each is joined: the bound is one timeout, not one per target.
  for (auto& target : targets_) target->request_stop();
  targets_.clear();
}

void WebhookSender::enqueue(const std::string& room, const std::string& type,
                            const std::string& data_json) {
  if (targets_.empty()) return;
  auto event = std::make_shared<Event>();
  event->body = "{\"type\":" + json_quote(type) +
                ",\"timestamp\":" + json_quote(rfc3339_utc(std::chrono::system_clock::now())) +
                ",\"data\":" + (data_json.empty() ? std::string("null") : data_json) + "}";
  // Numbered and queued in one step: with several callers every target still
  // sees the same order, and each room's queue stays sorted by seq.
  std::lock_guard lock(enqueue_mutex_);
  event->seq = next_seq_++;
  event->id = "msg_" + id_prefix_ + "_" + std::to_string(event->seq);
  for (auto& target : targets_) target->push(room, event);
}

WebhookSender::Stats WebhookSender::stats() const {
  Stats stats;
  for (const auto& target : targets_) target->add_to(stats);
  return stats;
}

}  // namespace mixcast
