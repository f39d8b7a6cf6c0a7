// The room's audio mix: one mixer of our own (media/mix_minus_mixer.h), a
// GstAudioAggregator in F32 (integer formats saturate) with a permanent live
// silence input (see GSTREAMER-NOTES: a live mixer without one can reset its
// timeline), fixed output caps, and a limiter on the full sum.
// Each participant enters through audioconvert ! audioresample ! fixed caps
// (the mixer does not resample) ! level (for the active speaker) ! leaky
// queue.
//
// Mix-minus (what a participant hears: everyone but themselves) costs O(N)
// per block: the mixer keeps, for the block it builds, each input's own
// samples, and pushes each participant the sum less those, limited, with the
// full mix's timestamps, on a src pad of its own into a leaky queue. Exact
// by construction: the samples subtracted are the ones that were added.
#pragma once

#include <gst/gst.h>

#include <map>
#include <string>

#include "core/audio_math.h"
#include "media/gst_ptr.h"

namespace mixcast {

struct AudioSpec {
  int rate = 48000;
  int channels = 2;
  int latency_ms = 100;
  // A new room's mix starts at running time 0; a core rebuilt in a running
  // room starts at its first input (its live silence, now).
  bool joins_running_room = false;
};

class AudioMix {
 public:
  AudioMix(GstBin* pipeline, const AudioSpec& spec);
  ~AudioMix();
  AudioMix(const AudioMix&) = delete;
  AudioMix& operator=(const AudioMix&) = delete;

  // F32 interleaved mix at the fixed rate and channel count.
  GstPad* src_pad() const { return src_pad_.get(); }

  // `gain`: the participant's volume (0: muted), in effect from its first sample.
  void add_input(const std::string& participant_id, GstPad* audio_src, float gain = 1.f);
  void remove_input(const std::string& participant_id);
  // The participant's gain before the sum (0: muted), for the full mix and
  // every mix-minus alike; their own mix-minus still loses exactly what they
  // put in. No input yet: nothing to do (add_input takes the gain).
  void set_gain(const std::string& participant_id, float gain);

  // The participant's mix-minus feed (F32, limited; a new reference); created
  // on first call.
  GstPad* mix_minus_pad(const std::string& participant_id);
  void remove_mix_minus(const std::string& participant_id);
  // Level messages come from elements named "level-<participant id>".
  static std::string level_element_name(const std::string& participant_id);

 private:
  struct Input {
    GstElement* bin = nullptr;
    GstPtr<GstPad> mixer_pad;  // request pad on mixer_
  };
  struct MixMinus {
    GstPad* mixer_src = nullptr;  // on mixer_, owned by it
    GstElement* queue = nullptr;  // leaky: a slow return never holds the mix
  };
  // Runs a Limiter (the user data) over F32 buffers in place.
  static GstPadProbeReturn limit(GstPad* pad, GstPadProbeInfo* info, gpointer limiter);

  GstBin* pipeline_;
  AudioSpec spec_;
  GstElement* mixer_ = nullptr;
  GstPtr<GstPad> src_pad_;
  gulong limiter_probe_ = 0;
  Limiter limiter_;  // touched only by the mixer's streaming thread
  std::map<std::string, Input> inputs_;
  std::map<std::string, MixMinus> mix_minus_;
};

}  // namespace mixcast
