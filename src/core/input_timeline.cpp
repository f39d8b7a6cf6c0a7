#include "core/input_timeline.h"

#include <algorithm>

namespace mixcast {

InputTimeline::Verdict InputTimeline::take(std::optional<uint64_t> running_time, uint64_t duration,
                                           uint64_t now) {
  Verdict verdict;
  uint64_t at = 0;
  int64_t position = 0;  // `at` before it is clamped to the timeline's start
  if (!running_time) {
    // Video: a frame without a time has no place in the picture. Audio: the
    // samples are real, and the next place for them is where the last ended.
    if (options_.kind == Kind::Video || !started_) {
      ++counters_.dropped_untimestamped;
      return verdict;
    }
    ++counters_.repaired_untimestamped;
    at = last_end_;
    position = static_cast<int64_t>(at);
  } else {
    position = static_cast<int64_t>(*running_time) + offset_;
    at = position < 0 ? 0 : static_cast<uint64_t>(position);
    const int64_t from_now = static_cast<int64_t>(at) - static_cast<int64_t>(now);
    if (from_now > options_.max_ahead_ns || from_now < -options_.max_behind_ns) {
      // A jump (a restarted encoder, a decoder's bad guess, a file's own
      // clock): the stream continues from now, one shift for all that follows.
      offset_ += static_cast<int64_t>(now) - static_cast<int64_t>(at);
      at = now;
      position = static_cast<int64_t>(at);
      ++counters_.rebased;
      if (started_ && at <= last_start_) at = last_end_ > last_start_ ? last_end_ : last_start_ + 1;
    }
  }
  if (started_) {
    const auto jump = static_cast<uint64_t>(options_.jump_back_ns);
    const uint64_t reached = options_.kind == Kind::Video ? last_start_ : last_end_;
    const bool far = at + jump < reached;
    const bool backwards = options_.kind == Kind::Video ? at <= last_start_ : far;
    if (backwards && far && far_back_) {
      // Two buffers in a row that far back: the stream's timeline moved, and
      // it continues, one shift for all that follows, where it had got to.
      const uint64_t resume = last_end_ > last_start_ ? last_end_ : last_start_ + 1;
      offset_ += static_cast<int64_t>(resume) - position;
      at = resume;
      ++counters_.rebased;
    } else if (backwards) {
      far_back_ = far;
      ++counters_.dropped_backwards;
      return verdict;
    }
  }
  far_back_ = false;
  started_ = true;
  last_start_ = std::max(last_start_, at);
  last_end_ = std::max(last_end_, at + duration);
  ++counters_.passed;
  verdict.pass = true;
  verdict.running_time = at;
  return verdict;
}

}  // namespace mixcast
