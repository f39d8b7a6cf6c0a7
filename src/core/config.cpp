// Semantic checks on the configuration structs, and small helpers. The YAML
// side (config_yaml.cpp) only checks shapes and types; every rule about values
// lives here so that configs built in code get exactly the same checks.
#include "core/config.h"

#include "core/ice_server.h"

#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <string_view>

namespace mixcast {

namespace {

constexpr int kMinSize = 16;
constexpr int kMaxSize = 7680;
constexpr int kMaxFps = 120;
constexpr double kMaxFragmentS = 60;
constexpr std::size_t kMaxRoomNameLength = 64;

// Doubles in messages: "0.5", "2", "1e+06" rather than "0.500000".
std::string num(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  for (auto prefix : prefixes) {
    if (text.starts_with(prefix)) return true;
  }
  return false;
}

// Reports issues against dotted field paths, using the positions recorded by
// the parser when there are any. A field that was not written in the file
// (a default, or an inherited value) is reported at its nearest written
// ancestor, e.g. "rooms[0].outputs.hls" for "rooms[0].outputs.hls.max_files".
class Checker {
 public:
  Checker(const Config& config, IssueList& issues) : config_(config), issues_(issues) {}

  void report(const std::string& field, std::string message, int fallback_line = 0) {
    FilePos pos = locate(field, fallback_line);
    issues_.add(FileIssue{config_.file, pos.line, pos.column, field, std::move(message)});
  }

  void int_range(const std::string& field, int value, int min, int max, int fallback_line = 0) {
    if (value < min || value > max) {
      report(field,
             "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                 std::to_string(value) + ")",
             fallback_line);
    }
  }

  // Written as !(value > 0) so that NaN (".nan" in YAML) is rejected too.
  void positive(const std::string& field, double value, int fallback_line = 0) {
    if (!(value > 0) || std::isinf(value)) {
      report(field, "must be greater than 0 (got " + num(value) + ")", fallback_line);
    }
  }

  void positive(const std::string& field, int value, int fallback_line = 0) {
    if (value <= 0) {
      report(field, "must be greater than 0 (got " + std::to_string(value) + ")", fallback_line);
    }
  }

  void not_empty(const std::string& field, const std::string& value, int fallback_line = 0) {
    if (value.empty()) report(field, "must not be empty", fallback_line);
  }

  // Canvas sizes: even because I420 halves the chroma planes.
  void frame_size(const std::string& field, int value, int fallback_line = 0) {
    if (value < kMinSize || value > kMaxSize || value % 2 != 0) {
      report(field,
             "must be an even number between " + std::to_string(kMinSize) + " and " +
                 std::to_string(kMaxSize) + " (got " + std::to_string(value) + ")",
             fallback_line);
    }
  }

 private:
  FilePos locate(const std::string& field, int fallback_line) const {
    const FilePos pos = config_.position_of(field);
    return pos.line > 0 ? pos : FilePos{fallback_line, 0};
  }

