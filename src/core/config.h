// The server's configuration: plain structs with defaults, filled once from
// YAML (config_yaml.cpp) and checked by validate(). Nothing after start-up
// touches YAML. Key reference: docs/configuration.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.h"

namespace mixcast {

enum class LogLevel { Error, Warning, Info, Debug };

struct HttpConfig {
  bool enabled = true;
  std::string address = "127.0.0.1";
  int port = 8080;
  std::string public_url;  // base URL printed for operators; derived when empty
  // HTTPS (and WSS on /ws) on `port` when both are set: PEM files. A relative
  // path is resolved against the config file's directory when the file is
  // parsed, so these hold the path to open. Loaded at start-up
  // (http/tls_certificate.h); a bad file stops the server.
  std::string tls_certificate;
  std::string tls_key;

  bool tls() const { return !tls_certificate.empty(); }
};

// Limits against abuse (docs/configuration.md, "limits"). Refusals are 429
// with Retry-After for rates, 409/503 for counts, 413/431 for sizes; slow or
// idle connections are closed.
struct LimitsConfig {
  int max_rooms = 100;                   // open at once: config, API and on demand
  int max_participants_per_room = 50;    // rooms without their own max_participants; 0 = none
  int max_viewers_per_room = 1000;       // rooms without their own max_viewers; 0 = none
  int max_websocket_connections = 1000;  // /ws at once, in all
  int max_websocket_connections_per_address = 100;  // /ws at once, from one client address
  // WHIP and WHEP offers, WebSocket join and watch, per client address; 0 = none.
  int joins_per_minute_per_address = 120;
  int max_header_bytes = 16384;        // request line and headers (libsoup's own cap is 64 KiB)
  int max_body_bytes = 65536;          // a request body
  double header_timeout_s = 10;        // a new connection's request headers, and then its body
  double idle_timeout_s = 60;          // a kept-alive connection waiting for its next request
  double ws_messages_per_second = 20;  // per WebSocket, in bursts of ws_message_burst
  int ws_message_burst = 100;
  // Origins (scheme://host[:port]) answered with CORS headers; "*" for any.
  // Empty: none (same-origin pages and non-browser clients need none).
  std::vector<std::string> cors_allow_origins;
};

// Who may do what (docs/configuration.md, "auth"). With admin API keys, the
// REST API, /recordings and /metrics need one; WHIP, WHEP, the WebSocket and
// the pages need a join token (or an admin key).
struct AuthConfig {
  bool none = false;                  // `auth: none`: everything open, on any address
  std::vector<std::string> api_keys;  // also MIXCAST_API_KEYS (comma-separated)
  std::string token_secret;           // HS256 key of join tokens; also MIXCAST_TOKEN_SECRET
  bool hls_public = true;             // `hls: public` (default) or `hls: token`
  int64_t max_token_ttl_s = 7 * 24 * 3600;

  bool enabled() const { return !none && !api_keys.empty(); }
};

// Webhooks (app/webhook_sender): signed POSTs of room events.
struct WebhookTarget {
  std::string url;     // http:// or https://
  std::string secret;  // whsec_<base64 key>; never logged
};

struct WebhookConfig {
  std::vector<WebhookTarget> targets;
  // Pending events per target; past it the oldest pending event is dropped.
  size_t queue_limit = 1000;
  double backoff_initial_s = 1;
  double backoff_max_s = 30;
  double timeout_s = 5;  // one attempt, connect to response headers
};

// WebRTC participants and viewers (WHIP, WHEP, WebSocket).
struct WebRtcConfig {
  bool auto_create_rooms = true;     // a join to an unknown room creates it (else 404)
  std::string room_layout = "grid";  // layout of rooms created on demand (outputs: default_outputs)
  std::vector<std::string> stun_servers;   // stun://host:port
  std::vector<std::string> turn_servers;   // turn://user:pass@host:port or turns://...
  std::vector<std::string> ice_addresses;  // local IPs ICE uses and announces; empty = all
  int udp_port_min = 0;                    // 0 = any port
  int udp_port_max = 0;
  int jitterbuffer_latency_ms = 50;
  double departure_timeout_s = 5.0;      // no RTP for this long: the participant is removed
  double ice_gathering_timeout_s = 5.0;  // the longest a WHIP/WHEP answer waits for candidates
  double keyframe_min_interval_s = 1.0;  // forced keyframes (new receivers, PLI) at most this often
  std::string vp8_encoder = "vp8";       // profile of the VP8 encode for peers without H.264
  double idle_room_close_s = 60;  // a room created on demand closes when empty this long (0: never)
};

struct MediaConfig {
  int width = 1280;
  int height = 720;
  int fps = 30;
  int video_bitrate_kbps = 2500;
  int audio_bitrate_kbps = 128;
  int audio_rate = 48000;
  int audio_channels = 2;
  double keyframe_interval_s = 2.0;
  std::string video_encoder = "x264";  // name of a profile in pipelines/
  std::string audio_encoder = "aac";
  int mixer_latency_ms = 40;  // aggregator latency of compositor/audiomixer
  // A room whose programme (encoded video frames or mixed audio) stops
  // advancing for this long rebuilds its mixing core.
  double stall_timeout_s = 3.0;
};

struct HlsConfig {
  bool enabled = true;
  double segment_s = 2.0;
  int playlist_length = 6;
  int max_files = 12;  // must exceed playlist_length

