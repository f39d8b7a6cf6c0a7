#include <gtest/gtest.h>

#include <sstream>

#include "ctl/api_request.h"

namespace mixcast::ctl {
namespace {

Command command_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return parse_command_line(words, [](const std::string&) { return std::nullopt; }).command;
}

struct RequestCase {
  std::string line;
  std::string method;
  std::string path;
  std::string content_type;
  std::string body;
  View view;
};

// The brief's table of routes (docs/http-api.md), one command per route.
TEST(ApiRequest, EachCommandIsItsRoute) {
  const RequestCase cases[] = {
      {"rooms list", "GET", "/api/v1/rooms", "", "", View::RoomList},
      {"rooms get studio", "GET", "/api/v1/rooms/studio", "", "", View::Room},
      {"rooms stats studio", "GET", "/api/v1/rooms/studio/stats", "", "", View::RoomStats},
      {"rooms create --name extra", "POST", "/api/v1/rooms", "application/json",
       R"({"name":"extra"})", View::Room},
      {"rooms create --name extra --layout pip", "POST", "/api/v1/rooms", "application/json",
       R"({"name":"extra","layout":"pip"})", View::Room},
      {"rooms create --file room.json", "POST", "/api/v1/rooms", "application/json", "",
       View::Room},
      {"rooms delete studio", "DELETE", "/api/v1/rooms/studio", "", "", View::Done},
      {"rooms rebuild studio", "POST", "/api/v1/rooms/studio/rebuild", "", "", View::Room},
      {"participants list studio", "GET", "/api/v1/rooms/studio/participants", "", "",
       View::ParticipantList},
      {"participants update studio a-1 --mute-audio", "PATCH",
       "/api/v1/rooms/studio/participants/a-1", "application/json", R"({"audio_muted":true})",
       View::Participant},
      {"participants update studio a-1 --name Ann --unmute-audio --mute-video --volume-db -6.5 "
       "--unpin",
       "PATCH", "/api/v1/rooms/studio/participants/a-1", "application/json",
       R"({"name":"Ann","audio_muted":false,"video_muted":true,"volume_db":-6.5,"pinned":false})",
       View::Participant},
      {"participants update studio a-1 --unmute-video --pin", "PATCH",
       "/api/v1/rooms/studio/participants/a-1", "application/json",
       R"({"video_muted":false,"pinned":true})", View::Participant},
      {"participants kick studio a-1", "DELETE", "/api/v1/rooms/studio/participants/a-1", "", "",
       View::Done},
      {"participants kick studio a-1 --reason too&loud", "DELETE",
       "/api/v1/rooms/studio/participants/a-1?reason=too%26loud", "", "", View::Done},
      {"sources add studio --name Carol --uri test://color?color=blue", "POST",
       "/api/v1/rooms/studio/sources", "application/json",
       R"({"name":"Carol","uri":"test://color?color=blue"})", View::SourceId},
      {"sources add studio --name Carol --uri file:///a.mp4 --identity c --loop", "POST",
       "/api/v1/rooms/studio/sources", "application/json",
       R"({"name":"Carol","uri":"file:///a.mp4","identity":"c","loop":true})", View::SourceId},
      {"sources remove studio carol-3", "DELETE", "/api/v1/rooms/studio/sources/carol-3", "", "",
       View::Done},
      {"layouts list", "GET", "/api/v1/layouts", "", "", View::LayoutList},
      {"layouts get pip", "GET", "/api/v1/layouts/pip", "", "", View::Text},
      {"layouts validate l.yaml", "POST", "/api/v1/layouts/validate", "application/yaml", "",
       View::Validation},
      {"layouts apply studio --name pip", "PUT", "/api/v1/rooms/studio/layout", "application/json",
       R"({"name":"pip"})", View::Room},
      {"layouts apply studio --file l.yaml", "PUT", "/api/v1/rooms/studio/layout",
       "application/yaml", "", View::Room},
      {"outputs list studio", "GET", "/api/v1/rooms/studio/outputs", "", "", View::OutputList},
      {"outputs add studio --url rtmp://cdn/app/key", "POST", "/api/v1/rooms/studio/outputs",
       "application/json", R"({"kind":"rtmp","url":"rtmp://cdn/app/key"})", View::Output},
      {"outputs add studio --url rtmp://cdn/app/key --name cdn", "POST",
       "/api/v1/rooms/studio/outputs", "application/json",
       R"({"kind":"rtmp","url":"rtmp://cdn/app/key","name":"cdn"})", View::Output},
      {"outputs remove studio cdn", "DELETE", "/api/v1/rooms/studio/outputs/cdn", "", "",
       View::Done},
      {"hls start studio", "POST", "/api/v1/rooms/studio/hls/start", "", "", View::RoomOutputs},
      {"hls stop studio", "POST", "/api/v1/rooms/studio/hls/stop", "", "", View::RoomOutputs},
      {"recording start studio", "POST", "/api/v1/rooms/studio/recording/start", "", "",
       View::RoomOutputs},
      {"recording stop studio", "POST", "/api/v1/rooms/studio/recording/stop", "", "",
       View::RoomOutputs},
      {"recording split studio", "POST", "/api/v1/rooms/studio/recording/split", "", "",
       View::RoomOutputs},
      {"recordings list studio", "GET", "/api/v1/rooms/studio/recordings", "", "",
       View::RecordingList},
      {"recordings download studio a.mp4", "GET", "/recordings/studio/a.mp4", "", "",
       View::Download},
      {"recordings delete studio a.mp4", "DELETE", "/api/v1/rooms/studio/recordings/a.mp4", "", "",
       View::Done},
      {"tokens create studio ann", "POST", "/api/v1/tokens", "application/json",
       R"({"room":"studio","identity":"ann","can_publish":true,"can_subscribe":true})",
       View::Token},
      {"tokens create studio ann --name Ann --no-publish --no-subscribe --ttl 60", "POST",
       "/api/v1/tokens", "application/json",
       R"({"room":"studio","identity":"ann","name":"Ann","can_publish":false,)"
       R"("can_subscribe":false,"ttl_s":60})",
       View::Token},
      {"metrics", "GET", "/metrics", "", "", View::Text},
      {"health", "GET", "/healthz", "", "", View::Health},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const ApiRequest r = request_for(command_of(c.line));
    EXPECT_EQ(r.method, c.method);
    EXPECT_EQ(r.path, c.path);
    EXPECT_EQ(r.content_type, c.content_type);
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.view, c.view);
  }
}

TEST(ApiRequest, FilesAreNamedNotRead) {
  EXPECT_EQ(request_for(command_of("rooms create --file room.json")).body_file, "room.json");
  EXPECT_EQ(request_for(command_of("layouts validate -")).body_file, "-");
  EXPECT_EQ(request_for(command_of("layouts apply studio --file l.yaml")).body_file, "l.yaml");
  EXPECT_EQ(request_for(command_of("rooms create --name x")).body_file, "");
}

TEST(ApiRequest, NamesArePercentEncodedInPaths) {
  EXPECT_EQ(request_for(command_of("rooms get a/b")).path, "/api/v1/rooms/a%2Fb");
  EXPECT_EQ(request_for(command_of("participants update r%x caf\xC3\xA9 --pin")).path,
            "/api/v1/rooms/r%25x/participants/caf%C3%A9");
  EXPECT_EQ(request_for(command_of("recordings download r ../a")).path, "/recordings/r/..%2Fa");
}

TEST(ApiRequest, DownloadsGoToTheFilesNameUnlessToldOtherwise) {
  struct Case {
    std::string line;
    std::string output;
    bool resume;
  };
  const Case cases[] = {
      {"recordings download r a.mp4", "a.mp4", false},
      {"recordings download r a.mp4 --continue", "a.mp4", true},
      {"recordings download r a.mp4 -o /tmp/b.mp4", "/tmp/b.mp4", false},
      {"recordings download r a.mp4 --output=- ", "-", false},
      {"recordings download r sub/c.mkv", "c.mkv", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const ApiRequest r = request_for(command_of(c.line));
    EXPECT_EQ(r.output_path, c.output);
    EXPECT_EQ(r.resume, c.resume);
  }
}

TEST(ApiRequest, OptionsThatDoNotFitAreUsageErrors) {
  struct Case {
    std::string line;
    std::string message;
  };
  const Case cases[] = {
      {"rooms create", "needs --file FILE or --name NAME"},
      {"rooms create --file r.json --name x", "--file takes the whole room"},
      {"participants update r a", "needs something to change"},
      {"participants update r a --mute-audio --unmute-audio", "exclude each other"},
      {"participants update r a --mute-video --unmute-video", "exclude each other"},
      {"participants update r a --pin --unpin", "exclude each other"},
      {"participants update r a --volume-db loud", "--volume-db: 'loud' is not a number"},
      {"participants update r a --volume-db 3dB", "is not a number"},
      {"participants update r a --name=", "needs --name"},
      {"sources add r --name n", "needs --uri"},
      {"sources add r --uri test://x", "needs --name"},
      {"layouts apply r", "needs --name NAME or --file FILE"},
      {"layouts apply r --name a --file b", "exclude each other"},
      {"outputs add r --name cdn", "needs --url"},
      {"tokens create r i --ttl 1.5", "--ttl: '1.5' is not a whole number"},
      {"tokens create r i --ttl 0", "at least 1 second"},
      {"recordings download r a.mp4 -o - --continue", "--continue needs a file"},
      {"recordings download r dir/", "name the local file with -o PATH"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    try {
      request_for(command_of(c.line));
      ADD_FAILURE() << "no usage error";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
  }
}

TEST(ApiRequest, EncodeComponentKeepsOnlyUnreserved) {
  const std::pair<std::string, std::string> cases[] = {
      {"studio-1_a.b~c", "studio-1_a.b~c"},
      {"a b", "a%20b"},
      {"a/b?c#d", "a%2Fb%3Fc%23d"},
      {"100%", "100%25"},
      {"Zoë", "Zo%C3%AB"},
      {"", ""},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(encode_component(in), out) << in;
}

TEST(ApiRequest, ResumeActionFromTheAnswer) {
  struct Case {
    int status;
    std::string content_range;
    uint64_t local;
    ResumeAction action;
  };
  const Case cases[] = {
      {200, "", 0, ResumeAction::Replace},
      {200, "", 500, ResumeAction::Replace},  // the server ignored the Range
      {206, "bytes 500-999/1000", 500, ResumeAction::Append},
      {206, "bytes 400-999/1000", 500, ResumeAction::Mismatch},
      {206, "bytes 500-999/*", 500, ResumeAction::Append},
      {206, "", 500, ResumeAction::Mismatch},
      {206, "items 500-999/1000", 500, ResumeAction::Mismatch},
      {416, "bytes */1000", 1000, ResumeAction::Complete},
      {416, "bytes */1000", 1200, ResumeAction::Mismatch},
      {416, "bytes */0", 0, ResumeAction::Mismatch},
      {416, "", 1000, ResumeAction::Mismatch},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.status) + " " + c.content_range);
    EXPECT_EQ(resume_action(c.status, c.content_range, c.local), c.action);
  }
}

}  // namespace
}  // namespace mixcast::ctl
