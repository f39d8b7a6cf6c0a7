#include "core/rate_limit.h"

namespace mixcast {

RateLimit::Decision RateLimit::request(double now) {
  if (deferred_) return Decision::AlreadyDeferred;
  if (now - last_ >= interval_s_) {
    last_ = now;
    return Decision::Now;
  }
  deferred_ = true;
  return Decision::Deferred;
}

void RateLimit::run_deferred(double now) {
  deferred_ = false;
  last_ = now;
}

}  // namespace mixcast
