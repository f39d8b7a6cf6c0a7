#include <gtest/gtest.h>

#include "ctl/views.h"

namespace mixcast::ctl {
namespace {

const std::string kParticipants = R"([
    {"id": "alice-1", "name": "Alice", "has_video": true, "speaking": true,
     "audio_muted": false, "video_muted": false, "volume_db": 0, "pinned": false},
    {"id": "bob-2", "name": "Bob", "has_video": false, "speaking": false,
     "audio_muted": true, "video_muted": false, "volume_db": -6.0, "pinned": true}
  ])";

// A room as GET /api/v1/rooms/{room} answers it (docs/http-api.md), trimmed.
const std::string kRoom = R"({
  "name": "studio", "layout": "grid", "width": 640, "height": 360, "fps": 30,
  "video_frames_encoded": 5400, "core_rebuilds": 1, "last_core_error": "",
  "hls": "/hls/studio/index.m3u8",
  "participants": )" + kParticipants +
                          R"(,
  "tiles": [],
  "outputs": [
    {"name": "hls", "kind": "hls", "target": "/srv/hls/studio/index.m3u8", "state": "live",
     "attempt": 0, "last_error": "", "bytes": 1234567},
    {"name": "cdn", "kind": "rtmp", "target": "rtmp://live.example.com/app/***",
     "state": "retrying", "attempt": 3, "last_error": "Could not connect", "bytes": 0}
  ]
})";

ApiRequest request(View view) {
  ApiRequest r;
  r.view = view;
  return r;
}

TEST(Views, RoomsTable) {
  EXPECT_EQ(rooms_table(R"({"rooms": [)" + kRoom +
                        R"(, {"name": "empty-room", "layout": "speaker", "width": 1280,
                             "height": 720, "fps": 25, "participants": [], "outputs": []}]})"),
            "NAME        LAYOUT   SIZE         PARTICIPANTS  OUTPUTS  FRAMES\n"
            "studio      grid     640x360@30   2             2        5400\n"
            "empty-room  speaker  1280x720@25  0             0        0\n");
  EXPECT_EQ(rooms_table(R"({"rooms": []})"), "NAME  LAYOUT  SIZE  PARTICIPANTS  OUTPUTS  FRAMES\n");
}

TEST(Views, ParticipantsTable) {
  EXPECT_EQ(participants_table("{\"participants\": " + kParticipants + "}"),
            "ID       NAME   AUDIO  VIDEO  VOLUME   PINNED  SPEAKING\n"
            "alice-1  Alice  on     on     0.0 dB   no      yes\n"
            "bob-2    Bob    muted  none   -6.0 dB  yes     no\n");
}

TEST(Views, MutedVideoIsMutedEvenWithoutAStream) {
  EXPECT_EQ(render(request(View::Participant),
                   R"({"id": "c-3", "name": "Cy", "has_video": true, "video_muted": true})"),
            "ID   NAME  AUDIO  VIDEO  VOLUME  PINNED  SPEAKING\n"
            "c-3  Cy    on     muted  0.0 dB  no      no\n");
}

TEST(Views, OutputsTableFromAListOrARoom) {
  const std::string expected =
      "NAME  KIND  STATE     ATTEMPT  BYTES    LAST-ERROR\n"
      "hls   hls   live      0        1.2 MiB  -\n"
      "cdn   rtmp  retrying  3        0 B      Could not connect\n";
  EXPECT_EQ(outputs_table(kRoom), expected);
  EXPECT_EQ(render(request(View::RoomOutputs), kRoom), expected);
}

TEST(Views, RoomView) {
  EXPECT_EQ(render(request(View::Room), kRoom),
            "name             studio\n"
            "layout           grid\n"
            "canvas           640x360@30\n"
            "frames           5400\n"
            "core rebuilds    1\n"
            "last core error  -\n"
            "hls              /hls/studio/index.m3u8\n"
            "\n"
            "participants:\n"
            "ID       NAME   AUDIO  VIDEO  VOLUME   PINNED  SPEAKING\n"
            "alice-1  Alice  on     on     0.0 dB   no      yes\n"
            "bob-2    Bob    muted  none   -6.0 dB  yes     no\n"
            "\n"
            "outputs:\n"
            "NAME  KIND  STATE     ATTEMPT  BYTES    LAST-ERROR\n"
            "hls   hls   live      0        1.2 MiB  -\n"
            "cdn   rtmp  retrying  3        0 B      Could not connect\n");
  EXPECT_NE(render(request(View::Room), R"({"name": "bare"})").find("participants:\n(none)\n"),
            std::string::npos);
}

TEST(Views, RecordingsTable) {
  EXPECT_EQ(recordings_table(R"({"recordings": [
      {"file": "studio-1.mp4", "url": "/recordings/studio/studio-1.mp4", "size_bytes": 52428800,
       "duration_s": 3723.4, "finished": true},
      {"file": "studio-2.mp4", "url": "/recordings/studio/studio-2.mp4", "size_bytes": 2048,
       "duration_s": null, "finished": false, "recording": true},
      {"file": "crashed.mp4", "url": "/recordings/studio/crashed.mp4", "size_bytes": 1024,
       "duration_s": 0, "finished": false, "recording": false}]})"),
            "FILE          SIZE      DURATION  STATE\n"
            "studio-1.mp4  50.0 MiB  1:02:03   finished\n"
            "studio-2.mp4  2.0 KiB   -         writing\n"
            "crashed.mp4   1.0 KiB   -         unfinished\n");
}

