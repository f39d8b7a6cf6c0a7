#include "core/mix_minus.h"

#include <algorithm>
#include <cmath>

namespace mixcast {

void accumulate(std::span<float> out, std::span<const float> in, float gain, std::span<float> own) {
  const size_t n = std::min(out.size(), in.size());
  if (own.size() >= n) {
    for (size_t i = 0; i < n; ++i) {
      own[i] = gain * in[i];
      out[i] += own[i];
    }
  } else {
    for (size_t i = 0; i < n; ++i) out[i] += gain * in[i];
  }
}

void GainRamp::set_target(float target, int ramp_frames) {
  if (!primed_ || ramp_frames <= 0) {
    primed_ = true;
    current_ = target_ = target;
    return;
  }
  if (target == target_) return;
  target_ = target;
  step_ = std::fabs(target_ - current_) / static_cast<float>(ramp_frames);
  if (step_ == 0.f) current_ = target_;
}

float GainRamp::next() {
  const float gain = current_;
  if (current_ < target_)
    current_ = std::min(target_, current_ + step_);
  else if (current_ > target_)
    current_ = std::max(target_, current_ - step_);
  return gain;
}

void accumulate(std::span<float> out, std::span<const float> in, size_t channels, GainRamp& ramp,
                std::span<float> own) {
  const size_t n = std::min(out.size(), in.size());
  if (!ramp.ramping() && ramp.current() == 0.f) {
    // Muted: nothing is added (not even 0 × a NaN), and nothing is kept.
    if (own.size() >= n) std::fill_n(own.begin(), n, 0.f);
    return;
  }
  if (!ramp.ramping() || channels == 0) {
    accumulate(out, in, ramp.current(), own);
    return;
  }
  const bool keep = own.size() >= n;
  for (size_t frame = 0; frame < n; frame += channels) {
    const float gain = ramp.next();
    for (size_t i = frame; i < std::min(n, frame + channels); ++i) {
      const float scaled = gain * in[i];
      if (keep) own[i] = scaled;
      out[i] += scaled;
    }
  }
}

void subtract_and_limit(std::span<const float> sum, std::span<const float> own,
                        std::span<float> out, Limiter& limiter) {
  const size_t n = std::min(sum.size(), out.size());
  if (own.size() >= n) {
    for (size_t i = 0; i < n; ++i) out[i] = sum[i] - own[i];
  } else {
    std::copy_n(sum.begin(), n, out.begin());
  }
  limiter.process(out.first(n));
}

}  // namespace mixcast
