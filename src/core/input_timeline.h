// The timeline of one participant's stream as the room's mixers must see it:
// every buffer timestamped, in order, and near the room's clock. The
// mixers cannot take anything else (GstVideoAggregator errors out on a
// buffer without a timestamp, and that error stops the whole room; an input
// ten seconds in the future holds its pad for ten seconds). InputTimeline
// decides, buffer by buffer, whether to pass, repair or drop it; the media
// layer (media/input_guard) applies the verdict. Pure code: times are
// nanoseconds of running time.
#pragma once

#include <cstdint>
#include <optional>

namespace mixcast {

struct InputCounters {
  uint64_t passed = 0;
  uint64_t dropped_untimestamped = 0;   // video buffers without a timestamp
  uint64_t dropped_backwards = 0;       // not after the previous buffer
  uint64_t repaired_untimestamped = 0;  // audio buffers given the next timestamp
  uint64_t rebased = 0;                 // far from the room's clock: moved to now
  uint64_t absorbed_events = 0;         // EOS, flushes, segments kept from the mixers

  uint64_t dropped() const { return dropped_untimestamped + dropped_backwards; }
  InputCounters& operator+=(const InputCounters& o) {
    passed += o.passed;
    dropped_untimestamped += o.dropped_untimestamped;
    dropped_backwards += o.dropped_backwards;
    repaired_untimestamped += o.repaired_untimestamped;
    rebased += o.rebased;
    absorbed_events += o.absorbed_events;
    return *this;
  }
  uint64_t repaired() const { return repaired_untimestamped + rebased; }
};

class InputTimeline {
 public:
  enum class Kind { Video, Audio };
  struct Options {
    Kind kind = Kind::Video;
    // A buffer further than this ahead of the clock is a jump, not a real
    // gap: the stream is moved to now.
    int64_t max_ahead_ns = 1'000'000'000;
    // A live input runs behind the clock by its latency (jitterbuffer,
    // decoder, queues); a stream further behind than this is moved to now
    // rather than dropped as late by the mixer forever.
    int64_t max_behind_ns = 3'000'000'000;
    // Audio only: an earlier start than the previous end by more than this
    // is a step back (the mixers themselves absorb up to 40 ms of jitter).
    int64_t audio_backwards_tolerance_ns = 40'000'000;
  };

  struct Verdict {
    bool pass = false;
    uint64_t running_time = 0;  // where the buffer goes on the room's timeline
  };

  explicit InputTimeline(Options options) : options_(options) {}

  // One buffer: its running time (nullopt: no timestamp), its duration
  // (0: unknown) and the room clock's running time now.
  Verdict take(std::optional<uint64_t> running_time, uint64_t duration, uint64_t now);
  // A non-buffer item kept from the mixers (EOS, flush, segment).
  void absorbed() { ++counters_.absorbed_events; }

  const InputCounters& counters() const { return counters_; }

 private:
  Options options_;
  InputCounters counters_;
  int64_t offset_ = 0;  // added to every upstream running time
  bool started_ = false;
  uint64_t last_start_ = 0;  // of the last buffer passed, on the room's timeline
  uint64_t last_end_ = 0;
};

}  // namespace mixcast
