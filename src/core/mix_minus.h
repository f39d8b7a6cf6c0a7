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

// out = sum − own, then limited: what one participant hears. `own` empty
// means the participant contributed nothing to this block (not joined yet,
// late, or muted): out is the whole sum. `out` and `sum` have the same
// length; a non-empty `own` too.
void subtract_and_limit(std::span<const float> sum, std::span<const float> own,
                        std::span<float> out, Limiter& limiter);

}  // namespace mixcast
