#include "core/client_limits.h"

#include <algorithm>
#include <cmath>

namespace mixcast {

double TokenBucket::tokens(double now) const {
  return std::min(burst_, tokens_ + std::max(0.0, now - last_) * rate_);
}

double TokenBucket::take(double now) {
  tokens_ = tokens(now);
  last_ = std::max(last_, now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  return (1.0 - tokens_) / rate_;
}

int64_t AddressLimiter::admit(const std::string& address, double now) {
  if (per_minute_ <= 0) return 0;
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_addresses_ && !by_use_.empty()) {
      buckets_.erase(by_use_.front());
      by_use_.pop_front();
    }
    by_use_.push_back(address);
    it = buckets_
             .emplace(address, Tracked{TokenBucket(per_minute_ / 60.0, per_minute_, now),
                                       std::prev(by_use_.end())})
             .first;
  } else {
    by_use_.splice(by_use_.end(), by_use_, it->second.age);
  }
  const double wait = it->second.bucket.take(now);
  if (wait <= 0) return 0;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait)));
}

std::string_view to_string(LimitReason reason) {
  switch (reason) {
    case LimitReason::Rooms:
      return "rooms";
    case LimitReason::Participants:
      return "participants";
    case LimitReason::Viewers:
      return "viewers";
    case LimitReason::WebSocketConnections:
      return "websocket_connections";
    case LimitReason::Joins:
      return "joins";
    case LimitReason::WebSocketMessages:
      return "websocket_messages";
    case LimitReason::HeaderSize:
      return "header_size";
    case LimitReason::BodySize:
      return "body_size";
    case LimitReason::HeaderTimeout:
      return "header_timeout";
    case LimitReason::IdleTimeout:
      return "idle_timeout";
    case LimitReason::CorsOrigin:
      return "cors_origin";
  }
  return "unknown";
}

}  // namespace mixcast
