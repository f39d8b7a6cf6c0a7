#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace mixcast {

std::optional<double> Backoff::next_delay() {
  if (max_retries_ >= 0 && attempts_ >= max_retries_) return std::nullopt;
  // Cap the exponent so the double never overflows after days of retries.
  const double delay = initial_s_ * std::pow(2.0, std::min(attempts_, 30));
  ++attempts_;
  return std::min(delay, max_s_);
}

}  // namespace mixcast
