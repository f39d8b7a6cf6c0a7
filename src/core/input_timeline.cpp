#include "core/input_timeline.h"

namespace mixcast {

InputTimeline::Verdict InputTimeline::take(std::optional<uint64_t> running_time, uint64_t duration,
                                           uint64_t now) {
  Verdict verdict;
  uint64_t at = 0;
  if (!running_time) {
    // Video: a frame without a time has no place in the picture. Audio: the
    // samples are real, and the next place for them is where the last ended.
    if (options_.kind == Kind::Video || !started_) {
      ++counters_.dropped_untimestamped;
      return verdict;
    }
    ++counters_.repaired_untimestamped;
    at = last_end_;
  } else {
    const int64_t shifted = static_cast<int64_t>(*running_time) + offset_;
    at = shifted < 0 ? 0 : static_cast<uint64_t>(shifted);
    const int64_t from_now = static_cast<int64_t>(at) - static_cast<int64_t>(now);
    if (from_now > options_.max_ahead_ns || from_now < -options_.max_behind_ns) {
      // A jump (a restarted encoder, a decoder's bad guess, a file's own
      // clock): the stream continues from now, one shift for all that follows.
      offset_ += static_cast<int64_t>(now) - static_cast<int64_t>(at);
      at = now;
      ++counters_.rebased;
      if (started_ && at <= last_start_) at = last_end_ > last_start_ ? last_end_ : last_start_ + 1;
    }
  }
  if (started_) {
    const bool backwards =
        options_.kind == Kind::Video
            ? at <= last_start_
            : at + static_cast<uint64_t>(options_.audio_backwards_tolerance_ns) < last_end_;
    if (backwards) {
      ++counters_.dropped_backwards;
      return verdict;
    }
  }
  started_ = true;
  last_start_ = at;
  last_end_ = at + duration;
  ++counters_.passed;
  verdict.pass = true;
  verdict.running_time = at;
  return verdict;
}

}  // namespace mixcast
