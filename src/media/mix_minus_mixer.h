// The room's audio mixer: one GstAudioAggregator that sums every input
// (F32 interleaved, fixed rate and channels) on its "src" pad and, from the
// same output block, pushes each participant's mix-minus (the sum less
// their own samples, limited) on a src pad of its own.
//
// Why one aggregator: the own samples subtracted are the very samples that
// went into that block of the sum, so cancellation is exact whatever the
// input's jitter, lateness or drops (a late input is simply absent from both),
// and every return feed is paced and timestamped by the room's one live mixer.
//
// The element is made and driven from the main loop; these functions are its
// whole interface (no properties or signals of its own).
#pragma once

#include <gst/gst.h>

#include <string>

namespace mixcast::mix_minus_mixer {

// A new mixer for the room's fixed `rate` and `channels` (floating
// reference, like gst_element_factory_make). Inputs are
// request pads "sink_%u" (gst_element_request_pad_simple) and are released
// with gst_element_release_request_pad, which flushes the pad first: a push
// or serialized query waiting inside it returns FLUSHING.
GstElement* make(const char* name, int rate, int channels);

// Adds a src pad `name` carrying the mix less the samples of the sink pad
// `own_input` (nullptr: the whole mix, limited). The pad is active and fed
// from the mixer's streaming thread at once; link it to a leaky queue (a push
// into a slow or unlinked return is dropped, its result ignored, so a return
// can never hold up the mix). The mixer owns the pad; the return value is
// borrowed.
GstPad* add_output(GstElement* mixer, const std::string& name, GstPad* own_input);
// Which input an output leaves out (nullptr: none). Releasing that input's
// request pad clears it as well.
void set_own_input(GstElement* mixer, GstPad* output, GstPad* own_input);
// The operator's gain of input `input` (a sink pad of the mixer), applied to
// its samples before the sum: the sum and every mix-minus get the scaled
// samples, and the participant's own feed loses exactly those (0: muted,
// out of everyone's mix). Takes effect from the next block over a 10 ms ramp;
// set before the input's first buffer, it applies from that buffer on.
// Any thread.
void set_input_gain(GstPad* input, float gain);
// Stops feeding `output` (waits for a push in flight, which a leaky queue
// returns at once), deactivates and removes it (which unlinks it).
void remove_output(GstElement* mixer, GstPad* output);

}  // namespace mixcast::mix_minus_mixer
