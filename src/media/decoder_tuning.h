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

// Files (not WebRTC): decoders decodebin should pass over for a cheaper one
// of the same format. libav's Opus decoder takes half the CPU of libopus's
// opusdec (0.09 s against 0.18 s for 40 s of stereo); opusdec's packet-loss
// concealment, its only advantage, is for RTP, and files lose no packets.
bool skip_for_files(std::string_view factory);
// Connects skip_for_files() to a uridecodebin's (or decodebin's) autoplug-select.
void prefer_cheaper_decoders(GstElement* decodebin);

}  // namespace mixcast
