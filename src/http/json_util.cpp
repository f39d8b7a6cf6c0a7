#include "http/json_util.h"

#include <algorithm>

namespace mixcast {

std::string JsonWriter::text(bool pretty) const {
  JsonNode* root = json_builder_get_root(get());
  GObjectPtr<JsonGenerator> gen(json_generator_new());
  json_generator_set_root(gen.get(), root);
  json_generator_set_pretty(gen.get(), pretty);
  GCharPtr text(json_generator_to_data(gen.get(), nullptr));
  json_node_unref(root);
  return text.get();
}

namespace {

void write_input(JsonWriter& out, const char* name, const InputCounters& c) {
  out.key(name)
      .begin_object()
      .field("dropped_untimestamped", static_cast<int64_t>(c.dropped_untimestamped))
      .field("dropped_backwards", static_cast<int64_t>(c.dropped_backwards))
      .field("repaired_untimestamped", static_cast<int64_t>(c.repaired_untimestamped))
      .field("rebased", static_cast<int64_t>(c.rebased))
      .field("absorbed_events", static_cast<int64_t>(c.absorbed_events))
      .end_object();
}

void write_room_fields(JsonWriter& out, const RoomStatus& room) {
  out.field("name", room.name)
      .field("layout", room.layout)
      .field("width", room.width)
      .field("height", room.height)
      .field("fps", room.fps)
      .field("video_frames_encoded", static_cast<int64_t>(room.video_frames_encoded))
      .field("video_frames_skipped", static_cast<int64_t>(room.video_frames_skipped))
      .field("video_frames_thinned", static_cast<int64_t>(room.video_frames_thinned))
      .field("programme_fps", room.programme_fps)
      .field("core_rebuilds", room.core_rebuilds)
      .field("last_core_error", room.last_core_error)
      .field("hls", "/hls/" + room.name + "/index.m3u8");
  out.key("participants").begin_array();
  for (const auto& p : room.participants) write_participant(out, p);
  out.end_array();
  out.key("tiles").begin_array();
  for (const auto& t : room.tiles) {
    out.begin_object()
        .field("participant", t.participant_id)
        .field("region", t.region_id)
        .field("x", t.rect.x)
        .field("y", t.rect.y)
        .field("width", t.rect.width)
        .field("height", t.rect.height)
        .field("z", t.z)
        .field("placeholder", t.placeholder)
        .end_object();
  }
  out.end_array();
  out.key("outputs").begin_array();
  for (const auto& o : room.outputs) write_output(out, o);
  out.end_array();
}

}  // namespace

void write_participant(JsonWriter& out, const ParticipantStatus& p) {
  out.begin_object()
      .field("id", p.id)
      .field("name", p.name)
      .field("identity", p.identity)
      .field("slot", p.slot)
      .field("has_video", p.has_video)
      .field("speaking", p.speaking)
      .field("source", p.source)
      .field("audio_muted", p.audio_muted)
      .field("video_muted", p.video_muted)
      .field("volume_db", p.volume_db)
      .field("pinned", p.pinned);
  out.key("input").begin_object();
  write_input(out, "video", p.video_input);
  write_input(out, "audio", p.audio_input);
  out.end_object().end_object();
}

void write_output(JsonWriter& out, const OutputStatus& o) {
  out.begin_object()
      .field("name", o.name)
      .field("kind", o.kind)
      .field("target", o.target)
      .field("state", to_string(o.state))
      .field("attempt", o.attempt)
      .field("last_error", o.last_error)
      .field("bytes", o.bytes)
      .field("uptime_s", o.uptime_s)
      .field("file", o.file)
      .end_object();
}

namespace {

void write_guard_totals(JsonWriter& out, const char* name, const InputCounters& c) {
  out.key(name)
      .begin_object()
      .field("passed", c.passed)
      .field("dropped", c.dropped())
      .field("repaired", c.repaired())
      .end_object();
}

// -1 (not reported) becomes null: no number is better than a made-up one.
void field_or_null(JsonWriter& out, const char* name, double value) {
  out.key(name);
  if (value < 0)
    json_builder_add_null_value(out.get());
  else
    out.value(value);
}

}  // namespace

void write_room_stats(JsonWriter& out, const RoomStatus& room) {
  out.begin_object()
      .field("room", room.name)
      .field("encoder_fps", room.encoder_fps)
      .field("fps", room.fps)
      .field("video_frames_encoded", room.video_frames_encoded)
      .field("video_frames_skipped", room.video_frames_skipped)
      .field("video_frames_thinned", room.video_frames_thinned)
      .field("programme_fps", room.programme_fps)
      .field("core_rebuilds", room.core_rebuilds)
      .field("viewers", static_cast<int64_t>(room.viewers));
  out.key("input").begin_object();
  write_guard_totals(out, "video", room.video_input_total);
  write_guard_totals(out, "audio", room.audio_input_total);
  out.end_object();
  out.key("participants").begin_array();
  for (const auto& p : room.participants) {
    out.begin_object().field("id", p.id).field("name", p.name);
    // dBFS, so negative; null until the first level report.
    out.key("audio_level_db");
    if (p.audio_level_db <= -127)
      json_builder_add_null_value(out.get());
    else
      out.value(p.audio_level_db);
    out.key("input").begin_object();
    write_guard_totals(out, "video", p.video_input);
    write_guard_totals(out, "audio", p.audio_input);
    out.end_object();
    out.key("network");
    if (!p.net.known) {
      json_builder_add_null_value(out.get());
    } else {
      out.begin_object()
          .field("bitrate_in_kbps", p.net.bitrate_in_kbps)
          .field("bitrate_out_kbps", p.net.bitrate_out_kbps)
          .field("bytes_in", p.net.bytes_in)
          .field("bytes_out", p.net.bytes_out)
          .field("packets_in", p.net.packets_in)
          .field("packets_lost", p.net.packets_lost_in)
          .field("loss_percent", p.net.loss_in_percent);
      field_or_null(out, "jitter_ms", p.net.jitter_in_ms);
      field_or_null(out, "rtt_ms", p.net.rtt_ms);
      out.end_object();
    }
    out.end_object();
  }
  out.end_array();
  out.key("outputs").begin_array();
  for (const auto& o : room.outputs) write_output(out, o);
  out.end_array().end_object();
}

void write_room(JsonWriter& out, const RoomStatus& room) {
  out.begin_object();
  write_room_fields(out, room);
  out.end_object();
}

std::string room_state_message(const RoomStatus& room) {
  JsonWriter out;
  out.begin_object().field("type", "room").field("room", room.name);
  write_room_fields(out, room);
  return out.end_object().text();
}

std::string json_error(int status, const std::string& message) {
  JsonWriter out;
  out.begin_object().key("error").begin_object();
  out.field("code", status).field("message", message).end_object().end_object();
  return out.text(true);
}

std::string json_error(const ApiError& error) {
  JsonWriter out;
  out.begin_object().key("error").begin_object();
  out.field("code", error.status()).field("message", error.message);
  if (!error.field.empty()) out.field("field", error.field);
  if (!error.issues.empty()) {
    out.key("issues").begin_array();
    for (const FileIssue& issue : error.issues) {
      out.begin_object()
          .field("line", issue.line)
          .field("column", issue.column)
          .field("field", issue.field)
          .field("message", issue.message)
          .end_object();
    }
    out.end_array();
  }
  out.end_object().end_object();
  return out.text(true);
}

JsonObjectReader::JsonObjectReader(std::string_view text) : parser_(json_parser_new()) {
  GError* raw = nullptr;
  if (!json_parser_load_from_data(parser_.get(), text.data(), static_cast<gssize>(text.size()),
                                  &raw)) {
    GErrorPtr e(raw);
    throw api_error(ErrorKind::BadRequest,
                    std::string("the body is not JSON: ") + (e ? e->message : "?"));
  }
  JsonNode* root = json_parser_get_root(parser_.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    throw api_error(ErrorKind::BadRequest, "the body must be a JSON object");
  object_ = json_node_get_object(root);
}

JsonNode* JsonObjectReader::member(const char* name) const {
  JsonNode* node = json_object_get_member(object_, name);
  return node && !JSON_NODE_HOLDS_NULL(node) ? node : nullptr;
}

std::optional<std::string> JsonObjectReader::string(const char* name) const {
  JsonNode* node = member(name);
  if (!node) return std::nullopt;
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    throw api_error(ErrorKind::BadRequest, std::string("'") + name + "' must be a string", name);
  return std::string(json_node_get_string(node));
}

std::optional<bool> JsonObjectReader::boolean(const char* name) const {
  JsonNode* node = member(name);
  if (!node) return std::nullopt;
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN)
    throw api_error(ErrorKind::BadRequest, std::string("'") + name + "' must be true or false",
                    name);
  return json_node_get_boolean(node) != FALSE;
}

std::optional<double> JsonObjectReader::number(const char* name) const {
  JsonNode* node = member(name);
  if (!node) return std::nullopt;
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_INT64)
    return static_cast<double>(json_node_get_int(node));
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_DOUBLE)
    throw api_error(ErrorKind::BadRequest, std::string("'") + name + "' must be a number", name);
  return json_node_get_double(node);
}

