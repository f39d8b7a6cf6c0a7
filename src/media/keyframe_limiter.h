// Forced keyframes of a shared encode, at most one per interval. Every new
// receiver and every PLI/FIR of a peer arrives as an upstream force-key-unit
// event at the encode's tee; a probe on the tee's sink lets one through per
// interval and turns the rest into one deferred request (core/RateLimit).
// Requests before the encoder's first frame are dropped: that frame is a
// keyframe, and everyone who asked is linked to receive it.
// The encoders' own min-force-key-unit-interval is left at 0: in GStreamer
// 1.22.0 it stops forcing keyframes after the first one.
#pragma once

#include <gst/gst.h>

namespace mixcast {

// Installs the limiter on `tee_sink` (the sink pad of the tee after the
// encoder); it lives as long as the pad.
void limit_keyframe_requests(GstPad* tee_sink, double min_interval_s);

}  // namespace mixcast
