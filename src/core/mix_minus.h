// The sample arithmetic of the room's audio mixer, pure code on interleaved
// float samples (the GStreamer element in media/mix_minus_mixer.* only
// moves buffers around it).
#pragma once

#include <span>

#include "core/audio_math.h"

namespace mixcast {

// Adds `gain` × `in` into `out` (the sum) and copies the same scaled samples
// into `own` (that input's contribution), so that the contribution removed
// from the sum later is bit for bit the one that went into it. All three
// spans have the same length; `own` may be empty (not kept).
void accumulate(std::span<float> out, std::span<const float> in, float gain, std::span<float> own);

// The operator's gain of one input (volume, mute). A new value is reached
// over a short linear ramp, not in one step from one sample to the next
// (which clicks); the very first value applies at once, so that someone
// who joins muted (or is re-attached muted after a core rebuild) is never
// heard. Owned by the mixer's streaming thread.
class GainRamp {
 public:
  // Moves towards `target` over `ramp_frames` frames from the current gain.
  void set_target(float target, int ramp_frames);
  float current() const { return current_; }
  float target() const { return target_; }
  bool ramping() const { return current_ != target_; }
  // The gain of the next frame; then one frame further along the ramp.
  float next();

 private:
  bool primed_ = false;
  float current_ = 1.f;
  float target_ = 1.f;
  float step_ = 0.f;
};

// accumulate() with the gain of each frame (all its `channels` samples)
// taken from `ramp`; `own` gets the same scaled samples, so the mix-minus
// stays exact while the gain moves. A muted input (ramp at 0) adds and
// keeps exact zeros.
void accumulate(std::span<float> out, std::span<const float> in, size_t channels, GainRamp& ramp,
                std::span<float> own);

// out = sum − own, then limited: what one participant hears. `own` empty
// means the participant contributed nothing to this block (not joined yet,
// late, or muted): out is the whole sum. `out` and `sum` have the same
// length; a non-empty `own` too.
void subtract_and_limit(std::span<const float> sum, std::span<const float> own,
                        std::span<float> out, Limiter& limiter);

}  // namespace mixcast
