// Encoder profiles: gst-launch fragments kept as data in pipelines/*.yaml so
// an operator can swap x264 for openh264 or a hardware encoder without
// recompiling. This part is pure: reading the files and filling placeholders.
// The media layer checks that each fragment really builds (media/encoder.cpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/errors.h"

namespace mixcast {

struct EncoderProfile {
  std::string name;   // file stem, e.g. "x264"
  std::string kind;   // "video" or "audio"
  std::string codec;  // "h264", "vp8", "aac", "opus"
  std::string description;
  std::string launch;  // gst-launch fragment with {placeholders}
  std::string file;
  int launch_line = 0;
};

// Values a fragment may use: {bitrate_kbps}, {bitrate_bps}, {fps},
// {keyframe_interval_frames}, {keyframe_interval_s}, {width}, {height},
// {rate}, {channels}.
using ProfileVars = std::map<std::string, std::string>;

EncoderProfile parse_profile(const std::string& yaml_text, const std::string& file);
// Reads every *.yaml in `dir`; the map key is the profile name.
std::map<std::string, EncoderProfile> load_profiles(const std::string& dir);

// Replaces {name} with vars[name]. An unknown placeholder or an unclosed brace
// is an issue naming the profile file.
std::string expand_launch(const EncoderProfile& profile, const ProfileVars& vars,
                          IssueList& issues);

}  // namespace mixcast