std::optional<int64_t> JsonObjectReader::integer(const char* name) const {
  JsonNode* node = member(name);
  if (!node) return std::nullopt;
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
    throw api_error(ErrorKind::BadRequest, std::string("'") + name + "' must be an integer", name);
  return json_node_get_int(node);
}

void JsonObjectReader::only(std::initializer_list<std::string_view> known) const {
  GList* names = json_object_get_members(object_);
  std::string unknown;
  for (GList* n = names; n && unknown.empty(); n = n->next) {
    const std::string_view name = static_cast<const char*>(n->data);
    if (std::find(known.begin(), known.end(), name) == known.end()) unknown = name;
  }
  g_list_free(names);
  if (unknown.empty()) return;
  std::string list;
  for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  throw api_error(ErrorKind::BadRequest,
                  "unknown field '" + unknown + "' (expected one of: " + list + ")", unknown);
}

namespace {

void write_event_fields(JsonWriter& out, const RoomEvent& event) {
  switch (event.kind) {
    case RoomEventKind::ParticipantJoined:
    case RoomEventKind::Speaking:
      out.field("id", event.id).field("name", event.name);
      break;
    case RoomEventKind::ParticipantLeft:
      out.field("id", event.id).field("name", event.name).field("reason", event.detail);
      break;
    case RoomEventKind::LayoutChanged:
      out.field("layout", event.name);
      break;
    case RoomEventKind::LayoutError:
      out.field("layout", event.name).field("error", event.detail);
      break;
    case RoomEventKind::OutputState:
      out.field("name", event.output.name)
          .field("kind", event.output.kind)
          .field("state", to_string(event.output.state))
          .field("attempt", event.output.attempt)
          .field("error", event.output.last_error);
      break;
    case RoomEventKind::ViewerJoined:
    case RoomEventKind::ViewerLeft:
      out.field("id", event.id);
      break;
    case RoomEventKind::RoomError:
      out.field("element", event.name).field("error", event.detail);
      break;
    case RoomEventKind::RoomRecovered:
      out.field("reason", event.detail);
      break;
    case RoomEventKind::ParticipantUpdated:
      out.field("id", event.id)
          .field("name", event.name)
          .field("audio_muted", event.audio_muted)
          .field("video_muted", event.video_muted)
          .field("volume_db", event.volume_db)
          .field("pinned", event.pinned);
      break;
    case RoomEventKind::RecordingFinished:
      out.field("name", event.name)
          .field("path", event.path)
          .field("duration_s", event.duration_s)
          .field("size_bytes", static_cast<int64_t>(event.size_bytes));
      break;
  }
}

}  // namespace

