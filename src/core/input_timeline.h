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
    // A step back further than this is the stream's own timeline moving
    // back (a source restarted, a jitterbuffer that re-based its clock), once
    // the next buffer confirms it: the stream then continues where it had got
    // to. A single buffer that far back is dropped: it is an outlier.
    //
    // Audio that steps back less than this passes unchanged: a live input
    // stamped from its arrival (a real browser's Opus through rtpjitterbuffer
    // on a loaded machine: 20 ms buffers stamped 10-19 ms apart, then a step
    // back of up to 93 ms, measured) is jitter, and every sample of it is
    // real. The mixer keeps such an input contiguous (GstAudioAggregator's
    // alignment-threshold, 40 ms, and discont-wait, 1 s). Video that steps
    // back at all is dropped: a frame has no place before the last one.
    int64_t jump_back_ns = 250'000'000;
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
  // The furthest start and end passed so far, on the room's timeline (for
  // video those of the last frame passed; audio may pass a little behind).
  uint64_t last_start_ = 0;
  uint64_t last_end_ = 0;
  bool far_back_ = false;  // the last buffer was dropped as a far step back
};

}  // namespace mixcast