  const Config& config_;
  IssueList& issues_;
};

void check_http(Checker& check, const HttpConfig& http) {
  check.not_empty("http.address", http.address);
  check.int_range("http.port", http.port, 1, 65535);
  if (!http.public_url.empty() && !starts_with_any(http.public_url, {"http://", "https://"})) {
    check.report("http.public_url", "must start with http:// or https://");
  }
  // A certificate is of no use without its private key, and the other way round.
  if (http.tls_certificate.empty() != http.tls_key.empty()) {
    const bool has_certificate = !http.tls_certificate.empty();
    check.report(has_certificate ? "http.tls_key" : "http.tls_certificate",
                 std::string("is required with ") +
                     (has_certificate ? "http.tls_certificate" : "http.tls_key") +
                     " (HTTPS needs both: the certificate and its private key, PEM files)");
  }
}

void check_media(Checker& check, const MediaConfig& media) {
  check.frame_size("media.width", media.width);
  check.frame_size("media.height", media.height);
  check.int_range("media.fps", media.fps, 1, kMaxFps);
  check.positive("media.video_bitrate_kbps", media.video_bitrate_kbps);
  check.positive("media.audio_bitrate_kbps", media.audio_bitrate_kbps);
  check.int_range("media.audio_rate", media.audio_rate, 8000, 192000);
  check.int_range("media.audio_channels", media.audio_channels, 1, 8);
  check.positive("media.keyframe_interval_s", media.keyframe_interval_s);
  check.not_empty("media.video_encoder", media.video_encoder);
  check.not_empty("media.audio_encoder", media.audio_encoder);
  check.int_range("media.mixer_latency_ms", media.mixer_latency_ms, 0, 10000);
  check.positive("media.stall_timeout_s", media.stall_timeout_s);
}

void check_webrtc(Checker& check, const WebRtcConfig& w) {
  check.not_empty("webrtc.room_layout", w.room_layout);
  check.not_empty("webrtc.vp8_encoder", w.vp8_encoder);
  if (!(w.idle_room_close_s >= 0) || std::isinf(w.idle_room_close_s))
    check.report("webrtc.idle_room_close_s",
                 "must be 0 (never) or more (got " + num(w.idle_room_close_s) + ")");
  for (size_t i = 0; i < w.stun_servers.size(); ++i) {
    std::string error;
    const auto server = parse_ice_server(w.stun_servers[i], error);
    if (server && server->kind != IceServer::Kind::Stun) error = "a stun:// URL is expected here";
    if (!error.empty())
      check.report("webrtc.stun_servers[" + std::to_string(i) + "]",
                   error + " (got \"" + w.stun_servers[i] + "\")");
  }
  for (size_t i = 0; i < w.turn_servers.size(); ++i) {
    std::string error;
    const auto server = parse_ice_server(w.turn_servers[i], error);
    if (server && server->kind == IceServer::Kind::Stun)
      error = "a turn:// or turns:// URL is expected here";
    // The URL holds a password: never echo it.
    if (!error.empty()) check.report("webrtc.turn_servers[" + std::to_string(i) + "]", error);
  }
  for (size_t i = 0; i < w.ice_addresses.size(); ++i) {
    if (!is_ip_address(w.ice_addresses[i]))
      check.report("webrtc.ice_addresses[" + std::to_string(i) + "]",
                   "must be an IPv4 or IPv6 address (got \"" + w.ice_addresses[i] + "\")");
  }
  if (w.udp_port_min != 0 || w.udp_port_max != 0) {
    check.int_range("webrtc.udp_port_min", w.udp_port_min, 1024, 65535);
    check.int_range("webrtc.udp_port_max", w.udp_port_max, 1024, 65535);
    if (w.udp_port_min > w.udp_port_max)
      check.report("webrtc.udp_port_max",
                   "must not be below udp_port_min (" + std::to_string(w.udp_port_min) + ")");
  }
  check.int_range("webrtc.jitterbuffer_latency_ms", w.jitterbuffer_latency_ms, 0, 2000);
  check.positive("webrtc.departure_timeout_s", w.departure_timeout_s);
  check.positive("webrtc.ice_gathering_timeout_s", w.ice_gathering_timeout_s);
  if (!(w.keyframe_min_interval_s >= 0) || w.keyframe_min_interval_s > 60)
    check.report("webrtc.keyframe_min_interval_s",
                 "must be between 0 and 60 (got " + num(w.keyframe_min_interval_s) + ")");
}

// An Origin header as browsers send it: scheme://host[:port], nothing after.
bool is_origin(const std::string& origin) {
  const size_t scheme_end = origin.find("://");
  if (scheme_end == std::string::npos) return false;
  const std::string scheme = origin.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  const std::string host = origin.substr(scheme_end + 3);
  if (host.empty() || host.front() == ':') return false;
  return host.find_first_of("/?#@ \t") == std::string::npos;
}

void check_limits(Checker& check, const LimitsConfig& l, size_t config_rooms) {
  check.int_range("limits.max_rooms", l.max_rooms, 1, 10000);
  if (l.max_rooms >= 1 && config_rooms > static_cast<size_t>(l.max_rooms))
    check.report("limits.max_rooms",
                 "is below the " + std::to_string(config_rooms) + " rooms of the config file");
  check.int_range("limits.max_participants_per_room", l.max_participants_per_room, 0, 1000);
  check.int_range("limits.max_viewers_per_room", l.max_viewers_per_room, 0, 100000);
  check.int_range("limits.max_websocket_connections", l.max_websocket_connections, 1, 100000);
  check.int_range("limits.max_websocket_connections_per_address",
                  l.max_websocket_connections_per_address, 1, 100000);
  check.int_range("limits.joins_per_minute_per_address", l.joins_per_minute_per_address, 0, 100000);
  // libsoup itself refuses headers over 64 KiB (400): a higher limit would never apply.
  check.int_range("limits.max_header_bytes", l.max_header_bytes, 1024, 65536);
  check.int_range("limits.max_body_bytes", l.max_body_bytes, 1024, 64 * 1024 * 1024);
  check.positive("limits.header_timeout_s", l.header_timeout_s);
  check.positive("limits.idle_timeout_s", l.idle_timeout_s);
  check.positive("limits.ws_messages_per_second", l.ws_messages_per_second);
  check.int_range("limits.ws_message_burst", l.ws_message_burst, 1, 100000);
  for (size_t i = 0; i < l.cors_allow_origins.size(); ++i) {
    const std::string& origin = l.cors_allow_origins[i];
    if (origin != "*" && !is_origin(origin))
      check.report("limits.cors_allow_origins[" + std::to_string(i) + "]",
                   "must be \"*\" or an origin such as https://studio.example or "
                   "http://127.0.0.1:3000, with no path (got \"" +
                       origin + "\")");
  }
}

void check_paths(Checker& check, const PathsConfig& paths) {
  check.not_empty("paths.layouts", paths.layouts);
  check.not_empty("paths.pipelines", paths.pipelines);
  check.not_empty("paths.hls", paths.hls);
  check.not_empty("paths.recordings", paths.recordings);
}

void check_hls(Checker& check, const std::string& path, const HlsConfig& hls, int line) {
  check.positive(path + ".segment_s", hls.segment_s, line);
  if (hls.playlist_length < 1) {
    check.report(path + ".playlist_length",
                 "must be at least 1 (got " + std::to_string(hls.playlist_length) + ")", line);
  } else if (hls.max_files <= hls.playlist_length) {
    // Segments still listed in a playlist must not be deleted under a client.
    check.report(path + ".max_files",
                 "must be greater than playlist_length (" + std::to_string(hls.playlist_length) +
                     "; got " + std::to_string(hls.max_files) + ")",
                 line);
  }
}

void check_recording(Checker& check, const std::string& path, const RecordingConfig& rec,
                     int line) {
  if (rec.format != "mp4" && rec.format != "mkv") {
    check.report(path + ".format", "must be \"mp4\" or \"mkv\" (got \"" + rec.format + "\")", line);
  }
  if (!(rec.fragment_s > 0 && rec.fragment_s <= kMaxFragmentS)) {
    check.report(path + ".fragment_s",
                 "must be greater than 0 and at most " + num(kMaxFragmentS) + " (got " +
                     num(rec.fragment_s) + ")",
                 line);
  }
  if (!(rec.split_s >= 0) || std::isinf(rec.split_s)) {
    check.report(path + ".split_s", "must be 0 (one file) or more (got " + num(rec.split_s) + ")",
                 line);
  }
}

void check_rtmp_list(Checker& check, const std::string& path, const std::vector<RtmpConfig>& list,
                     int line) {
  std::map<std::string, std::size_t> seen;  // name -> first index
  for (std::size_t i = 0; i < list.size(); ++i) {
    const RtmpConfig& rtmp = list[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (rtmp.name.empty()) {
      check.report(at + ".name", "must not be empty", line);
    } else if (rtmp.name == "hls" || rtmp.name == "recording") {
      // The API and the status name those outputs so.
      check.report(at + ".name", "\"" + rtmp.name + "\" is the name of the room's own output",
                   line);
    } else if (auto [it, inserted] = seen.emplace(rtmp.name, i); !inserted) {
      check.report(at + ".name",
                   "duplicate RTMP output name \"" + rtmp.name + "\" (also " + path + "[" +
                       std::to_string(it->second) + "])",
                   line);
    }
    if (!starts_with_any(rtmp.url, {"rtmp://", "rtmps://"})) {
      check.report(at + ".url",
                   rtmp.url.empty()
                       ? std::string("is required (rtmp://... or rtmps://...)")
                       : "must start with rtmp:// or rtmps:// (got \"" + rtmp.url + "\")",
                   line);
    }
    if (rtmp.max_retries < -1) {
      check.report(
          at + ".max_retries",
          "must be -1 (retry forever) or more (got " + std::to_string(rtmp.max_retries) + ")",
          line);
    }
    check.positive(at + ".backoff_max_s", rtmp.backoff_max_s, line);
    if (!(rtmp.backoff_initial_s > 0)) {
      check.positive(at + ".backoff_initial_s", rtmp.backoff_initial_s, line);
    } else if (rtmp.backoff_initial_s > rtmp.backoff_max_s) {
      check.report(at + ".backoff_initial_s",
                   "must not exceed backoff_max_s (" + num(rtmp.backoff_max_s) + "; got " +
                       num(rtmp.backoff_initial_s) + ")",
                   line);
    }
    check.positive(at + ".queue_s", rtmp.queue_s, line);
  }
}

// A room's outputs usually repeat default_outputs (inherited); parts equal to
// the defaults were already checked there and are skipped so that one mistake
// is reported once, not once per room.
void check_outputs(Checker& check, const std::string& path, const OutputsConfig& outputs,
                   const OutputsConfig* defaults, int line) {
  if (!defaults || outputs.hls != defaults->hls) check_hls(check, path + ".hls", outputs.hls, line);
  if (!defaults || outputs.recording != defaults->recording) {
    check_recording(check, path + ".recording", outputs.recording, line);
  }
  if (!defaults || outputs.rtmp != defaults->rtmp) {
    check_rtmp_list(check, path + ".rtmp", outputs.rtmp, line);
  }
}

void check_source(Checker& check, const std::string& at, const SourceConfig& source) {
  const int line = source.line;
  check.not_empty(at + ".name", source.name, line);
  if (source.uri.empty()) check.report(at + ".uri", "is required", line);
  if (!(source.join_at_s >= 0) || std::isinf(source.join_at_s)) {
    check.report(at + ".join_at_s", "must be 0 or more (got " + num(source.join_at_s) + ")", line);
  }
  const bool leaves = source.leave_at_s != -1;
  if (leaves && !(source.leave_at_s > source.join_at_s)) {
    check.report(at + ".leave_at_s",
                 "must be greater than join_at_s (" + num(source.join_at_s) + "; got " +
                     num(source.leave_at_s) + ")",
                 line);
  }
  if (!(source.repeat_every_s >= 0) || std::isinf(source.repeat_every_s)) {
    check.report(at + ".repeat_every_s",
                 "must be 0 (no repeat) or more (got " + num(source.repeat_every_s) + ")", line);
  } else if (source.repeat_every_s > 0) {
    if (!leaves) {
      check.report(at + ".repeat_every_s", "needs leave_at_s: a source that stays cannot repeat",
                   line);
    } else if (!(source.repeat_every_s > source.leave_at_s)) {
      check.report(at + ".repeat_every_s",
                   "must be greater than leave_at_s (" + num(source.leave_at_s) + "; got " +
                       num(source.repeat_every_s) + ")",
                   line);
    }
  }
}

void check_room(Checker& check, const std::string& at, const RoomConfig& room,
                const OutputsConfig& defaults) {
  const int line = room.line;
  if (room.name.empty()) {
    check.report(at + ".name", "is required", line);
  } else if (!valid_room_name(room.name)) {
    check.report(at + ".name",
                 "must be 1 to 64 characters from A-Z a-z 0-9 _ - (got \"" + room.name + "\")",
                 line);
  }
  check.not_empty(at + ".layout", room.layout, line);
  // 0 means "not set": the layout's canvas or the media defaults apply.
  if (room.width != 0) check.frame_size(at + ".width", room.width, line);
  if (room.height != 0) check.frame_size(at + ".height", room.height, line);
  if ((room.width == 0) != (room.height == 0)) {
    check.report(at + (room.width == 0 ? ".width" : ".height"),
                 "width and height must be set together", line);
  }
  if (room.fps != 0) check.int_range(at + ".fps", room.fps, 1, kMaxFps, line);
  check.int_range(at + ".max_participants", room.max_participants, 0, 1000, line);
  check.int_range(at + ".max_viewers", room.max_viewers, 0, 100000, line);

  check_outputs(check, at + ".outputs", room.outputs, &defaults, line);

  std::map<std::string, std::size_t> seen;  // source name -> first index
  for (std::size_t i = 0; i < room.sources.size(); ++i) {
    const SourceConfig& source = room.sources[i];
    const std::string source_at = at + ".sources[" + std::to_string(i) + "]";
    check_source(check, source_at, source);
    if (source.name.empty()) continue;
    if (auto [it, inserted] = seen.emplace(source.name, i); !inserted) {
      check.report(source_at + ".name",
                   "duplicate source name \"" + source.name + "\" in room (also " + at +
                       ".sources[" + std::to_string(it->second) + "])",
                   source.line);
    }
  }
}

}  // namespace

// Room names become URL path segments and directory names, so only a
// conservative character set is allowed.
bool valid_room_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxRoomNameLength) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void validate(const Config& config, IssueList& issues) {
  Checker check(config, issues);
  check_http(check, config.http);
  for (std::size_t i = 0; i < config.auth.api_keys.size(); ++i)
    if (config.auth.api_keys[i].size() < 16)
      check.report("auth.api_keys[" + std::to_string(i) + "]",
                   "an API key must be at least 16 characters (it is a password)");
  if (!config.auth.token_secret.empty() && config.auth.token_secret.size() < 32)
    check.report("auth.token_secret", "must be at least 32 characters (an HS256 key)");
  if (config.auth.max_token_ttl_s < 60)
    check.report("auth.max_token_ttl_s", "must be at least 60 seconds");
  check.positive("shutdown_timeout_s", config.shutdown_timeout_s);
  check.positive("drain_retry_after_s", config.drain_retry_after_s);
  check_media(check, config.media);
  check_paths(check, config.paths);
  check_webrtc(check, config.webrtc);
  check_limits(check, config.limits, config.rooms.size());
  check_outputs(check, "default_outputs", config.default_outputs, nullptr, 0);

  std::map<std::string, std::size_t> seen;  // room name -> first index
  for (std::size_t i = 0; i < config.rooms.size(); ++i) {
    const RoomConfig& room = config.rooms[i];
    const std::string at = "rooms[" + std::to_string(i) + "]";
    check_room(check, at, room, config.default_outputs);
    if (room.name.empty()) continue;
    if (auto [it, inserted] = seen.emplace(room.name, i); !inserted) {
      check.report(at + ".name",
                   "duplicate room name \"" + room.name + "\" (also rooms[" +
                       std::to_string(it->second) + "])",
                   room.line);
    }
  }
}

std::string to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Info:
      return "info";
    case LogLevel::Debug:
      return "debug";
  }
  return "info";
}

FilePos Config::position_of(std::string field) const {
  while (!field.empty()) {
    if (auto it = positions.find(field); it != positions.end()) return it->second;
    auto cut = field.find_last_of(".[");
    if (cut == std::string::npos) break;
    field.resize(cut);
  }
  return FilePos{};
}

// layouts/pipelines (and the TLS files) are relative to the config file so
// that a config directory can be moved as a whole.
std::string resolve_against_config(const std::string& config_file, const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (p.is_absolute() || config_file.empty()) return p.lexically_normal().string();
  fs::path base = fs::path(config_file).parent_path();
  if (base.empty()) return p.lexically_normal().string();
  return (base / p).lexically_normal().string();
}

std::string Config::layouts_dir() const {
  return resolve_against_config(file, paths.layouts);
}

std::string Config::pipelines_dir() const {
  return resolve_against_config(file, paths.pipelines);
}

}  // namespace mixcast
