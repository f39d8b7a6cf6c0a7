#include "core/frame_governor.h"

#include <algorithm>

namespace mixcast {

FrameGovernor::FrameGovernor(Options options)
    : options_(options), recover_after_s_(options.recover_after_s) {}

int FrameGovernor::update(const Tick& tick) {
  // What a tick reports happened since the one before it.
  const double since_s = last_tick_s_ < 0 ? tick.now_s : last_tick_s_;
  last_tick_s_ = tick.now_s;
  const bool skipping =
      tick.offered > 0 &&
      static_cast<double>(tick.skipped) > options_.skip_ratio * static_cast<double>(tick.offered);
  if (skipping) {
    calm_since_s_ = -1;
    if (trouble_since_s_ < 0) trouble_since_s_ = since_s;
    if (tick.now_s - trouble_since_s_ >= options_.degrade_after_s &&
        divisor_ < options_.max_divisor) {
      ++divisor_;
      trouble_since_s_ = -1;  // the next step down needs its own proof
      // Back down soon after a return: that return was premature.
      if (returned_at_s_ >= 0 && tick.now_s - returned_at_s_ < recover_after_s_)
        recover_after_s_ = std::min(recover_after_s_ * 2, options_.max_recover_after_s);
    }
    return divisor_;
  }
  trouble_since_s_ = -1;
  if (divisor_ == 1) {
    // A full rate that held for long forgives the failed returns before it.
    if (returned_at_s_ >= 0 && tick.now_s - returned_at_s_ >= options_.max_recover_after_s)
      recover_after_s_ = options_.recover_after_s;
    return divisor_;
  }
  // Divided: is there room for every frame again? The encoder must have had
  // frames to encode (a tick without any proves nothing) and have spent well
  // under a full-rate frame interval on each.
  const double full_interval_s = 1.0 / options_.fps;
  const bool roomy =
      tick.offered > 0 && tick.encode_s > 0 && tick.encode_s < options_.headroom * full_interval_s;
  if (!roomy) {
    calm_since_s_ = -1;
    return divisor_;
  }
  if (calm_since_s_ < 0) calm_since_s_ = since_s;
  if (tick.now_s - calm_since_s_ >= recover_after_s_) {
    divisor_ = 1;
    calm_since_s_ = -1;
    returned_at_s_ = tick.now_s;
  }
  return divisor_;
}

}  // namespace mixcast