TEST(Views, RoomStats) {
  // As docs/http-api.md shows it: a WebRTC guest with network numbers, a
  // pulled source without (null), and no level reported yet (null).
  EXPECT_EQ(render(request(View::RoomStats), R"({"room": "demo", "encoder_fps": 29.97, "fps": 30,
      "video_frames_encoded": 5400, "core_rebuilds": 0, "viewers": 2,
      "input": {"video": {"passed": 5400, "dropped": 0, "repaired": 0},
                "audio": {"passed": 9000, "dropped": 0, "repaired": 3}},
      "participants": [
        {"id": "ann-1", "name": "Ann", "audio_level_db": -23.5,
         "input": {"video": {"passed": 10, "dropped": 2, "repaired": 0},
                   "audio": {"passed": 10, "dropped": 1, "repaired": 0}},
         "network": {"bitrate_in_kbps": 1480.2, "bitrate_out_kbps": 2610.7, "bytes_in": 912345,
                     "bytes_out": 1634567, "packets_in": 8123, "packets_lost": 4,
                     "loss_percent": 0.05, "jitter_ms": 3.1, "rtt_ms": null}},
        {"id": "cam-2", "name": "Cam", "audio_level_db": null, "input": {}, "network": null}],
      "outputs": []})"),
            "room           demo\n"
            "encoder fps    29.97 (target 30)\n"
            "frames         5400\n"
            "core rebuilds  0\n"
            "viewers        2\n"
            "input          video 5400 passed, 0 dropped, 0 repaired; audio 9000 passed, 0 "
            "dropped, 3 repaired\n"
            "\n"
            "participants:\n"
            "ID     NAME  LEVEL     IN         OUT        LOSS   JITTER  RTT  DROPPED\n"
            "ann-1  Ann   -23.5 dB  1480 kbps  2611 kbps  0.05%  3.1 ms  -    3\n"
            "cam-2  Cam   -         -          -          -      -       -    0\n"
            "\n"
            "outputs:\n"
            "(none)\n");
}

TEST(Views, RoomStatsOfAnOverloadedRoom) {
  // The room encodes one frame in two on purpose, and says how many it left
  // out and skipped.
  const std::string out = render(request(View::RoomStats), R"({"room": "demo",
      "encoder_fps": 15.02, "fps": 30, "programme_fps": 15, "video_frames_encoded": 5400,
      "video_frames_skipped": 41, "video_frames_thinned": 1800, "core_rebuilds": 0,
      "viewers": 0, "input": {}, "participants": [], "outputs": []})");
  EXPECT_NE(out.find("encoder fps    15.02 (target 30; 15 while overloaded)\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("frames         5400, 41 skipped, 1800 thinned\n"), std::string::npos) << out;
}

TEST(Views, ShortAnswers) {
  struct Case {
    View view;
    std::string body;
    std::string out;
  };
  const Case cases[] = {
      {View::SourceId, R"({"id": "carol-3", "name": "Carol", "uri": "test://color"})", "carol-3\n"},
      {View::Token, R"({"token": "eyJ.a.b", "expires_at": 1, "room": "r", "identity": "i"})",
       "eyJ.a.b\n"},
      {View::Health, R"({"status": "ok"})", "ok\n"},
      {View::LayoutList,
       R"({"layouts": [{"name": "grid", "file": "/l/grid.yaml"}, {"name": "pip", "file": "/l/pip.yaml"}]})",
       "NAME  FILE\ngrid  /l/grid.yaml\npip   /l/pip.yaml\n"},
      {View::Text, "name: pip\nregions: []", "name: pip\nregions: []\n"},
      {View::Text, "# HELP mixcast_rooms Rooms open now.\n",
       "# HELP mixcast_rooms Rooms open now.\n"},
      {View::Output,
       R"({"name": "cdn", "kind": "rtmp", "state": "connecting", "attempt": 0, "bytes": 0})",
       "NAME  KIND  STATE       ATTEMPT  BYTES  LAST-ERROR\ncdn   rtmp  connecting  0        0 B   "
       " "
       "-\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(render(request(c.view), c.body), c.out);
  }
  ApiRequest done = request(View::Done);
  done.done_message = "room 'x' deleted";
  EXPECT_EQ(render(done, ""), "room 'x' deleted\n");
  ApiRequest valid = request(View::Validation);
  valid.body_file = "my-layout.yaml";
  EXPECT_EQ(render(valid, R"({"valid": true})"), "my-layout.yaml: valid\n");
}

TEST(Views, AnswersThatAreNotTheApisJsonAreReported) {
  struct Case {
    View view;
    std::string body;
  };
  const Case cases[] = {
      {View::RoomList, "<html>"}, {View::RoomList, R"({"roomz": []})"},
      {View::RoomList, "[]"},     {View::Token, R"({"expires_at": 1})"},
      {View::SourceId, "{}"},     {View::Room, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_THROW(render(request(c.view), c.body), UnexpectedAnswer);
  }
}

}  // namespace
}  // namespace mixcast::ctl
