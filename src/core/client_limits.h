// Limits against abuse, as pure code (times are seconds on any monotonic
// clock): a token bucket, one bucket per client address with a bounded
// number of addresses, and the refusals counted by reason for /metrics.
// The HTTP layer asks and answers 429 with Retry-After; nothing here knows HTTP.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mixcast {

// `rate` tokens per second up to `burst`; each event takes one. Starts full.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst, double now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Takes a token: 0 when there was one, else the seconds until there is
  // one (the event is refused and takes nothing).
  double take(double now);
  double tokens(double now) const;

 private:
  double rate_;
  double burst_;
  double tokens_;
  double last_;
};

// One TokenBucket per client address. At most `max_addresses` are tracked:
// past that the one used longest ago is forgotten (it starts full again if
// it comes back), so memory stays bounded whatever the clients send.
class AddressLimiter {
 public:
  // `per_minute` events a minute, in bursts of up to `per_minute`.
  // per_minute 0: no limit.
  explicit AddressLimiter(int per_minute, size_t max_addresses = 10000)
      : per_minute_(per_minute), max_addresses_(max_addresses) {}

  // 0: allowed (and counted). Otherwise refused: whole seconds to wait (the
  // Retry-After value, at least 1).
  int64_t admit(const std::string& address, double now);
  size_t tracked() const { return buckets_.size(); }

 private:
  struct Tracked {
    TokenBucket bucket;
    std::list<std::string>::iterator age;
  };
  int per_minute_;
  size_t max_addresses_;
  std::unordered_map<std::string, Tracked> buckets_;
  std::list<std::string> by_use_;  // front: used longest ago
};

// Why something was refused or cut off, for mixcast_limit_refusals_total.
enum class LimitReason {
  Rooms,                 // limits.max_rooms
  Participants,          // a room's participant limit
  Viewers,               // a room's viewer limit
  WebSocketConnections,  // limits.max_websocket_connections(_per_address)
  Joins,                 // limits.joins_per_minute_per_address
  WebSocketMessages,     // limits.ws_messages_per_second / ws_message_burst
  HeaderSize,            // limits.max_header_bytes
  BodySize,              // limits.max_body_bytes
  HeaderTimeout,         // limits.header_timeout_s
  IdleTimeout,           // limits.idle_timeout_s
  CorsOrigin,            // an Origin not in limits.cors_allow_origins (preflight)
};
constexpr size_t kLimitReasons = 11;
std::string_view to_string(LimitReason reason);

class LimitCounts {
 public:
  void add(LimitReason reason) { ++counts_[static_cast<size_t>(reason)]; }
  uint64_t get(LimitReason reason) const { return counts_[static_cast<size_t>(reason)]; }

 private:
  std::array<uint64_t, kLimitReasons> counts_{};
};

// Whether `origin` (an Origin header) is in `allowed` ("*" allows any).
// Compared exactly, as browsers send it: scheme://host[:port].
template <typename List>
bool origin_allowed(const List& allowed, std::string_view origin) {
  for (const auto& a : allowed)
    if (a == "*" || a == origin) return true;
  return false;
}

}  // namespace mixcast
