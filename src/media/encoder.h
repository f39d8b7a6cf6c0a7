// The room's one encode per codec. Encoder bins come from the profiles in
// pipelines/ (gst-launch fragments), checked at start-up so that a typo in a
// profile is a start-up error naming the file, not a dead room later.
#pragma once

#include <gst/gst.h>

#include <map>
#include <string>

#include "core/config.h"
#include "core/profile.h"

namespace mixcast {

struct EncodeSettings {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int video_bitrate_kbps = 2500;
  int audio_bitrate_kbps = 128;
  int audio_rate = 48000;
  int audio_channels = 2;
  double keyframe_interval_s = 2;
};

ProfileVars profile_vars(const EncoderProfile& profile, const EncodeSettings& settings);

// A bin with one sink and one src ghost pad; throws std::runtime_error (with
// the profile file in the message) when the fragment does not build.
GstElement* build_encoder(const EncoderProfile& profile, const EncodeSettings& settings);

// Checks that every profile named by the config exists, is of the right kind,
// builds, and produces its codec. Appends issues naming the profile file.
void check_encoder_profiles(const Config& config,
                            const std::map<std::string, EncoderProfile>& profiles,
                            IssueList& issues);

}  // namespace mixcast
