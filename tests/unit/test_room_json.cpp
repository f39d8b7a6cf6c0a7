// http/json_util: the outputs of the room document and the
// recording_finished event, as the API and the WebSocket send them.
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>

#include "http/json_util.h"

using namespace mixcast;

namespace {

// The parsed document (null when it is not a JSON object).
struct Parsed {
  explicit Parsed(const std::string& text) : parser(json_parser_new()) {
    if (json_parser_load_from_data(parser.get(), text.c_str(), -1, nullptr)) {
      JsonNode* root = json_parser_get_root(parser.get());
      if (root && JSON_NODE_HOLDS_OBJECT(root)) object = json_node_get_object(root);
    }
  }
  GObjectPtr<JsonParser> parser;
  JsonObject* object = nullptr;
};

}  // namespace

TEST(RoomJson, OutputsCarryUptimeAndFile) {
  RoomStatus room;
  room.name = "studio";
  OutputStatus recording;
  recording.name = "recording";
  recording.kind = "recording";
  recording.state = OutputState::Live;
  recording.uptime_s = 12.5;
  recording.file = "/srv/rec/studio/studio-20240501-100000.mp4";
  OutputStatus cdn;
  cdn.name = "cdn";
  cdn.kind = "rtmp";
  cdn.state = OutputState::Retrying;
  room.outputs = {recording, cdn};
  JsonWriter out;
  write_room(out, room);
  Parsed json(out.text());
  ASSERT_TRUE(json.object) << out.text();
  JsonArray* outputs = json_object_get_array_member(json.object, "outputs");
  ASSERT_EQ(json_array_get_length(outputs), 2u);
  JsonObject* first = json_array_get_object_element(outputs, 0);
  EXPECT_DOUBLE_EQ(json_object_get_double_member(first, "uptime_s"), 12.5);
  EXPECT_STREQ(json_object_get_string_member(first, "file"), recording.file.c_str());
  JsonObject* second = json_array_get_object_element(outputs, 1);
  EXPECT_DOUBLE_EQ(json_object_get_double_member(second, "uptime_s"), 0);
  EXPECT_STREQ(json_object_get_string_member(second, "file"), "");
}

TEST(RoomJson, RecordingFinishedEvent) {
  RoomEvent event;
  event.kind = RoomEventKind::RecordingFinished;
  event.name = "recording";
  event.path = "/srv/rec/studio/studio-20240501-100000.mp4";
  event.duration_s = 3600.25;
  event.size_bytes = 5'000'000'000ull;
  const std::string text = room_event_message(event);
  Parsed json(text);
  ASSERT_TRUE(json.object) << text;
  EXPECT_STREQ(json_object_get_string_member(json.object, "type"), "recording_finished");
  EXPECT_STREQ(json_object_get_string_member(json.object, "name"), "recording");
  EXPECT_STREQ(json_object_get_string_member(json.object, "path"), event.path.c_str());
  EXPECT_DOUBLE_EQ(json_object_get_double_member(json.object, "duration_s"), 3600.25);
  EXPECT_EQ(json_object_get_int_member(json.object, "size_bytes"), 5'000'000'000);
}

// Each event carries its own fields and no other's (a missing break once
// gave participant_updated the recording's path, and its name twice).
TEST(RoomJson, ParticipantUpdatedHasOnlyItsOwnFields) {
  RoomEvent event;
  event.kind = RoomEventKind::ParticipantUpdated;
  event.id = "ann-1";
  event.name = "Ann";
  event.audio_muted = true;
  event.volume_db = -6;
  const std::string text = room_event_message(event);
  Parsed json(text);
  ASSERT_TRUE(json.object) << text;
  EXPECT_STREQ(json_object_get_string_member(json.object, "type"), "participant_updated");
  EXPECT_TRUE(json_object_get_boolean_member(json.object, "audio_muted"));
  EXPECT_DOUBLE_EQ(json_object_get_double_member(json.object, "volume_db"), -6);
  EXPECT_FALSE(json_object_has_member(json.object, "path")) << text;
  EXPECT_FALSE(json_object_has_member(json.object, "size_bytes")) << text;
}

// Webhook data: the room instead of the type, the same fields.
TEST(RoomJson, WebhookDataNamesTheRoom) {
  RoomEvent event;
  event.kind = RoomEventKind::ParticipantLeft;
  event.id = "ann-1";
  event.name = "Ann";
  event.detail = "removed by the operator";
  const std::string text = room_event_data("studio", event);
  Parsed json(text);
  ASSERT_TRUE(json.object) << text;
  EXPECT_STREQ(json_object_get_string_member(json.object, "room"), "studio");
  EXPECT_STREQ(json_object_get_string_member(json.object, "reason"), "removed by the operator");
  EXPECT_FALSE(json_object_has_member(json.object, "type")) << text;
}
