#include "media/encoder.h"

#include <algorithm>
#include <stdexcept>

#include "media/gst_ptr.h"

namespace mixcast {

namespace {

const char* codec_caps(const std::string& codec) {
  if (codec == "h264") return "video/x-h264";
  if (codec == "vp8") return "video/x-vp8";
  if (codec == "aac") return "audio/mpeg, mpegversion=(int)4";
  if (codec == "opus") return "audio/x-opus";
  return "ANY";
}

}  // namespace

ProfileVars profile_vars(const EncoderProfile& profile, const EncodeSettings& s) {
  const bool video = profile.kind == "video";
  const int kbps = video ? s.video_bitrate_kbps : s.audio_bitrate_kbps;
  const int keyint = std::max(1, static_cast<int>(s.keyframe_interval_s * s.fps + 0.5));
  return ProfileVars{{"bitrate_kbps", std::to_string(kbps)},
                     {"bitrate_bps", std::to_string(kbps * 1000)},
                     {"fps", std::to_string(s.fps)},
                     {"keyframe_interval_frames", std::to_string(keyint)},
                     {"keyframe_interval_s", std::to_string(s.keyframe_interval_s)},
                     {"width", std::to_string(s.width)},
                     {"height", std::to_string(s.height)},
                     {"rate", std::to_string(s.audio_rate)},
                     {"channels", std::to_string(s.audio_channels)}};
}

GstElement* build_encoder(const EncoderProfile& profile, const EncodeSettings& settings) {
  IssueList issues;
  const std::string launch = expand_launch(profile, profile_vars(profile, settings), issues);
  issues.throw_if_any();
  GError* raw_error = nullptr;
  GstElement* bin = gst_parse_bin_from_description(launch.c_str(), TRUE, &raw_error);
  GErrorPtr error(raw_error);
  if (!bin || error) {
    if (bin) gst_object_unref(gst_object_ref_sink(bin));
    throw std::runtime_error(error ? error->message : "does not build");
  }
  return bin;
}

void check_encoder_profiles(const Config& config,
                            const std::map<std::string, EncoderProfile>& profiles,
                            IssueList& issues) {
  const struct {
    const std::string& name;
    const char* kind;
    const char* field;
    const char* codec;  // nullptr: any codec of that kind
  } wanted[] = {{config.media.video_encoder, "video", "media.video_encoder", nullptr},
                {config.media.audio_encoder, "audio", "media.audio_encoder", nullptr},
                {config.webrtc.vp8_encoder, "video", "webrtc.vp8_encoder", "vp8"}};
  EncodeSettings settings;
  settings.fps = config.media.fps;
  settings.video_bitrate_kbps = config.media.video_bitrate_kbps;
  settings.audio_bitrate_kbps = config.media.audio_bitrate_kbps;
  settings.keyframe_interval_s = config.media.keyframe_interval_s;
  for (const auto& w : wanted) {
    const FilePos pos = config.position_of(w.field);
    auto it = profiles.find(w.name);
    if (it == profiles.end()) {
      std::string known;
      for (const auto& [name, p] : profiles) known += (known.empty() ? "" : ", ") + name;
      issues.add(FileIssue{config.file, pos.line, pos.column, w.field,
                           "no encoder profile named '" + w.name + "' in " +
                               config.pipelines_dir() + " (have: " + known + ")"});
      continue;
    }
    const EncoderProfile& profile = it->second;
    if (profile.kind != w.kind) {
      issues.add(FileIssue{config.file, pos.line, pos.column, w.field,
                           "profile '" + w.name + "' encodes " + profile.kind + ", not " + w.kind});
      continue;
    }
    if (w.codec && profile.codec != w.codec) {
      issues.add(
          FileIssue{config.file, pos.line, pos.column, w.field,
                    "profile '" + w.name + "' encodes " + profile.codec + ", not " + w.codec});
      continue;
    }
    try {
      auto bin = adopt(build_encoder(profile, settings));
      GstPad* src = gst_element_get_static_pad(bin.get(), "src");
      if (!src) {
        issues.add(FileIssue{profile.file, profile.launch_line, 0, "launch",
                             "the fragment must have one unlinked output"});
        continue;
      }
      MiniPtr<GstCaps> produced(gst_pad_query_caps(src, nullptr));
      MiniPtr<GstCaps> expected(gst_caps_from_string(codec_caps(profile.codec)));
      gst_object_unref(src);
      if (!gst_caps_can_intersect(produced.get(), expected.get()))
        issues.add(FileIssue{profile.file, profile.launch_line, 0, "launch",
                             "the fragment does not produce " + profile.codec});
    } catch (const std::exception& e) {
      issues.add(FileIssue{profile.file, profile.launch_line, 0, "launch", e.what()});
    }
  }
}

}  // namespace mixcast
