// JSON for the HTTP API and the WebSocket, on json-glib: a small writer that
// owns its builder, the room document shared by /api/v1/rooms and the
// WebSocket `room` message, and the parsing of WebSocket client messages.
#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/glib_ptr.h"
#include "core/room_status.h"

namespace mixcast {

class JsonWriter {
 public:
  JsonWriter() : builder_(json_builder_new()) {}
  JsonBuilder* get() const { return builder_.get(); }
  // The document so far; the builder must be balanced (every begin ended).
  std::string text(bool pretty = false) const;

  JsonWriter& begin_object() { return json_builder_begin_object(get()), *this; }
  JsonWriter& end_object() { return json_builder_end_object(get()), *this; }
  JsonWriter& begin_array() { return json_builder_begin_array(get()), *this; }
  JsonWriter& end_array() { return json_builder_end_array(get()), *this; }
  JsonWriter& key(const char* name) { return json_builder_set_member_name(get(), name), *this; }
  JsonWriter& value(const std::string& v) {
    return json_builder_add_string_value(get(), v.c_str()), *this;
  }
  JsonWriter& value(const char* v) { return json_builder_add_string_value(get(), v), *this; }
  JsonWriter& value(int64_t v) { return json_builder_add_int_value(get(), v), *this; }
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(bool v) { return json_builder_add_boolean_value(get(), v), *this; }
  JsonWriter& value(double v) { return json_builder_add_double_value(get(), v), *this; }
  template <typename T>
  JsonWriter& field(const char* name, const T& v) {
    return key(name).value(v);
  }

 private:
  GObjectPtr<JsonBuilder> builder_;
};

// {"name": ..., "layout": ..., "participants": [...], "outputs": [...]}
void write_room(JsonWriter& out, const RoomStatus& room);
// The WebSocket's {"type": "room", "room": <name>, ...the fields above}.
std::string room_state_message(const RoomStatus& room);
// {"error": {"code": <status>, "message": <message>}}
std::string json_error(int status, const std::string& message);
// A room event as the WebSocket message of the same type (docs/http-api.md).
std::string room_event_message(const RoomEvent& event);

// A message from a WebSocket client. Fields a type does not use stay empty.
struct WsMessage {
  std::string type;  // join, watch, candidate, leave
  std::string room;
  std::string name;
  std::string role;  // publisher (default) or viewer
  std::string sdp;
  int mline = 0;
  std::string candidate;
};
// Messages over this size are refused with an error (413).
constexpr size_t kMaxWsMessageBytes = 64 * 1024;
// Parses one text frame; nullopt with `error` set when it is not a JSON
// object with a string `type`, or a field has the wrong JSON type.
std::optional<WsMessage> parse_ws_message(std::string_view text, std::string& error);

}  // namespace mixcast