  bool operator==(const HlsConfig&) const = default;
};

struct RecordingConfig {
  bool enabled = true;
  std::string format = "mp4";  // "mp4" (fragmented) or "mkv"
  double fragment_s = 1.0;     // mp4 fragment length: the most a crash can lose
  double split_s = 0;          // start a new file every N seconds; 0 = one file

  bool operator==(const RecordingConfig&) const = default;
};

struct RtmpConfig {
  std::string name;  // defaults to "rtmp<N>"
  std::string url;
  int max_retries = -1;  // -1 = retry forever
  double backoff_initial_s = 1.0;
  double backoff_max_s = 30.0;
  double queue_s = 2.0;  // encoded media buffered for this destination before dropping

  bool operator==(const RtmpConfig&) const = default;
};

struct OutputsConfig {
  HlsConfig hls;
  RecordingConfig recording;
  std::vector<RtmpConfig> rtmp;
};

// A media source that takes a seat in the room like a participant: a file, an
// RTSP/RTMP/HLS URL, or test://... (see docs/configuration.md).
struct SourceConfig {
  std::string name;      // display name, label text
  std::string identity;  // defaults to name
  std::string uri;
  double join_at_s = 0;       // seconds after room start
  double leave_at_s = -1;     // -1 = stays
  double repeat_every_s = 0;  // > 0: the join/leave cycle repeats with this period
  bool loop = false;          // file sources: start again at end of stream
  int line = 0;
};

struct RoomConfig {
  std::string name;
  std::string layout = "grid";
  int width = 0;  // 0 = from the layout's canvas, else media defaults
  int height = 0;
  int fps = 0;
  OutputsConfig outputs;
  std::vector<SourceConfig> sources;
  int max_participants =
      0;                // seats (WebRTC guests and sources); a join over it gets 409; 0 = limits'
  int max_viewers = 0;  // WHEP/WebSocket viewers at once; 0 = limits.max_viewers_per_room
  int line = 0;
};

struct PathsConfig {
  std::string layouts = "layouts";         // relative to the config file's directory
  std::string pipelines = "../pipelines";  // encoder profiles
  std::string hls = "var/hls";             // relative to the working directory
  std::string recordings = "var/recordings";
};

// A 1-based place in the config file.
struct FilePos {
  int line = 0;
  int column = 0;
};

struct Config {
  std::string file;  // the config file this came from ("" = built-in defaults)
  LogLevel log_level = LogLevel::Info;
  // SIGTERM: outputs are finalized first; a stop that takes longer than
  // this (a stuck pipeline) ends the process anyway (recordings are
  // fragmented: at most the last fragment is lost).
  double shutdown_timeout_s = 10.0;
  // While the server drains (SIGTERM), new joins and rooms are refused with
  // 503 and this in Retry-After (whole seconds); WebSocket clients get it in
  // `server_stopping`.
  int drain_retry_after_s = 5;
  HttpConfig http;
  AuthConfig auth;
  WebhookConfig webhooks;
  MediaConfig media;
  PathsConfig paths;
  OutputsConfig default_outputs;  // used by rooms that do not set `outputs`
  WebRtcConfig webrtc;
  LimitsConfig limits;
  std::vector<RoomConfig> rooms;

  // Where each field was written, keyed by dotted path ("rooms[0].outputs.hls",
  // "http.port"). Filled by parse_config so that validate() can point at the
  // exact line; empty for configs built in code.
  std::map<std::string, FilePos> positions;

  // Where `field` (a dotted path as in `positions`) was written; a field that
  // was not written is placed at its nearest written ancestor ("rooms[0]" for
  // "rooms[0].layout" when the room has no layout key). {0, 0} if none.
  FilePos position_of(std::string field) const;

  // Paths resolved: layouts and pipelines against the config file's
  // directory, hls and recordings as given (relative to the working dir).
  std::string layouts_dir() const;
  std::string pipelines_dir() const;
};

// Parses and validates; throws FileError naming file, line and field.
Config parse_config(const std::string& yaml_text, const std::string& file);
Config load_config_file(const std::string& path);
// One room written as YAML or JSON (the body of POST /api/v1/rooms), with the
// defaults and rules of a room in `base`'s `rooms`. Throws FileError whose
// fields are relative to the room ("outputs.rtmp[0].url").
RoomConfig parse_room_config(const std::string& text, const Config& base);

// Checks ranges and cross-field rules; appends to `issues`. Called by
// parse_config; exposed for configs built in code (tests).
void validate(const Config& config, IssueList& issues);

// `path` as written in `config_file`: relative paths are taken from the
// config file's directory (an absolute path, or no file, leaves it as is).
std::string resolve_against_config(const std::string& config_file, const std::string& path);

// Room names become URL path segments and directory names: 1 to 64
// characters from A-Z a-z 0-9 _ -.
bool valid_room_name(std::string_view name);

std::string to_string(LogLevel level);

}  // namespace mixcast
