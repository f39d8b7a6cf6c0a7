// The media side of core/FrameGovernor, on the room's programme encode:
// keeps one frame in `divisor` at the encoder's queue (evenly: frames
// 0, 2, 4, ... at 2), counts what it offered to the queue and what it thinned
// out, and measures how long the encoder takes per frame (from a frame
// entering the encoder to the next coded frame leaving it: the same thread
// for a synchronous encoder such as x264 zerolatency, so the wall time the
// encoder really took, preemption included).
//
// One per room: a rebuilt core's encoder is attached to the same pacer, so
// its totals run on across rebuilds. The probes run in the streaming threads
// and share a counted state with this object, so a pipeline torn down after
// a core rebuild may still run them safely.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>

namespace mixcast {

class EncodePacer {
 public:
  struct Totals {
    uint64_t offered = 0;  // frames handed to the encoder's queue
    uint64_t thinned = 0;  // frames kept from it by the divisor
    uint64_t encoded = 0;  // frames timed through the encoder
    double encode_s = 0;   // their summed encoding time
  };

  EncodePacer();
  ~EncodePacer();
  EncodePacer(const EncodePacer&) = delete;
  EncodePacer& operator=(const EncodePacer&) = delete;

  // `queue`: the leaky queue before `encoder` (an element or a bin) of the
  // room's current core.
  void attach(GstElement* queue, GstElement* encoder);
  // Any thread: from the next frame on.
  void set_divisor(int divisor);
  Totals totals() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mixcast
