// Settings for the decoders decodebin picks for a participant. A mixing
// server decodes many streams at once and its parallelism is across them:
// a decoder's own worker threads only add wake-ups and hand-offs per frame
// (libvpx's vp8dec starts one per core by default), and libav's frame
// threads add a frame of delay each. Every decoder gets one thread.
#pragma once

#include <gst/gst.h>

#include <string_view>
#include <vector>

namespace mixcast {

struct DecoderSetting {
  const char* property;
  guint value;
};

// What to set on an element of `factory` (empty for anything else).
std::vector<DecoderSetting> decoder_settings(std::string_view factory);

// Applies decoder_settings() to every element added anywhere inside `bin`
// from now on (GstBin's deep-element-added).
void tune_decoders_inside(GstBin* bin);

}  // namespace mixcast
