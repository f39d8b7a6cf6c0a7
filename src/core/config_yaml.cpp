// Reads the YAML config into the plain structs of config.h. This file checks
// the shape of the document (known keys, types); the rules about values are in
// validate() (config.cpp), which finds each field's line through
// Config::positions recorded here. All issues are collected, then thrown once.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/config.h"
#include "core/yaml_guard.h"
#include "core/yaml_keys.h"

namespace mixcast {

namespace {

using Keys = std::initializer_list<std::string_view>;

// Mark is 0-based; null marks (-1) become 0 = unknown.
FilePos to_pos(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return FilePos{};
  return FilePos{mark.line + 1, mark.column + 1};
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

// One key of a mapping. A key written without a value ("key:") is treated as
// absent so that the default applies.
struct Entry {
  YAML::Node value;
  FilePos pos;  // of the value, or of the key when the value is empty
  std::string path;
};

class Parser {
 public:
  Parser(Config& config, IssueList& issues) : config_(config), issues_(issues) {}

  // Fields whose value was rejected (wrong type or shape): they hold
  // defaults, so validate() must not judge them or anything under them.
  const std::vector<std::string>& rejected() const { return rejected_; }

  void parse_root(const YAML::Node& root) {
    auto fields = mapping(root, "", to_pos(root.Mark()),
                          {"log_level", "shutdown_timeout_s", "drain_retry_after_s", "http", "auth",
                           "webhooks", "media", "paths", "default_outputs", "webrtc", "limits",
                           "rooms"});
    if (!fields) return;
    if (auto e = find(*fields, "log_level")) read(*e, config_.log_level);
    if (auto e = find(*fields, "shutdown_timeout_s")) read(*e, config_.shutdown_timeout_s);
    if (auto e = find(*fields, "drain_retry_after_s")) read(*e, config_.drain_retry_after_s);
    if (auto e = find(*fields, "http")) parse_http(*e);
    if (auto e = find(*fields, "auth")) parse_auth(*e);
    if (auto e = find(*fields, "webhooks")) parse_webhooks(*e);
    if (auto e = find(*fields, "media")) parse_media(*e);
    if (auto e = find(*fields, "paths")) parse_paths(*e);
    // Before rooms whatever the order in the file: rooms inherit from it.
    if (auto e = find(*fields, "default_outputs")) parse_outputs(*e, config_.default_outputs);
    if (auto e = find(*fields, "webrtc")) parse_webrtc(*e);
    if (auto e = find(*fields, "limits")) parse_limits(*e);
    if (auto e = find(*fields, "rooms")) parse_rooms(*e);
  }

 private:
  using Fields = std::vector<std::pair<std::string, Entry>>;

  void issue(const FilePos& pos, const std::string& field, std::string message) {
    issues_.add(FileIssue{config_.file, pos.line, pos.column, field, std::move(message)});
  }

  void reject(const FilePos& pos, const std::string& field, std::string message) {
    issue(pos, field, std::move(message));
    rejected_.push_back(field);
  }

  static const Entry* find(const Fields& fields, std::string_view key) {
    for (const auto& [name, entry] : fields) {
      if (name == key) return &entry;
    }
    return nullptr;
  }

  // Checks that `node` is a mapping whose keys are all known and unique, and
  // records where each one was written. Returns nullopt when it is not a
  // mapping (already reported).
  std::optional<Fields> mapping(const YAML::Node& node, const std::string& path, const FilePos& pos,
                                Keys known) {
    if (!node.IsMap()) {
      reject(pos, path, "expected a mapping of keys, got " + describe(node));
      return std::nullopt;
    }
    Fields fields;
    std::set<std::string> seen;
    for (const auto& item : node) {
      const YAML::Node& key = item.first;
      const YAML::Node& value = item.second;
      FilePos key_pos = to_pos(key.Mark());
      if (!key.IsScalar()) {
        issue(key_pos, path, "keys must be plain names, got " + describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string field = path.empty() ? name : path + "." + name;
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        issue(key_pos, field,
              unknown_key_message(name,
                                  std::span<const std::string_view>(known.begin(), known.size())));
        continue;
      }
      if (!seen.insert(name).second) {
        issue(key_pos, field,
              "duplicate key (also line " + std::to_string(config_.positions[field].line) + ")");
        continue;
      }
      // Scalars are reported where the value is; sections and lists at their
      // key ("hls:"), which is where an operator looks. (yaml-cpp also gives
      // an empty value the mark of the next token.)
      FilePos value_pos = value.IsScalar() ? to_pos(value.Mark()) : key_pos;
      config_.positions[field] = value_pos;
      if (value.IsNull()) continue;
      fields.emplace_back(name, Entry{value, value_pos, field});
    }
    return fields;
  }

  std::optional<Fields> mapping(const Entry& entry, Keys known) {
    return mapping(entry.value, entry.path, entry.pos, known);
  }

  // A list; each element gets its own position entry ("rooms[2]").
  bool sequence(const Entry& entry) {
    if (entry.value.IsSequence()) return true;
    reject(entry.pos, entry.path, "expected a list, got " + describe(entry.value));
    return false;
  }

  Entry element(const Entry& list, std::size_t index, const YAML::Node& node) {
    Entry e{node, to_pos(node.Mark()), list.path + "[" + std::to_string(index) + "]"};
    config_.positions[e.path] = e.pos;
    return e;
  }

  // Scalar readers: on a type mismatch the default is kept and an issue added.
  template <typename T>
  bool decode(const Entry& e, T& out, const char* expected) {
    T value{};
    if (!e.value.IsScalar() || !YAML::convert<T>::decode(e.value, value)) {
      reject(e.pos, e.path, std::string("expected ") + expected + ", got " + describe(e.value));
      return false;
    }
    out = value;
    return true;
  }

  void read(const Entry& e, int& out) { decode(e, out, "a whole number"); }
  void read(const Entry& e, double& out) { decode(e, out, "a number"); }
  void read(const Entry& e, bool& out) { decode(e, out, "true or false"); }
  void read(const Entry& e, std::string& out) { decode(e, out, "a string"); }
  void read(const Entry& e, std::vector<std::string>& out) {
    if (!sequence(e)) return;
    out.clear();
    for (std::size_t i = 0; i < e.value.size(); ++i) {
      std::string item;
      if (decode(element(e, i, e.value[i]), item, "a string")) out.push_back(item);
    }
  }

  void read(const Entry& e, LogLevel& out) {
    std::string name;
    if (!decode(e, name, "a log level")) return;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "error") {
      out = LogLevel::Error;
    } else if (name == "warning" || name == "warn") {
      out = LogLevel::Warning;
    } else if (name == "info") {
      out = LogLevel::Info;
    } else if (name == "debug") {
      out = LogLevel::Debug;
    } else {
      issue(e.pos, e.path,
            "must be one of error, warning, info, debug (got \"" + e.value.Scalar() + "\")");
    }
  }

  // Reads `key` into `out` when present.
  template <typename T>
  void field(const Fields& fields, std::string_view key, T& out) {
    if (const Entry* e = find(fields, key)) read(*e, out);
  }

  void parse_http(const Entry& entry) {
    auto f =
        mapping(entry, {"enabled", "address", "port", "public_url", "tls_certificate", "tls_key"});
    if (!f) return;
    HttpConfig& http = config_.http;
    field(*f, "enabled", http.enabled);
    field(*f, "address", http.address);
    field(*f, "port", http.port);
    field(*f, "public_url", http.public_url);
    field(*f, "tls_certificate", http.tls_certificate);
    field(*f, "tls_key", http.tls_key);
    // The HTTP layer opens these and does not know the config file: resolve now.
    for (std::string* path : {&http.tls_certificate, &http.tls_key})
      if (!path->empty()) *path = resolve_against_config(config_.file, *path);
  }

  // `auth: none`, or a mapping.
  void parse_auth(const Entry& entry) {
    AuthConfig& auth = config_.auth;
    if (entry.value.IsScalar()) {
      if (entry.value.Scalar() == "none") {
        auth.none = true;
      } else {
        reject(entry.pos, entry.path,
               "expected 'none' or a mapping with api_keys and token_secret, got " +
                   describe(entry.value));
      }
      return;
    }
    auto f = mapping(entry, {"api_keys", "token_secret", "hls", "max_token_ttl_s"});
    if (!f) return;
    field(*f, "api_keys", auth.api_keys);
    field(*f, "token_secret", auth.token_secret);
    if (const Entry* e = find(*f, "hls")) {
      std::string hls;
      if (decode(*e, hls, "public or token")) {
        if (hls == "public" || hls == "token")
          auth.hls_public = hls == "public";
        else
          issue(e->pos, e->path, "must be public or token (got \"" + hls + "\")");
      }
    }
    int ttl = static_cast<int>(auth.max_token_ttl_s);
    field(*f, "max_token_ttl_s", ttl);
    auth.max_token_ttl_s = ttl;
  }

  void parse_webhooks(const Entry& entry) {
    auto f = mapping(entry,
                     {"targets", "queue_limit", "backoff_initial_s", "backoff_max_s", "timeout_s"});
    if (!f) return;
    WebhookConfig& w = config_.webhooks;
    if (const Entry* list = find(*f, "targets"); list && sequence(*list)) {
      for (std::size_t i = 0; i < list->value.size(); ++i) {
        Entry item = element(*list, i, list->value[i]);
        WebhookTarget target;
        if (auto t = mapping(item, {"url", "secret"})) {
          field(*t, "url", target.url);
          field(*t, "secret", target.secret);
        }
        w.targets.push_back(std::move(target));
      }
    }
    int limit = static_cast<int>(w.queue_limit);
    field(*f, "queue_limit", limit);
    w.queue_limit = limit < 0 ? 0 : static_cast<size_t>(limit);  // validate() says why 0 is wrong
    field(*f, "backoff_initial_s", w.backoff_initial_s);
    field(*f, "backoff_max_s", w.backoff_max_s);
    field(*f, "timeout_s", w.timeout_s);
  }

  void parse_limits(const Entry& entry) {
    auto f = mapping(entry, {"max_rooms", "max_participants_per_room", "max_viewers_per_room",
                             "max_websocket_connections", "max_websocket_connections_per_address",
                             "joins_per_minute_per_address", "max_header_bytes", "max_body_bytes",
                             "header_timeout_s", "idle_timeout_s", "ws_messages_per_second",
                             "ws_message_burst", "cors_allow_origins"});
    if (!f) return;
    LimitsConfig& l = config_.limits;
    field(*f, "max_rooms", l.max_rooms);
    field(*f, "max_participants_per_room", l.max_participants_per_room);
    field(*f, "max_viewers_per_room", l.max_viewers_per_room);
    field(*f, "max_websocket_connections", l.max_websocket_connections);
    field(*f, "max_websocket_connections_per_address", l.max_websocket_connections_per_address);
    field(*f, "joins_per_minute_per_address", l.joins_per_minute_per_address);
    field(*f, "max_header_bytes", l.max_header_bytes);
    field(*f, "max_body_bytes", l.max_body_bytes);
    field(*f, "header_timeout_s", l.header_timeout_s);
    field(*f, "idle_timeout_s", l.idle_timeout_s);
    field(*f, "ws_messages_per_second", l.ws_messages_per_second);
    field(*f, "ws_message_burst", l.ws_message_burst);
    field(*f, "cors_allow_origins", l.cors_allow_origins);
  }

  void parse_webrtc(const Entry& entry) {
    auto f =
        mapping(entry, {"auto_create_rooms", "room_layout", "stun_servers", "turn_servers",
                        "ice_addresses", "udp_port_min", "udp_port_max", "jitterbuffer_latency_ms",
                        "departure_timeout_s", "ice_gathering_timeout_s", "keyframe_min_interval_s",
                        "vp8_encoder", "idle_room_close_s"});
    if (!f) return;
    WebRtcConfig& w = config_.webrtc;
    field(*f, "auto_create_rooms", w.auto_create_rooms);
    field(*f, "room_layout", w.room_layout);
    field(*f, "stun_servers", w.stun_servers);
    field(*f, "turn_servers", w.turn_servers);
    field(*f, "ice_addresses", w.ice_addresses);
    field(*f, "udp_port_min", w.udp_port_min);
    field(*f, "udp_port_max", w.udp_port_max);
    field(*f, "jitterbuffer_latency_ms", w.jitterbuffer_latency_ms);
    field(*f, "departure_timeout_s", w.departure_timeout_s);
    field(*f, "ice_gathering_timeout_s", w.ice_gathering_timeout_s);
    field(*f, "keyframe_min_interval_s", w.keyframe_min_interval_s);
    field(*f, "vp8_encoder", w.vp8_encoder);
    field(*f, "idle_room_close_s", w.idle_room_close_s);
  }

  void parse_media(const Entry& entry) {
    auto f = mapping(entry, {"width", "height", "fps", "video_bitrate_kbps", "audio_bitrate_kbps",
                             "audio_rate", "audio_channels", "keyframe_interval_s", "video_encoder",
                             "audio_encoder", "mixer_latency_ms", "stall_timeout_s"});
    if (!f) return;
    MediaConfig& media = config_.media;
    field(*f, "width", media.width);
    field(*f, "height", media.height);
    field(*f, "fps", media.fps);
    field(*f, "video_bitrate_kbps", media.video_bitrate_kbps);
    field(*f, "audio_bitrate_kbps", media.audio_bitrate_kbps);
    field(*f, "audio_rate", media.audio_rate);
    field(*f, "audio_channels", media.audio_channels);
    field(*f, "keyframe_interval_s", media.keyframe_interval_s);
    field(*f, "video_encoder", media.video_encoder);
    field(*f, "audio_encoder", media.audio_encoder);
    field(*f, "mixer_latency_ms", media.mixer_latency_ms);
    field(*f, "stall_timeout_s", media.stall_timeout_s);
  }

  void parse_paths(const Entry& entry) {
    auto f = mapping(entry, {"layouts", "pipelines", "hls", "recordings"});
    if (!f) return;
    PathsConfig& paths = config_.paths;
    field(*f, "layouts", paths.layouts);
    field(*f, "pipelines", paths.pipelines);
    field(*f, "hls", paths.hls);
    field(*f, "recordings", paths.recordings);
  }

  // `out` holds the inherited values; keys present in the file override them.
  void parse_outputs(const Entry& entry, OutputsConfig& out) {
    auto f = mapping(entry, {"hls", "recording", "rtmp"});
    if (!f) return;
    if (const Entry* e = find(*f, "hls")) parse_hls(*e, out.hls);
    if (const Entry* e = find(*f, "recording")) parse_recording(*e, out.recording);
    if (const Entry* e = find(*f, "rtmp")) parse_rtmp_list(*e, out.rtmp);
  }

  void parse_hls(const Entry& entry, HlsConfig& hls) {
    auto f = mapping(entry, {"enabled", "segment_s", "playlist_length", "max_files"});
    if (!f) return;
    field(*f, "enabled", hls.enabled);
    field(*f, "segment_s", hls.segment_s);
    field(*f, "playlist_length", hls.playlist_length);
    field(*f, "max_files", hls.max_files);
  }

  void parse_recording(const Entry& entry, RecordingConfig& rec) {
    auto f = mapping(entry, {"enabled", "format", "fragment_s", "split_s"});
    if (!f) return;
    field(*f, "enabled", rec.enabled);
    field(*f, "format", rec.format);
    field(*f, "fragment_s", rec.fragment_s);
    field(*f, "split_s", rec.split_s);
  }

  // A list is replaced as a whole, never merged with the inherited one, so
  // "rtmp: []" in a room turns the default destinations off.
  void parse_rtmp_list(const Entry& entry, std::vector<RtmpConfig>& list) {
    if (!sequence(entry)) return;
    list.clear();
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      Entry item = element(entry, i, entry.value[i]);
      RtmpConfig rtmp;
      if (auto f = mapping(item, {"name", "url", "max_retries", "backoff_initial_s",
                                  "backoff_max_s", "queue_s"})) {
        field(*f, "name", rtmp.name);
        field(*f, "url", rtmp.url);
        field(*f, "max_retries", rtmp.max_retries);
        field(*f, "backoff_initial_s", rtmp.backoff_initial_s);
        field(*f, "backoff_max_s", rtmp.backoff_max_s);
        field(*f, "queue_s", rtmp.queue_s);
      }
      if (rtmp.name.empty()) rtmp.name = "rtmp" + std::to_string(i);
      list.push_back(std::move(rtmp));
    }
  }

  void parse_rooms(const Entry& entry) {
    if (!sequence(entry)) return;
    for (std::size_t i = 0; i < entry.value.size(); ++i)
      config_.rooms.push_back(parse_room(element(entry, i, entry.value[i])));
  }

 public:
  // One room: an element of `rooms`, or the body of POST /api/v1/rooms.
  RoomConfig parse_room(const Entry& item) {
    RoomConfig room;
    room.line = item.pos.line;
    room.outputs = config_.default_outputs;
    if (auto f = mapping(item, {"name", "layout", "width", "height", "fps", "outputs", "sources",
                                "max_participants", "max_viewers"})) {
      field(*f, "name", room.name);
      field(*f, "layout", room.layout);
      field(*f, "width", room.width);
      field(*f, "height", room.height);
      field(*f, "fps", room.fps);
      field(*f, "max_participants", room.max_participants);
      field(*f, "max_viewers", room.max_viewers);
      if (const Entry* e = find(*f, "outputs")) parse_outputs(*e, room.outputs);
      if (const Entry* e = find(*f, "sources")) parse_sources(*e, room.sources);
    }
    return room;
  }

 private:
  void parse_sources(const Entry& entry, std::vector<SourceConfig>& sources) {
    if (!sequence(entry)) return;
    for (std::size_t i = 0; i < entry.value.size(); ++i) {
      Entry item = element(entry, i, entry.value[i]);
      SourceConfig source;
      source.line = item.pos.line;
      if (auto f = mapping(item, {"name", "identity", "uri", "join_at_s", "leave_at_s",
                                  "repeat_every_s", "loop"})) {
        field(*f, "name", source.name);
        field(*f, "identity", source.identity);
        field(*f, "uri", source.uri);
        field(*f, "join_at_s", source.join_at_s);
        field(*f, "leave_at_s", source.leave_at_s);
        field(*f, "repeat_every_s", source.repeat_every_s);
        field(*f, "loop", source.loop);
      }
      if (source.name.empty()) source.name = "source" + std::to_string(i);
      if (source.identity.empty()) source.identity = source.name;
      sources.push_back(std::move(source));
    }
  }

  Config& config_;
  IssueList& issues_;
  std::vector<std::string> rejected_;
};

// True when `field` is, or lies under, one of `rejected`.
bool covered(const std::vector<std::string>& rejected, const std::string& field) {
  for (const std::string& parent : rejected) {
    if (parent.empty() || field == parent) return true;
    if (field.size() > parent.size() && field.starts_with(parent) &&
        (field[parent.size()] == '.' || field[parent.size()] == '[')) {
      return true;
    }
  }
  return false;
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& file) {
  Config config;
  config.file = file;
  IssueList issues;

  check_yaml_terminates(yaml_text, file);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    FilePos pos = to_pos(e.mark);
    issues.add(FileIssue{file, pos.line, pos.column, "", "invalid YAML: " + e.msg});
    issues.throw_if_any();
  }
  if (documents.empty() || documents.front().IsNull()) {
    issues.add(FileIssue{file, 0, 0, "",
                         "the file is empty; expected a mapping of settings "
                         "(see docs/configuration.md)"});
    issues.throw_if_any();
  }
  if (documents.size() > 1) {
    FilePos pos = to_pos(documents[1].Mark());
    issues.add(FileIssue{file, pos.line, pos.column, "",
                         "only one YAML document is allowed (found another after '---')"});
  }

