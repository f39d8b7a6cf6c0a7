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
#include "core/api_error.h"
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
  JsonWriter& value(uint64_t v) { return value(static_cast<int64_t>(v)); }
  template <typename T>
  JsonWriter& field(const char* name, const T& v) {
    return key(name).value(v);
  }

 private:
  GObjectPtr<JsonBuilder> builder_;
};

// {"name": ..., "layout": ..., "participants": [...], "outputs": [...]}
void write_room(JsonWriter& out, const RoomStatus& room);
void write_participant(JsonWriter& out, const ParticipantStatus& participant);
void write_output(JsonWriter& out, const OutputStatus& output);
// GET /api/v1/rooms/{room}/stats: the encoder's rate, what the input guards
// dropped and repaired, and each participant's network figures and level.
void write_room_stats(JsonWriter& out, const RoomStatus& room);
// The WebSocket's {"type": "room", "room": <name>, ...the fields above}.
std::string room_state_message(const RoomStatus& room);
// {"error": {"code": <status>, "message": <message>}}
std::string json_error(int status, const std::string& message);
// The same with "field" (when the error names one) and "issues" (each with
// line, column, field and message) for a body that does not validate.
std::string json_error(const ApiError& error);

// A JSON object sent as a request body, read field by field. Each getter
// returns nullopt when the member is absent (or null), and throws ApiError
// (BadRequest, naming the field) when it has another type.
class JsonObjectReader {
 public:
  // Throws ApiError (BadRequest) when `text` is not a JSON object.
  explicit JsonObjectReader(std::string_view text);
  std::optional<std::string> string(const char* name) const;
  std::optional<bool> boolean(const char* name) const;
  std::optional<double> number(const char* name) const;
  std::optional<int64_t> integer(const char* name) const;
  // Throws ApiError (BadRequest) naming the first member not in `known`.
  void only(std::initializer_list<std::string_view> known) const;

 private:
  JsonNode* member(const char* name) const;
  GObjectPtr<JsonParser> parser_;
  JsonObject* object_ = nullptr;
};
// A room event as the WebSocket message of the same type (docs/http-api.md).
std::string room_event_message(const RoomEvent& event);
// The same fields with "room" instead of "type": the data of a webhook.
std::string room_event_data(const std::string& room, const RoomEvent& event);

// A message from a WebSocket client. Fields a type does not use stay empty.
struct WsMessage {
  std::string type;  // join, watch, candidate, leave
  std::string room;
  std::string name;
  std::string role;  // publisher (default) or viewer
  std::string sdp;
  int mline = 0;
  std::string candidate;
  std::string token;  // join/watch: a join token, when the URL had none
};
// Messages over this size are refused with an error (413).
constexpr size_t kMaxWsMessageBytes = 64 * 1024;
// Parses one text frame; nullopt with `error` set when it is not a JSON
// object with a string `type`, or a field has the wrong JSON type.
std::optional<WsMessage> parse_ws_message(std::string_view text, std::string& error);

}  // namespace mixcast
