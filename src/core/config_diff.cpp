#include "core/config_diff.h"

#include <algorithm>
#include <map>

namespace mixcast {

namespace {

void note(std::vector<std::string>& fields, bool changed, const std::string& field) {
  if (changed) fields.push_back(field);
}

bool same_source(const SourceConfig& a, const SourceConfig& b) {
  return a.name == b.name && a.identity == b.identity && a.uri == b.uri &&
         a.join_at_s == b.join_at_s && a.leave_at_s == b.leave_at_s &&
         a.repeat_every_s == b.repeat_every_s && a.loop == b.loop;
}

bool same_sources(const std::vector<SourceConfig>& a, const std::vector<SourceConfig>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_source);
}

bool same_outputs(const OutputsConfig& a, const OutputsConfig& b) {
  return a.hls == b.hls && a.recording == b.recording && a.rtmp == b.rtmp;
}

bool same_webrtc(const WebRtcConfig& a, const WebRtcConfig& b) {
  return a.auto_create_rooms == b.auto_create_rooms && a.room_layout == b.room_layout &&
         a.stun_servers == b.stun_servers && a.turn_servers == b.turn_servers &&
         a.ice_addresses == b.ice_addresses && a.udp_port_min == b.udp_port_min &&
         a.udp_port_max == b.udp_port_max &&
         a.jitterbuffer_latency_ms == b.jitterbuffer_latency_ms &&
         a.departure_timeout_s == b.departure_timeout_s &&
         a.ice_gathering_timeout_s == b.ice_gathering_timeout_s &&
         a.keyframe_min_interval_s == b.keyframe_min_interval_s && a.vp8_encoder == b.vp8_encoder &&
         a.idle_room_close_s == b.idle_room_close_s;
}

bool same_webhooks(const WebhookConfig& a, const WebhookConfig& b) {
  if (a.targets.size() != b.targets.size()) return false;
  for (size_t i = 0; i < a.targets.size(); ++i)
    if (a.targets[i].url != b.targets[i].url || a.targets[i].secret != b.targets[i].secret)
      return false;
  return a.queue_limit == b.queue_limit && a.backoff_initial_s == b.backoff_initial_s &&
         a.backoff_max_s == b.backoff_max_s && a.timeout_s == b.timeout_s;
}

// HLS or the recording: what to do with the running output.
template <typename Settings>
OutputChange output_change(const Settings& before, const Settings& after) {
  if (before.enabled != after.enabled)
    return after.enabled ? OutputChange::Start : OutputChange::Stop;
  if (after.enabled && !(before == after)) return OutputChange::Restart;
  return OutputChange::Same;
}

OutputsDiff diff_outputs(const OutputsConfig& before, const OutputsConfig& after) {
  OutputsDiff out;
  out.hls = output_change(before.hls, after.hls);
  out.recording = output_change(before.recording, after.recording);
  std::map<std::string, const RtmpConfig*> old_rtmp;
  for (const auto& rtmp : before.rtmp) old_rtmp[rtmp.name] = &rtmp;
  for (const auto& rtmp : after.rtmp) {
    auto it = old_rtmp.find(rtmp.name);
    if (it == old_rtmp.end())
      out.rtmp_added.push_back(rtmp);
    else if (!(*it->second == rtmp))
      out.rtmp_changed.push_back(rtmp);
    if (it != old_rtmp.end()) old_rtmp.erase(it);
  }
  for (const auto& [name, rtmp] : old_rtmp) out.rtmp_removed.push_back(name);
  return out;
}

const RoomConfig* find_room(const Config& config, const std::string& name) {
  for (const auto& room : config.rooms)
    if (room.name == name) return &room;
  return nullptr;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

bool OutputsDiff::empty() const {
  return rtmp_added.empty() && rtmp_removed.empty() && rtmp_changed.empty() &&
         hls == OutputChange::Same && recording == OutputChange::Same;
}

bool ConfigDiff::empty() const {
  return rooms_added.empty() && rooms_removed.empty() && rooms_changed.empty() && !webrtc_changed &&
         !default_outputs_changed && !drain_retry_after_changed;
}

std::string ConfigDiff::summary() const {
  std::vector<std::string> parts;
  std::vector<std::string> names;
  for (const auto& room : rooms_added) names.push_back(room.name);
  if (!names.empty()) parts.push_back("rooms added: " + joined(names));
  if (!rooms_removed.empty()) parts.push_back("rooms removed: " + joined(rooms_removed));
  names.clear();
  for (const auto& room : rooms_changed) {
    std::vector<std::string> what;
    if (room.outputs_settings_changed) what.push_back("outputs");
    if (room.layout_changed) what.push_back("layout " + room.next.layout);
    if (room.limits_changed) what.push_back("limits");
    names.push_back(room.name + " (" + joined(what) + ")");
  }
  if (!names.empty()) parts.push_back("rooms changed: " + joined(names));
  if (webrtc_changed) parts.push_back("webrtc (new sessions and rooms)");
  if (default_outputs_changed) parts.push_back("default_outputs (rooms made from now on)");
  if (drain_retry_after_changed) parts.push_back("drain_retry_after_s");
  if (!needs_restart.empty()) parts.push_back("needs a restart: " + joined(needs_restart));
  if (parts.empty()) return "no changes";
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

ConfigDiff diff_configs(const Config& running, const Config& next) {
  ConfigDiff diff;
  std::vector<std::string>& restart = diff.needs_restart;
  note(restart, running.log_level != next.log_level, "log_level");
  note(restart, running.shutdown_timeout_s != next.shutdown_timeout_s, "shutdown_timeout_s");
  const HttpConfig& h0 = running.http;
  const HttpConfig& h1 = next.http;
  note(restart, h0.enabled != h1.enabled, "http.enabled");
  note(restart, h0.address != h1.address, "http.address");
  note(restart, h0.port != h1.port, "http.port");
  note(restart, h0.public_url != h1.public_url, "http.public_url");
  note(restart, h0.tls_certificate != h1.tls_certificate, "http.tls_certificate");
  note(restart, h0.tls_key != h1.tls_key, "http.tls_key");
  // Keys and secrets are named, never shown.
  const AuthConfig& a0 = running.auth;
  const AuthConfig& a1 = next.auth;
  note(restart, a0.none != a1.none, "auth");
  note(restart, a0.api_keys != a1.api_keys, "auth.api_keys");
  note(restart, a0.token_secret != a1.token_secret, "auth.token_secret");
  note(restart, a0.hls_public != a1.hls_public, "auth.hls");
  note(restart, a0.max_token_ttl_s != a1.max_token_ttl_s, "auth.max_token_ttl_s");
  note(restart, !same_webhooks(running.webhooks, next.webhooks), "webhooks");
  const MediaConfig& m0 = running.media;
  const MediaConfig& m1 = next.media;
  note(restart, m0.width != m1.width, "media.width");
  note(restart, m0.height != m1.height, "media.height");
  note(restart, m0.fps != m1.fps, "media.fps");
  note(restart, m0.video_bitrate_kbps != m1.video_bitrate_kbps, "media.video_bitrate_kbps");
  note(restart, m0.audio_bitrate_kbps != m1.audio_bitrate_kbps, "media.audio_bitrate_kbps");
  note(restart, m0.audio_rate != m1.audio_rate, "media.audio_rate");
  note(restart, m0.audio_channels != m1.audio_channels, "media.audio_channels");
  note(restart, m0.keyframe_interval_s != m1.keyframe_interval_s, "media.keyframe_interval_s");
  note(restart, m0.video_encoder != m1.video_encoder, "media.video_encoder");
  note(restart, m0.audio_encoder != m1.audio_encoder, "media.audio_encoder");
  note(restart, m0.mixer_latency_ms != m1.mixer_latency_ms, "media.mixer_latency_ms");
  note(restart, m0.stall_timeout_s != m1.stall_timeout_s, "media.stall_timeout_s");
  const PathsConfig& p0 = running.paths;
  const PathsConfig& p1 = next.paths;
  note(restart, p0.layouts != p1.layouts, "paths.layouts");
  note(restart, p0.pipelines != p1.pipelines, "paths.pipelines");
  note(restart, p0.hls != p1.hls, "paths.hls");
  note(restart, p0.recordings != p1.recordings, "paths.recordings");

  diff.webrtc_changed = !same_webrtc(running.webrtc, next.webrtc);
  diff.default_outputs_changed = !same_outputs(running.default_outputs, next.default_outputs);
  diff.drain_retry_after_changed = running.drain_retry_after_s != next.drain_retry_after_s;

  for (size_t i = 0; i < next.rooms.size(); ++i) {
    const RoomConfig& after = next.rooms[i];
    const RoomConfig* before = find_room(running, after.name);
    if (!before) {
      diff.rooms_added.push_back(after);
      continue;
    }
    const std::string at = "rooms[" + std::to_string(i) + "]";
    note(restart, before->width != after.width, at + ".width");
    note(restart, before->height != after.height, at + ".height");
    note(restart, before->fps != after.fps, at + ".fps");
    note(restart, !same_sources(before->sources, after.sources), at + ".sources");
    RoomDiff room;
    room.name = after.name;
    room.outputs = diff_outputs(before->outputs, after.outputs);
    room.outputs_settings_changed = !same_outputs(before->outputs, after.outputs);
    room.layout_changed = before->layout != after.layout;
    room.limits_changed = before->max_participants != after.max_participants ||
                          before->max_viewers != after.max_viewers;
    if (!room.outputs_settings_changed && !room.layout_changed && !room.limits_changed) continue;
    room.next = after;
    // What needs a restart stays as it runs.
    room.next.width = before->width;
    room.next.height = before->height;
    room.next.fps = before->fps;
    room.next.sources = before->sources;
    diff.rooms_changed.push_back(std::move(room));
  }
  for (const auto& before : running.rooms)
    if (!find_room(next, before.name)) diff.rooms_removed.push_back(before.name);
  return diff;
}

Config config_after_reload(const Config& running, const Config& next) {
  Config out = next;
  out.log_level = running.log_level;
  out.shutdown_timeout_s = running.shutdown_timeout_s;
  out.http = running.http;
  out.auth = running.auth;
  out.webhooks = running.webhooks;
  out.media = running.media;
  out.paths = running.paths;
  for (auto& room : out.rooms) {
    const RoomConfig* before = find_room(running, room.name);
    if (!before) continue;
    room.width = before->width;
    room.height = before->height;
    room.fps = before->fps;
    room.sources = before->sources;
  }
  return out;
}

}  // namespace mixcast
