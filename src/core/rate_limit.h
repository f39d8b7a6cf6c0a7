// At most one event per interval, with the one that came too early deferred
// rather than lost: the keyframe requests of many peers (PLI/FIR, new
// receivers) become at most one forced keyframe per interval, and a request
// in between still gets its keyframe once the interval is over. Pure code:
// times are seconds on any monotonic clock.
#pragma once

namespace mixcast {

class RateLimit {
 public:
  explicit RateLimit(double interval_s) : interval_s_(interval_s) {}

  enum class Decision { Now, Deferred, AlreadyDeferred };
  // A request at `now`: let it through now, or defer it to deferred_until()
  // (the caller schedules it), or fold it into the one already deferred.
  Decision request(double now);
  // The deferred request runs at `now`; it counts as let through.
  void run_deferred(double now);
  double deferred_until() const { return last_ + interval_s_; }

 private:
  double interval_s_;
  double last_ = -1e300;
  bool deferred_ = false;
};

}  // namespace mixcast