  Parser parser(config, issues);
  parser.parse_root(documents.front());

  // A field the parser rejected holds its default (or is a placeholder, for
  // a list element that was not a mapping), so what validate() says about it
  // or anything under it would only repeat the same mistake.
  IssueList semantic;
  validate(config, semantic);
  std::vector<FileIssue> sorted = issues.issues();
  for (const FileIssue& issue : semantic.issues()) {
    if (!covered(parser.rejected(), issue.field)) sorted.push_back(issue);
  }

  // Report in file order, whichever stage found the problem.
  std::stable_sort(sorted.begin(), sorted.end(), [](const FileIssue& a, const FileIssue& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (!sorted.empty()) throw FileError(std::move(sorted));
  return config;
}

RoomConfig parse_room_config(const std::string& text, const Config& base) {
  Config config = base;
  config.file = "<request>";
  config.rooms.clear();
  config.positions.clear();
  IssueList issues;
  check_yaml_terminates(text, config.file);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const FilePos pos = to_pos(e.mark);
    throw FileError({FileIssue{config.file, pos.line, pos.column, "", "invalid body: " + e.msg}});
  }
  Parser parser(config, issues);
  // The room is parsed as "rooms[0]" so that validate() judges it with the
  // same rules as a room of the config file; the prefix is taken off after.
  config.rooms.push_back(parser.parse_room(Entry{root, to_pos(root.Mark()), "rooms[0]"}));
  IssueList semantic;
  validate(config, semantic);
  std::vector<FileIssue> all = issues.issues();
  for (const FileIssue& issue : semantic.issues())
    if (issue.field.starts_with("rooms[0]") && !covered(parser.rejected(), issue.field))
      all.push_back(issue);
  for (FileIssue& issue : all) {
    if (issue.field.starts_with("rooms[0]."))
      issue.field.erase(0, 9);
    else if (issue.field == "rooms[0]")
      issue.field.clear();
  }
  if (!all.empty()) throw FileError(std::move(all));
  return config.rooms.front();
}

Config load_config_file(const std::string& path) {
  // stdio rather than ifstream: errno is reliably set for the message.
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), &std::fclose);
  std::string text;
  if (in) {
    char buffer[8192];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, in.get())) > 0) text.append(buffer, n);
  }
  if (!in || std::ferror(in.get())) {
    int error = errno != 0 ? errno : EIO;
    throw FileError(
        {FileIssue{path, 0, 0, "", std::string("cannot read file: ") + std::strerror(error)}});
  }
  return parse_config(text, path);
}

}  // namespace mixcast
