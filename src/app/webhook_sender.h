// Signed webhook delivery (Standard Webhooks): room events are POSTed to the
// operator's URLs from the sender's own threads, so that neither the GLib
// main loop nor the media ever waits on a receiver.
//
// Per target, the events of one room arrive in the order they were enqueued:
// a failed attempt is retried with exponential backoff and that room's later
// events wait behind it. A non-2xx answer backs off only that room (other
// rooms' events go on); no answer at all (refused, timed out) backs off the
// whole target, since every room would fail alike. Each target has its own
// thread, queue and backoff, so a slow or dead target never delays another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/errors.h"

namespace mixcast {

// Appends one issue per bad field, named under `field` ("webhooks.targets[0].secret").
void validate(const WebhookConfig& config, IssueList& issues,
              const std::string& field = "webhooks");

class WebhookSender {
 public:
  // Throws FileError (see validate) for a config that cannot work.
  explicit WebhookSender(WebhookConfig config);
  // Stops every target's thread: waits are cut short and a request in
  // flight is cancelled (at worst it ends at its timeout). Pending events
  // are discarded.
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues the event for every target and returns: no I/O, a short lock per
  // target. Safe from any thread. `data_json` must be one JSON value (an
  // empty string is sent as null); the body is
  // {"type":"<type>","timestamp":"<RFC 3339 UTC>","data":<data_json>}.
  void enqueue(const std::string& room, const std::string& type, const std::string& data_json);

  // Summed over the targets: an event sent to two targets counts twice.
  struct Stats {
    uint64_t delivered = 0;        // attempts answered 2xx
    uint64_t failed_attempts = 0;  // attempts refused, timed out or answered otherwise
    uint64_t dropped = 0;          // events pushed out by queue_limit, never delivered
    uint64_t queued = 0;           // events pending now (including one in flight)
  };
  Stats stats() const;

 private:
  class Target;

  const std::string id_prefix_;  // random per sender: ids stay unique across restarts
  std::mutex enqueue_mutex_;
  uint64_t next_seq_ = 1;  // under enqueue_mutex_
  std::vector<std::unique_ptr<Target>> targets_;
};

}  // namespace mixcast
