// The room's audio mix: audiomixer in F32 (integer formats saturate) with a
// permanent live silence input, fixed output caps, and a limiter on the sum.
// Each participant enters through audioconvert ! audioresample ! fixed caps
// (audiomixer does not resample) ! tee ! level (for the active speaker).
//
// Mix-minus (what a participant hears: everyone but themselves) costs O(N):
// the unlimited sum is computed once; each participant's feed is a
// two-input audiomixer of that sum and the participant's own samples
// inverted (audioamplify -1), aligned by running time, then limited. (The
// audiomixer pad volume cannot be negative, hence the amplifier.)
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
  // The mix's timeline starts here (running time, on the 10 ms grid): 0 for
  // a new room, "now" for a core rebuilt in a running room.
  GstClockTime start_time = 0;
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

  // The participant's mix-minus feed (F32, limited); created on first call.
  GstPad* mix_minus_pad(const std::string& participant_id);
  void remove_mix_minus(const std::string& participant_id);
  // Level messages come from elements named "level-<participant id>".
  static std::string level_element_name(const std::string& participant_id);

 private:
  struct Input {
    GstElement* bin = nullptr;
    GstPad* mixer_pad = nullptr;
    GstElement* own_tee = nullptr;  // inside bin: the participant's samples
  };
  struct MixMinus {
    GstElement* bin = nullptr;      // sum + inverted own -> limiter
    GstPad* sum_tee_pad = nullptr;  // on sum_tee_
    GstPad* own_tee_pad = nullptr;  // on the input's own tee, while it exists
    std::unique_ptr<Limiter> limiter;
    gulong probe = 0;
  };
  void link_own(const std::string& participant_id);
  void unlink_own(MixMinus& mm, Input* input);
  struct SampleGrid;
  static GstPadProbeReturn snap_to_sample_grid(GstPad* pad, GstPadProbeInfo* info, gpointer grid);
  // Runs a Limiter (the user data) over F32 buffers in place.
  static GstPadProbeReturn limit(GstPad* pad, GstPadProbeInfo* info, gpointer limiter);

  GstBin* pipeline_;
  AudioSpec spec_;
  GstElement* mixer_ = nullptr;
  GstPad* src_pad_ = nullptr;
  gulong limiter_probe_ = 0;
  Limiter limiter_;  // touched only by the mixer's streaming thread
  GstElement* sum_tee_ = nullptr;
  std::map<std::string, Input> inputs_;
  std::map<std::string, MixMinus> mix_minus_;
};

}  // namespace mixcast
