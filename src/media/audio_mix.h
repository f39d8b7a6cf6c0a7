// The room's audio mix: audiomixer in F32 (integer formats saturate) with a
// permanent live silence input, fixed output caps, and a limiter on the sum.
// Each participant enters through audioconvert ! audioresample ! fixed caps
// (audiomixer does not resample) ! level (for the active speaker).
#pragma once

#include <gst/gst.h>

#include <map>
#include <memory>
#include <string>

#include "core/audio_math.h"

namespace mixcast {

struct AudioSpec {
  int rate = 48000;
  int channels = 2;
  int latency_ms = 100;
};

class AudioMix {
 public:
  AudioMix(GstBin* pipeline, const AudioSpec& spec);
  ~AudioMix();
  AudioMix(const AudioMix&) = delete;
  AudioMix& operator=(const AudioMix&) = delete;

  // F32 interleaved mix at the fixed rate and channel count.
  GstPad* src_pad() const { return src_pad_; }

  void add_input(const std::string& participant_id, GstPad* audio_src);
  void remove_input(const std::string& participant_id);
  // Level messages come from elements named "level-<participant id>".
  static std::string level_element_name(const std::string& participant_id);

 private:
  static GstPadProbeReturn on_mix_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer self);

  struct Input {
    GstElement* bin = nullptr;
    GstPad* mixer_pad = nullptr;
  };

  GstBin* pipeline_;
  AudioSpec spec_;
  GstElement* mixer_ = nullptr;
  GstPad* src_pad_ = nullptr;
  gulong limiter_probe_ = 0;
  Limiter limiter_;  // touched only by the mixer's streaming thread
  std::map<std::string, Input> inputs_;
};

}  // namespace mixcast