std::string room_event_message(const RoomEvent& event) {
  JsonWriter out;
  out.begin_object().field("type", std::string(to_string(event.kind)));
  write_event_fields(out, event);
  out.end_object();
  return out.text();
}

std::string room_event_data(const std::string& room, const RoomEvent& event) {
  JsonWriter out;
  out.begin_object().field("room", room);
  write_event_fields(out, event);
  out.end_object();
  return out.text();
}

namespace {

// Reads an optional string member; false when present with another type.
bool read_string(JsonObject* object, const char* name, std::string& out, std::string& error) {
  JsonNode* node = json_object_get_member(object, name);
  if (!node || JSON_NODE_HOLDS_NULL(node)) return true;
  if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
    error = std::string("'") + name + "' must be a string";
    return false;
  }
  out = json_node_get_string(node);
  return true;
}

}  // namespace

std::optional<WsMessage> parse_ws_message(std::string_view text, std::string& error) {
  if (text.size() > kMaxWsMessageBytes) {
    error = "message over " + std::to_string(kMaxWsMessageBytes) + " bytes";
    return std::nullopt;
  }
  GObjectPtr<JsonParser> parser(json_parser_new());
  GError* raw = nullptr;
  if (!json_parser_load_from_data(parser.get(), text.data(), static_cast<gssize>(text.size()),
                                  &raw)) {
    GErrorPtr e(raw);
    error = std::string("not JSON: ") + (e ? e->message : "?");
    return std::nullopt;
  }
  JsonNode* root = json_parser_get_root(parser.get());
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    error = "a message must be a JSON object";
    return std::nullopt;
  }
  JsonObject* object = json_node_get_object(root);
  WsMessage m;
  for (auto [name, field] : {std::pair{"type", &m.type},
                             {"room", &m.room},
                             {"name", &m.name},
                             {"role", &m.role},
                             {"sdp", &m.sdp},
                             {"candidate", &m.candidate},
                             {"token", &m.token}})
    if (!read_string(object, name, *field, error)) return std::nullopt;
  if (m.type.empty()) {
    error = "a message needs a string 'type'";
    return std::nullopt;
  }
  if (JsonNode* mline = json_object_get_member(object, "mline");
      mline && !JSON_NODE_HOLDS_NULL(mline)) {
    if (!JSON_NODE_HOLDS_VALUE(mline) || json_node_get_value_type(mline) != G_TYPE_INT64 ||
        json_node_get_int(mline) < 0 || json_node_get_int(mline) > 255) {
      error = "'mline' must be an integer from 0 to 255";
      return std::nullopt;
    }
    m.mline = static_cast<int>(json_node_get_int(mline));
  }
  return m;
}

}  // namespace mixcast
