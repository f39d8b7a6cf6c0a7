// Exponential backoff for outputs that reconnect (RTMP). Pure and
// deterministic so that the schedule is unit-tested.
#pragma once

#include <optional>

namespace mixcast {

class Backoff {
 public:
  // max_retries < 0: retry forever.
  Backoff(double initial_s, double max_s, int max_retries)
      : initial_s_(initial_s), max_s_(max_s), max_retries_(max_retries) {}

  // Delay before the next attempt, or nullopt when retries are exhausted.
  // Each failure doubles the delay up to max_s.
  std::optional<double> next_delay();
  // A connection that worked: the next failure starts from initial_s again.
  void reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  double initial_s_;
  double max_s_;
  int max_retries_;
  int attempts_ = 0;
};

}  // namespace mixcast
