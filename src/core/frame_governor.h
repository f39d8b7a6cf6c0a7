// How many of the programme's frames the room encodes when the machine is
// overloaded. The encoder is the costliest part of a room (x264 is about
// half its CPU), and when it cannot keep up the leaky queue in front of it
// drops whatever frame happens to be oldest: the picture stutters unevenly
// (gaps of 33 to 100 ms at 26 fps, bench/cost-curve.sh HOGS=4). The governor
// turns persistent skipping into an even rate instead: every other frame
// (15 fps of 30), then, once the encoder has had room to spare for a while,
// every frame again. Audio is never touched.
//
// Pure code: the room feeds it, every tick of its programme watchdog, what
// the encoder did since the last tick, and applies the divisor it returns.
#pragma once

#include <cstdint>

namespace mixcast {

class FrameGovernor {
 public:
  struct Options {
    double fps = 30;      // the programme's full rate
    int max_divisor = 2;  // 2: at worst every other frame
    // Frames skipped by the encoder's queue, as a share of those offered to
    // it, that count as "not keeping up" in a tick ...
    double skip_ratio = 0.02;
    // ... for this long without a break: the rate is divided.
    double degrade_after_s = 2;
    // At a divided rate, the encoder spends on average less than this share
    // of a full-rate frame interval per frame, and skips nothing, for this
    // long: the full rate comes back. Twice as long after each return that
    // did not hold (the room degraded again within recover_after_s), up to
    // max_recover_after_s, so that a machine at the edge does not flap.
    double headroom = 0.6;
    double recover_after_s = 10;
    double max_recover_after_s = 80;
  };

  struct Tick {
    double now_s = 0;
    uint64_t offered = 0;  // frames handed to the encoder's queue since the last tick
    uint64_t skipped = 0;  // of those, dropped by the queue (the encoder had no time)
    double encode_s = 0;   // mean time the encoder took per frame (0: none encoded)
  };

  explicit FrameGovernor(Options options);

  // One watchdog tick; returns the divisor to apply from now on (1: every
  // frame, 2: every other one, ...).
  int update(const Tick& tick);

  int divisor() const { return divisor_; }
  // How long the divisor must hold without trouble before the full rate
  // returns (grows after failed returns).
  double recover_after_s() const { return recover_after_s_; }

 private:
  Options options_;
  int divisor_ = 1;
  double recover_after_s_;
  double last_tick_s_ = -1;
  double trouble_since_s_ = -1;  // first tick of the current run of skipping ticks
  double calm_since_s_ = -1;     // first tick of the current run of calm ticks (divided)
  double returned_at_s_ = -1;    // when the full rate last came back
};

}  // namespace mixcast
