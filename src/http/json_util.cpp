#include "http/json_util.h"

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
      .field("core_rebuilds", room.core_rebuilds)
      .field("last_core_error", room.last_core_error)
      .field("hls", "/hls/" + room.name + "/index.m3u8");
  out.key("participants").begin_array();
  for (const auto& p : room.participants) {
    out.begin_object()
        .field("id", p.id)
        .field("name", p.name)
        .field("identity", p.identity)
        .field("slot", p.slot)
        .field("has_video", p.has_video)
        .field("speaking", p.speaking)
        .field("source", p.source);
    out.key("input").begin_object();
    write_input(out, "video", p.video_input);
    write_input(out, "audio", p.audio_input);
    out.end_object().end_object();
  }
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
  for (const auto& o : room.outputs) {
    out.begin_object()
        .field("name", o.name)
        .field("kind", o.kind)
        .field("target", o.target)
        .field("state", to_string(o.state))
        .field("attempt", o.attempt)
        .field("last_error", o.last_error)
        .field("bytes", static_cast<int64_t>(o.bytes))
        .field("uptime_s", o.uptime_s)
        .field("file", o.file)
        .end_object();
  }
  out.end_array();
}

}  // namespace

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

std::string room_event_message(const RoomEvent& event) {
  JsonWriter out;
  out.begin_object().field("type", std::string(to_string(event.kind)));
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
    case RoomEventKind::RecordingFinished:
      out.field("name", event.name)
          .field("path", event.path)
          .field("duration_s", event.duration_s)
          .field("size_bytes", static_cast<int64_t>(event.size_bytes));
      break;
  }
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
                             {"candidate", &m.candidate}})
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
