// Config parsing and validation: defaults, every key, every rejected value
// (with the line and field path an operator would see), and path resolution.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/config.h"

namespace mixcast {
namespace {

constexpr const char* kFile = "test.yaml";

// Parses text that must be rejected and returns the issues.
std::vector<FileIssue> issues_of(const std::string& yaml) {
  try {
    parse_config(yaml, kFile);
  } catch (const FileError& e) {
    return e.issues();
  }
  ADD_FAILURE() << "expected a FileError for:\n" << yaml;
  return {};
}

std::string dump(const std::vector<FileIssue>& issues) {
  std::string out;
  for (const auto& issue : issues) out += "  " + issue.to_string() + "\n";
  return out;
}

TEST(ConfigDefaults, EmptyMappingGivesDefaults) {
  Config c = parse_config("{}\n", kFile);
  EXPECT_EQ(c.file, kFile);
  EXPECT_EQ(c.log_level, LogLevel::Info);
  EXPECT_TRUE(c.http.enabled);
  EXPECT_EQ(c.http.address, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.http.public_url, "");
  EXPECT_EQ(c.media.width, 1280);
  EXPECT_EQ(c.media.height, 720);
  EXPECT_EQ(c.media.fps, 30);
  EXPECT_EQ(c.media.video_bitrate_kbps, 2500);
  EXPECT_EQ(c.media.audio_bitrate_kbps, 128);
  EXPECT_EQ(c.media.audio_rate, 48000);
  EXPECT_EQ(c.media.audio_channels, 2);
  EXPECT_DOUBLE_EQ(c.media.keyframe_interval_s, 2.0);
  EXPECT_EQ(c.media.video_encoder, "x264");
  EXPECT_EQ(c.media.audio_encoder, "aac");
  EXPECT_EQ(c.media.mixer_latency_ms, 40);
  EXPECT_EQ(c.paths.layouts, "layouts");
  EXPECT_EQ(c.paths.pipelines, "../pipelines");
  EXPECT_EQ(c.paths.hls, "var/hls");
  EXPECT_EQ(c.paths.recordings, "var/recordings");
  EXPECT_EQ(c.default_outputs.hls, HlsConfig{});
  EXPECT_EQ(c.default_outputs.recording, RecordingConfig{});
  EXPECT_TRUE(c.default_outputs.rtmp.empty());
  EXPECT_TRUE(c.rooms.empty());
}

TEST(ConfigDefaults, KeysWithoutValueKeepDefaults) {
  Config c = parse_config("http:\n  port:\nmedia:\nrooms:\n", kFile);
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.media.width, 1280);
  EXPECT_TRUE(c.rooms.empty());
}

TEST(ConfigDefaults, RoomAndSourceDefaults) {
  Config c = parse_config(
      "rooms:\n"
      "  - name: r\n"
      "    sources:\n"
      "      - uri: test://bars\n"
      "      - name: Bob\n"
      "        uri: test://sync\n",
      kFile);
  ASSERT_EQ(c.rooms.size(), 1u);
  const RoomConfig& room = c.rooms[0];
  EXPECT_EQ(room.line, 2);
  EXPECT_EQ(room.layout, "grid");
  EXPECT_EQ(room.width, 0);
  EXPECT_EQ(room.height, 0);
  EXPECT_EQ(room.fps, 0);
  EXPECT_EQ(room.outputs.hls, c.default_outputs.hls);
  EXPECT_EQ(room.outputs.recording, c.default_outputs.recording);
  ASSERT_EQ(room.sources.size(), 2u);
  EXPECT_EQ(room.sources[0].name, "source0");
  EXPECT_EQ(room.sources[0].identity, "source0");
  EXPECT_EQ(room.sources[0].line, 4);
  EXPECT_DOUBLE_EQ(room.sources[0].join_at_s, 0);
  EXPECT_DOUBLE_EQ(room.sources[0].leave_at_s, -1);
  EXPECT_DOUBLE_EQ(room.sources[0].repeat_every_s, 0);
  EXPECT_FALSE(room.sources[0].loop);
  EXPECT_EQ(room.sources[1].name, "Bob");
  EXPECT_EQ(room.sources[1].identity, "Bob");
  EXPECT_EQ(room.sources[1].line, 5);
}

TEST(ConfigParse, EveryKey) {
  const std::string yaml = R"(log_level: debug
http:
  enabled: false
  address: 0.0.0.0
  port: 9000
  public_url: https://mix.example.org
media:
  width: 1920
  height: 1080
  fps: 25
  video_bitrate_kbps: 4000
  audio_bitrate_kbps: 96
  audio_rate: 44100
  audio_channels: 1
  keyframe_interval_s: 1.5
  video_encoder: openh264
  audio_encoder: opus
  mixer_latency_ms: 250
paths:
  layouts: /etc/mixcast/layouts
  pipelines: pl
  hls: /srv/hls
  recordings: rec
default_outputs:
  hls:
    enabled: false
    segment_s: 4
    playlist_length: 5
    max_files: 9
  recording:
    enabled: false
    format: mkv
    fragment_s: 0.5
    split_s: 3600
  rtmp:
    - name: yt
      url: rtmps://example.org/live/key
      max_retries: 3
      backoff_initial_s: 0.5
      backoff_max_s: 10
      queue_s: 4
rooms:
  - name: studio-1
    layout: speaker
    width: 640
    height: 360
    fps: 15
    outputs:
      hls:
        enabled: true
      recording:
        format: mp4
      rtmp: []
    sources:
      - name: Cam
        identity: cam-1
        uri: rtsp://10.0.0.2/stream
        join_at_s: 1
        leave_at_s: 20
        repeat_every_s: 30
        loop: true
)";
  Config c = parse_config(yaml, kFile);
  EXPECT_EQ(c.log_level, LogLevel::Debug);
  EXPECT_FALSE(c.http.enabled);
  EXPECT_EQ(c.http.address, "0.0.0.0");
  EXPECT_EQ(c.http.port, 9000);
  EXPECT_EQ(c.http.public_url, "https://mix.example.org");
  EXPECT_EQ(c.media.width, 1920);
  EXPECT_EQ(c.media.height, 1080);
  EXPECT_EQ(c.media.fps, 25);
  EXPECT_EQ(c.media.video_bitrate_kbps, 4000);
  EXPECT_EQ(c.media.audio_bitrate_kbps, 96);
  EXPECT_EQ(c.media.audio_rate, 44100);
  EXPECT_EQ(c.media.audio_channels, 1);
  EXPECT_DOUBLE_EQ(c.media.keyframe_interval_s, 1.5);
  EXPECT_EQ(c.media.video_encoder, "openh264");
  EXPECT_EQ(c.media.audio_encoder, "opus");
  EXPECT_EQ(c.media.mixer_latency_ms, 250);
  EXPECT_EQ(c.paths.layouts, "/etc/mixcast/layouts");
  EXPECT_EQ(c.paths.pipelines, "pl");
  EXPECT_EQ(c.paths.hls, "/srv/hls");
  EXPECT_EQ(c.paths.recordings, "rec");

  const OutputsConfig& d = c.default_outputs;
  EXPECT_FALSE(d.hls.enabled);
  EXPECT_DOUBLE_EQ(d.hls.segment_s, 4);
  EXPECT_EQ(d.hls.playlist_length, 5);
  EXPECT_EQ(d.hls.max_files, 9);
  EXPECT_FALSE(d.recording.enabled);
  EXPECT_EQ(d.recording.format, "mkv");
  EXPECT_DOUBLE_EQ(d.recording.fragment_s, 0.5);
  EXPECT_DOUBLE_EQ(d.recording.split_s, 3600);
  ASSERT_EQ(d.rtmp.size(), 1u);
  EXPECT_EQ(d.rtmp[0].name, "yt");
  EXPECT_EQ(d.rtmp[0].url, "rtmps://example.org/live/key");
  EXPECT_EQ(d.rtmp[0].max_retries, 3);
  EXPECT_DOUBLE_EQ(d.rtmp[0].backoff_initial_s, 0.5);
  EXPECT_DOUBLE_EQ(d.rtmp[0].backoff_max_s, 10);
  EXPECT_DOUBLE_EQ(d.rtmp[0].queue_s, 4);

  ASSERT_EQ(c.rooms.size(), 1u);
  const RoomConfig& room = c.rooms[0];
  EXPECT_EQ(room.name, "studio-1");
  EXPECT_EQ(room.layout, "speaker");
  EXPECT_EQ(room.width, 640);
  EXPECT_EQ(room.height, 360);
  EXPECT_EQ(room.fps, 15);
  EXPECT_EQ(room.line, 43);
  // Set in the room:
  EXPECT_TRUE(room.outputs.hls.enabled);
  EXPECT_EQ(room.outputs.recording.format, "mp4");
  EXPECT_TRUE(room.outputs.rtmp.empty());
  // Inherited from default_outputs:
  EXPECT_DOUBLE_EQ(room.outputs.hls.segment_s, 4);
  EXPECT_EQ(room.outputs.hls.max_files, 9);
  EXPECT_FALSE(room.outputs.recording.enabled);
  EXPECT_DOUBLE_EQ(room.outputs.recording.split_s, 3600);

  ASSERT_EQ(room.sources.size(), 1u);
  const SourceConfig& s = room.sources[0];
  EXPECT_EQ(s.name, "Cam");
  EXPECT_EQ(s.identity, "cam-1");
  EXPECT_EQ(s.uri, "rtsp://10.0.0.2/stream");
  EXPECT_DOUBLE_EQ(s.join_at_s, 1);
  EXPECT_DOUBLE_EQ(s.leave_at_s, 20);
  EXPECT_DOUBLE_EQ(s.repeat_every_s, 30);
  EXPECT_TRUE(s.loop);
  EXPECT_EQ(s.line, 55);

  // Where things were written, for later messages.
  EXPECT_EQ(c.positions.at("http.port").line, 5);
  EXPECT_EQ(c.positions.at("http.port").column, 9);
  EXPECT_EQ(c.positions.at("rooms[0].sources[0].uri").line, 57);
}

TEST(ConfigDefaults, Limits) {
  const Config c = parse_config("{}", kFile);
  EXPECT_EQ(c.limits.max_rooms, 100);
  EXPECT_EQ(c.limits.max_participants_per_room, 50);
  EXPECT_EQ(c.limits.max_viewers_per_room, 1000);
  EXPECT_EQ(c.limits.max_websocket_connections, 1000);
  EXPECT_EQ(c.limits.max_websocket_connections_per_address, 100);
  EXPECT_EQ(c.limits.joins_per_minute_per_address, 120);
  EXPECT_EQ(c.limits.max_header_bytes, 16384);
  EXPECT_EQ(c.limits.max_body_bytes, 65536);
  EXPECT_DOUBLE_EQ(c.limits.header_timeout_s, 10);
  EXPECT_DOUBLE_EQ(c.limits.idle_timeout_s, 60);
  EXPECT_DOUBLE_EQ(c.limits.ws_messages_per_second, 20);
  EXPECT_EQ(c.limits.ws_message_burst, 100);
  EXPECT_TRUE(c.limits.cors_allow_origins.empty());
}

TEST(ConfigParse, EveryLimitsKey) {
  const Config c = parse_config(R"(limits:
  max_rooms: 3
  max_participants_per_room: 0
  max_viewers_per_room: 7
  max_websocket_connections: 8
  max_websocket_connections_per_address: 2
  joins_per_minute_per_address: 0
  max_header_bytes: 2048
  max_body_bytes: 4096
  header_timeout_s: 1.5
  idle_timeout_s: 5
  ws_messages_per_second: 2.5
  ws_message_burst: 4
  cors_allow_origins: ["https://studio.example", "http://127.0.0.1:3000", "*"]
)",
                                kFile);
  IssueList issues;
  validate(c, issues);
  EXPECT_TRUE(issues.empty()) << dump(issues.issues());
  EXPECT_EQ(c.limits.max_rooms, 3);
  EXPECT_EQ(c.limits.max_participants_per_room, 0);
  EXPECT_EQ(c.limits.max_viewers_per_room, 7);
  EXPECT_EQ(c.limits.max_websocket_connections, 8);
  EXPECT_EQ(c.limits.max_websocket_connections_per_address, 2);
  EXPECT_EQ(c.limits.joins_per_minute_per_address, 0);
  EXPECT_EQ(c.limits.max_header_bytes, 2048);
  EXPECT_EQ(c.limits.max_body_bytes, 4096);
  EXPECT_DOUBLE_EQ(c.limits.header_timeout_s, 1.5);
  EXPECT_DOUBLE_EQ(c.limits.idle_timeout_s, 5);
  EXPECT_DOUBLE_EQ(c.limits.ws_messages_per_second, 2.5);
  EXPECT_EQ(c.limits.ws_message_burst, 4);
  EXPECT_EQ(c.limits.cors_allow_origins,
            (std::vector<std::string>{"https://studio.example", "http://127.0.0.1:3000", "*"}));
}

TEST(ConfigParse, LogLevelNames) {
  struct Case {
    const char* text;
    LogLevel level;
  };
  const Case cases[] = {{"error", LogLevel::Error},  {"warning", LogLevel::Warning},
                        {"warn", LogLevel::Warning}, {"info", LogLevel::Info},
                        {"debug", LogLevel::Debug},  {"DEBUG", LogLevel::Debug}};
  for (const auto& c : cases) {
    EXPECT_EQ(parse_config(std::string("log_level: ") + c.text + "\n", kFile).log_level, c.level)
        << c.text;
  }
}

TEST(ConfigParse, LogLevelToString) {
  EXPECT_EQ(to_string(LogLevel::Error), "error");
  EXPECT_EQ(to_string(LogLevel::Warning), "warning");
  EXPECT_EQ(to_string(LogLevel::Info), "info");
  EXPECT_EQ(to_string(LogLevel::Debug), "debug");
  for (auto level : {LogLevel::Error, LogLevel::Warning, LogLevel::Info, LogLevel::Debug}) {
    EXPECT_EQ(parse_config("log_level: " + to_string(level) + "\n", kFile).log_level, level);
  }
}

TEST(ConfigParse, RoomOutputsInheritDefaultsWhateverTheKeyOrder) {
  // rooms comes before default_outputs in the file on purpose.
  Config c = parse_config(
      "rooms:\n"
      "  - name: plain\n"
      "  - name: partial\n"
      "    outputs:\n"
      "      hls: {enabled: false}\n"
      "  - name: no-rtmp\n"
      "    outputs:\n"
      "      rtmp: []\n"
      "default_outputs:\n"
      "  hls: {segment_s: 6}\n"
      "  recording: {format: mkv}\n"
      "  rtmp:\n"
      "    - url: rtmp://a/live/1\n"
      "    - url: rtmp://b/live/2\n",
      kFile);
  ASSERT_EQ(c.rooms.size(), 3u);
  ASSERT_EQ(c.default_outputs.rtmp.size(), 2u);
  EXPECT_EQ(c.default_outputs.rtmp[0].name, "rtmp0");
  EXPECT_EQ(c.default_outputs.rtmp[1].name, "rtmp1");

  EXPECT_EQ(c.rooms[0].outputs.hls, c.default_outputs.hls);
  EXPECT_EQ(c.rooms[0].outputs.recording, c.default_outputs.recording);
  EXPECT_EQ(c.rooms[0].outputs.rtmp, c.default_outputs.rtmp);

  EXPECT_FALSE(c.rooms[1].outputs.hls.enabled);
  EXPECT_DOUBLE_EQ(c.rooms[1].outputs.hls.segment_s, 6);
  EXPECT_EQ(c.rooms[1].outputs.recording.format, "mkv");
  EXPECT_EQ(c.rooms[1].outputs.rtmp, c.default_outputs.rtmp);

  EXPECT_TRUE(c.rooms[2].outputs.rtmp.empty());
  EXPECT_EQ(c.rooms[2].outputs.hls, c.default_outputs.hls);
}

TEST(ConfigParse, ValidEdgeValues) {
  // The ends of each accepted range.
  Config c = parse_config(
      "http: {port: 65535}\n"
      "media: {width: 16, height: 7680, fps: 120}\n"
      "default_outputs:\n"
      "  hls: {playlist_length: 1, max_files: 2}\n"
      "  recording: {fragment_s: 60}\n"
      "  rtmp: [{url: 'rtmp://h/a', backoff_initial_s: 5, backoff_max_s: 5, max_retries: -1}]\n"
      "rooms:\n"
      "  - name: A_b-9\n"
      "    sources: [{uri: x.mp4, join_at_s: 0, leave_at_s: 0.5, repeat_every_s: 0.6}]\n",
      kFile);
  EXPECT_EQ(c.http.port, 65535);
  EXPECT_EQ(c.rooms[0].name, "A_b-9");
}

// One rejected value per case: the single issue must name the line and field.
struct InvalidCase {
  const char* name;
  std::string yaml;
  int line;
  int column;  // 0 = not checked
  std::string field;
  std::string message;  // substring
};

class ConfigInvalid : public testing::TestWithParam<InvalidCase> {};

TEST_P(ConfigInvalid, ReportsLineAndField) {
  const InvalidCase& c = GetParam();
  std::vector<FileIssue> issues = issues_of(c.yaml);
  ASSERT_EQ(issues.size(), 1u) << dump(issues);
  const FileIssue& issue = issues[0];
  EXPECT_EQ(issue.file, kFile);
  EXPECT_EQ(issue.line, c.line) << issue.to_string();
  if (c.column != 0) {
    EXPECT_EQ(issue.column, c.column) << issue.to_string();
  }
  EXPECT_EQ(issue.field, c.field) << issue.to_string();
  EXPECT_NE(issue.message.find(c.message), std::string::npos) << issue.to_string();
}

const std::string kRoom = "rooms:\n  - name: r\n";                           // lines 1-2
const std::string kRoomSources = kRoom + "    sources:\n      - name: s\n";  // lines 1-4

const InvalidCase kInvalidCases[] = {
    // Unknown keys and typos.
    {"TopLevelTypo", "log_level: info\nhtp: {}\n", 2, 1, "htp", "did you mean \"http\""},
    {"NestedTypo", "http:\n  prot: 80\n", 2, 3, "http.prot", "did you mean \"port\""},
    {"NoHintForADifferentWord", "rtmp: []\n", 1, 1, "rtmp",
     "expected one of: log_level, shutdown_timeout_s, drain_retry_after_s, http, auth, webhooks, "
     "media, paths, default_outputs, webrtc, limits, rooms"},
    {"UnknownKeyListsChoices", "paths:\n  everything: x\n", 2, 3, "paths.everything",
     "expected one of: layouts, pipelines, hls, recordings"},
    {"SourceTypo", kRoomSources + "        uri: test://sync\n        jion_at_s: 3\n", 6, 9,
     "rooms[0].sources[0].jion_at_s", "did you mean \"join_at_s\""},
    {"DuplicateKey", "http:\n  port: 1\n  port: 2\n", 3, 3, "http.port",
     "duplicate key (also line 2)"},
    {"NonScalarKey", "http:\n  [a]: 1\n", 2, 3, "http", "keys must be plain names"},

    // Wrong types.
    {"PortNotANumber", "http:\n  port: \"abc\"\n", 2, 9, "http.port",
     "expected a whole number, got 'abc'"},
    {"PortFraction", "http:\n  port: 80.5\n", 2, 9, "http.port", "expected a whole number"},
    {"PortTooBigForInt", "http:\n  port: 99999999999\n", 2, 9, "http.port",
     "expected a whole number"},
    {"BoolNotABool", "http:\n  enabled: maybe\n", 2, 12, "http.enabled", "expected true or false"},
    {"NumberIsAList", "media:\n  keyframe_interval_s: [1]\n", 2, 3, "media.keyframe_interval_s",
     "expected a number, got a list"},
    {"StringIsAMap", "media:\n  video_encoder: {a: 1}\n", 2, 3, "media.video_encoder",
     "expected a string, got a mapping"},
    {"SectionIsScalar", "http: yes\n", 1, 7, "http", "expected a mapping"},
    {"RoomsNotAList", "rooms:\n  name: r\n", 1, 1, "rooms", "expected a list"},
    {"RoomNotAMap", "rooms:\n  - r\n", 2, 5, "rooms[0]", "expected a mapping"},
    {"RootNotAMap", "- a\n- b\n", 1, 1, "", "expected a mapping"},

    // http
    {"PortZero", "http:\n  port: 0\n", 2, 9, "http.port", "between 1 and 65535 (got 0)"},
    {"PortTooHigh", "http:\n  port: 70000\n", 2, 9, "http.port", "between 1 and 65535"},
    {"AddressEmpty", "http:\n  address: ''\n", 2, 12, "http.address", "must not be empty"},
    {"PublicUrlScheme", "http:\n  public_url: example.org\n", 2, 15, "http.public_url",
     "http:// or https://"},
    // TLS: both files or neither; a field that is missing is placed at "http:", an empty
    // one at its value.
    {"TlsCertificateWithoutKey", "http:\n  tls_certificate: server.pem\n", 1, 1, "http.tls_key",
     "is required with http.tls_certificate"},
    {"TlsKeyWithoutCertificate", "http:\n  port: 8443\n  tls_key: server.key\n", 1, 1,
     "http.tls_certificate", "is required with http.tls_key"},
    {"TlsKeyEmpty", "http:\n  tls_certificate: server.pem\n  tls_key: ''\n", 3, 12, "http.tls_key",
     "is required with http.tls_certificate"},
    // Rejected as a string: not reported again as missing.
    {"TlsKeyNotAString", "http:\n  tls_certificate: server.pem\n  tls_key: [server.key]\n", 3, 3,
     "http.tls_key", "expected a string, got a list"},
    {"TlsKeyTypo", "http:\n  tls_kye: server.key\n", 2, 3, "http.tls_kye",
     "did you mean \"tls_key\""},
    {"HttpUnknownKeyListsChoices", "http:\n  certificate: server.pem\n", 2, 3, "http.certificate",
     "expected one of: enabled, address, port, public_url, tls_certificate, tls_key"},

    // media
    {"WidthOdd", "media:\n  width: 1281\n", 2, 10, "media.width",
     "even number between 16 and 7680"},
    {"WidthTooSmall", "media:\n  width: 8\n", 2, 10, "media.width", "(got 8)"},
    {"HeightTooLarge", "media:\n  height: 7682\n", 2, 11, "media.height", "(got 7682)"},
    {"FpsZero", "media:\n  fps: 0\n", 2, 8, "media.fps", "between 1 and 120"},
    {"FpsTooHigh", "media:\n  fps: 121\n", 2, 8, "media.fps", "between 1 and 120"},
    {"VideoBitrateZero", "media:\n  video_bitrate_kbps: 0\n", 2, 23, "media.video_bitrate_kbps",
     "greater than 0"},
    {"AudioBitrateNegative", "media:\n  audio_bitrate_kbps: -5\n", 2, 23,
     "media.audio_bitrate_kbps", "greater than 0 (got -5)"},
    {"KeyframeIntervalZero", "media:\n  keyframe_interval_s: 0\n", 2, 24,
     "media.keyframe_interval_s", "greater than 0"},
    {"KeyframeIntervalNan", "media:\n  keyframe_interval_s: .nan\n", 2, 24,
     "media.keyframe_interval_s", "greater than 0"},
    {"AudioRate", "media:\n  audio_rate: 100\n", 2, 15, "media.audio_rate", "between 8000"},
    {"AudioChannels", "media:\n  audio_channels: 0\n", 2, 19, "media.audio_channels",
     "between 1 and 8"},
    {"MixerLatency", "media:\n  mixer_latency_ms: -1\n", 2, 21, "media.mixer_latency_ms",
     "between 0 and 10000"},
    {"EncoderEmpty", "media:\n  video_encoder: ''\n", 2, 18, "media.video_encoder",
     "must not be empty"},
    {"LogLevelName", "log_level: verbose\n", 1, 12, "log_level",
     "one of error, warning, info, debug"},

    // paths
    {"PathEmpty", "paths:\n  hls: ''\n", 2, 8, "paths.hls", "must not be empty"},

    // default_outputs
    {"SegmentZero", "default_outputs:\n  hls:\n    segment_s: 0\n", 3, 16,
     "default_outputs.hls.segment_s", "greater than 0"},
    {"PlaylistLengthZero", "default_outputs:\n  hls:\n    playlist_length: 0\n", 3, 22,
     "default_outputs.hls.playlist_length", "at least 1"},
    {"MaxFilesNotAbovePlaylist",
     "default_outputs:\n  hls:\n    playlist_length: 6\n    max_files: 6\n", 4, 16,
     "default_outputs.hls.max_files", "greater than playlist_length (6; got 6)"},
    {"RecordingFormat", "default_outputs:\n  recording:\n    format: avi\n", 3, 13,
     "default_outputs.recording.format", "\"mp4\" or \"mkv\""},
    {"FragmentZero", "default_outputs:\n  recording:\n    fragment_s: 0\n", 3, 17,
     "default_outputs.recording.fragment_s", "at most 60"},
    {"FragmentTooLong", "default_outputs:\n  recording:\n    fragment_s: 61\n", 3, 17,
     "default_outputs.recording.fragment_s", "(got 61)"},
    {"SplitNegative", "default_outputs:\n  recording:\n    split_s: -1\n", 3, 14,
     "default_outputs.recording.split_s", "0 (one file) or more"},
    {"RtmpUrlScheme", "default_outputs:\n  rtmp:\n    - url: http://x/live\n", 3, 12,
     "default_outputs.rtmp[0].url", "rtmp:// or rtmps://"},
    {"RtmpUrlMissing", "default_outputs:\n  rtmp:\n    - name: a\n", 3, 7,
     "default_outputs.rtmp[0].url", "is required"},
    {"RtmpNotAList", "default_outputs:\n  rtmp: rtmp://x/y\n", 2, 9, "default_outputs.rtmp",
     "expected a list"},
    {"BackoffInitialZero",
     "default_outputs:\n  rtmp:\n    - url: rtmp://x/y\n      backoff_initial_s: 0\n", 4, 26,
     "default_outputs.rtmp[0].backoff_initial_s", "greater than 0"},
    {"BackoffInitialAboveMax",
     "default_outputs:\n  rtmp:\n    - url: rtmp://x/y\n      backoff_initial_s: 40\n", 4, 26,
     "default_outputs.rtmp[0].backoff_initial_s", "must not exceed backoff_max_s (30; got 40)"},
    {"MaxRetries", "default_outputs:\n  rtmp:\n    - url: rtmp://x/y\n      max_retries: -2\n", 4,
     20, "default_outputs.rtmp[0].max_retries", "-1 (retry forever) or more"},
    {"QueueZero", "default_outputs:\n  rtmp:\n    - url: rtmp://x/y\n      queue_s: 0\n", 4, 16,
     "default_outputs.rtmp[0].queue_s", "greater than 0"},
    {"RtmpDuplicateName",
     "default_outputs:\n  rtmp:\n    - url: rtmp://x/a\n    - url: rtmp://x/b\n      name: rtmp0\n",
     5, 13, "default_outputs.rtmp[1].name", "duplicate RTMP output name \"rtmp0\""},
    {"RtmpNamedLikeTheRoomsOwnOutput",
     "default_outputs:\n  rtmp:\n    - url: rtmp://x/a\n      name: recording\n", 4, 13,
     "default_outputs.rtmp[0].name", "the name of the room's own output"},

    // rooms
    {"RoomNameMissing", "rooms:\n  - layout: grid\n", 2, 5, "rooms[0].name", "is required"},
    {"RoomNameCharacters", "rooms:\n  - name: my room\n", 2, 11, "rooms[0].name",
     "A-Z a-z 0-9 _ -"},
    {"RoomNameTooLong", "rooms:\n  - name: " + std::string(65, 'a') + "\n", 2, 11, "rooms[0].name",
     "1 to 64 characters"},
    {"RoomNameDuplicate", "rooms:\n  - name: a\n  - name: b\n  - name: a\n", 4, 11, "rooms[2].name",
     "duplicate room name \"a\" (also rooms[0])"},
    {"RoomWidthOdd", kRoom + "    width: 641\n    height: 360\n", 3, 12, "rooms[0].width",
     "even number"},
    {"RoomWidthWithoutHeight", kRoom + "    width: 640\n", 2, 5, "rooms[0].height", "set together"},
    {"RoomFps", kRoom + "    fps: 500\n", 3, 10, "rooms[0].fps", "between 1 and 120"},
    {"RoomLayoutEmpty", kRoom + "    layout: ''\n", 3, 13, "rooms[0].layout", "must not be empty"},
    {"DeepRtmpUrl",
     "rooms:\n  - name: a\n  - name: b\n    outputs:\n      rtmp:\n        - url: rtmp://ok/x\n"
     "        - url: srt://bad\n",
     7, 16, "rooms[1].outputs.rtmp[1].url", "rtmp:// or rtmps://"},
    {"RoomHlsOverrideBreaksMaxFiles",
     kRoom + "    outputs:\n      hls:\n        playlist_length: 20\n", 4, 7,
     "rooms[0].outputs.hls.max_files", "greater than playlist_length (20; got 12)"},
    {"RoomOutputsUnknownKey", kRoom + "    outputs:\n      dash: {}\n", 4, 7,
     "rooms[0].outputs.dash", "expected one of: hls, recording, rtmp"},

    // sources
    {"SourceWithoutUri", kRoomSources, 4, 9, "rooms[0].sources[0].uri", "is required"},
    {"SourceNameDuplicate",
     kRoomSources + "        uri: a.mp4\n      - name: s\n        uri: b.mp4\n", 6, 15,
     "rooms[0].sources[1].name", "duplicate source name \"s\" in room (also rooms[0].sources[0])"},
    {"JoinNegative", kRoomSources + "        uri: a.mp4\n        join_at_s: -1\n", 6, 20,
     "rooms[0].sources[0].join_at_s", "0 or more"},
    {"LeaveNotAfterJoin",
     kRoomSources + "        uri: a.mp4\n        join_at_s: 10\n        leave_at_s: 10\n", 7, 21,
     "rooms[0].sources[0].leave_at_s", "greater than join_at_s (10; got 10)"},
    {"RepeatNotAfterLeave",
     kRoomSources + "        uri: a.mp4\n        leave_at_s: 10\n        repeat_every_s: 10\n", 7,
     25, "rooms[0].sources[0].repeat_every_s", "greater than leave_at_s (10; got 10)"},
    {"RepeatWithoutLeave", kRoomSources + "        uri: a.mp4\n        repeat_every_s: 10\n", 6, 25,
     "rooms[0].sources[0].repeat_every_s", "needs leave_at_s"},
    {"UriIsAListNotAlsoMissing", kRoomSources + "        uri: [a.mp4]\n", 5, 9,
     "rooms[0].sources[0].uri", "expected a string, got a list"},
    {"LoopNotBool", kRoomSources + "        uri: a.mp4\n        loop: sometimes\n", 6, 15,
     "rooms[0].sources[0].loop", "expected true or false"},

    // limits
    {"LimitsTypo", "limits:\n  max_room: 3\n", 2, 3, "limits.max_room",
     "did you mean \"max_rooms\""},
    {"LimitsMaxRoomsZero", "limits:\n  max_rooms: 0\n", 2, 14, "limits.max_rooms",
     "between 1 and 10000 (got 0)"},
    {"LimitsMaxRoomsBelowConfigRooms",
     "limits:\n  max_rooms: 1\nrooms:\n  - name: a\n  - name: b\n", 2, 14, "limits.max_rooms",
     "below the 2 rooms of the config file"},
    {"LimitsParticipantsNegative", "limits:\n  max_participants_per_room: -1\n", 2, 30,
     "limits.max_participants_per_room", "between 0 and 1000"},
    {"LimitsWebSocketsZero", "limits:\n  max_websocket_connections: 0\n", 2, 30,
     "limits.max_websocket_connections", "between 1 and 100000"},
    {"LimitsJoinsNotANumber", "limits:\n  joins_per_minute_per_address: lots\n", 2, 33,
     "limits.joins_per_minute_per_address", "expected a whole number"},
    {"LimitsHeaderOverLibsoupsCap", "limits:\n  max_header_bytes: 100000\n", 2, 21,
     "limits.max_header_bytes", "between 1024 and 65536"},
    {"LimitsBodyTiny", "limits:\n  max_body_bytes: 10\n", 2, 19, "limits.max_body_bytes",
     "between 1024 and"},
    {"LimitsHeaderTimeoutZero", "limits:\n  header_timeout_s: 0\n", 2, 21,
     "limits.header_timeout_s", "greater than 0"},
    {"LimitsIdleTimeoutNan", "limits:\n  idle_timeout_s: .nan\n", 2, 19, "limits.idle_timeout_s",
     "greater than 0"},
    {"LimitsWsRateZero", "limits:\n  ws_messages_per_second: 0\n", 2, 27,
     "limits.ws_messages_per_second", "greater than 0"},
    {"LimitsWsBurstZero", "limits:\n  ws_message_burst: 0\n", 2, 21, "limits.ws_message_burst",
     "between 1 and 100000"},
    {"LimitsCorsOriginWithPath",
     "limits:\n  cors_allow_origins: [\"*\", \"https://studio.example/page\"]\n", 2, 29,
     "limits.cors_allow_origins[1]", "no path (got \"https://studio.example/page\")"},
    {"LimitsCorsNotAnOrigin", "limits:\n  cors_allow_origins: [studio.example]\n", 2, 24,
     "limits.cors_allow_origins[0]", "must be \"*\" or an origin"},
    {"LimitsCorsNotAList", "limits:\n  cors_allow_origins: \"*\"\n", 2, 23,
     "limits.cors_allow_origins", "expected a list"},
};

INSTANTIATE_TEST_SUITE_P(Cases, ConfigInvalid, testing::ValuesIn(kInvalidCases),
                         [](const testing::TestParamInfo<InvalidCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(ConfigErrors, AllIssuesReportedInFileOrder) {
  const std::string yaml =
      "http:\n"                      // 1
      "  port: abc\n"                // 2
      "media:\n"                     // 3
      "  fps: 0\n"                   // 4
      "  widht: 640\n"               // 5
      "rooms:\n"                     // 6
      "  - name: a\n"                // 7
      "    sources:\n"               // 8
      "      - name: s\n"            // 9
      "        leave_at_s: 5\n"      // 10
      "        join_at_s: 6\n"       // 11
      "  - name: b\n"                // 12
      "    outputs:\n"               // 13
      "      rtmp:\n"                // 14
      "        - url: rtmp://x/y\n"  // 15
      "        - url: nope\n"        // 16
      "  - name: a\n";               // 17
  std::vector<FileIssue> issues = issues_of(yaml);
  ASSERT_EQ(issues.size(), 7u) << dump(issues);
  const std::pair<int, std::string> expected[] = {
      {2, "http.port"},
      {4, "media.fps"},
      {5, "media.widht"},
      {9, "rooms[0].sources[0].uri"},
      {10, "rooms[0].sources[0].leave_at_s"},
      {16, "rooms[1].outputs.rtmp[1].url"},
      {17, "rooms[2].name"},
  };
  for (std::size_t i = 0; i < issues.size(); ++i) {
    EXPECT_EQ(issues[i].line, expected[i].first) << issues[i].to_string();
    EXPECT_EQ(issues[i].field, expected[i].second) << issues[i].to_string();
  }
}

TEST(ConfigErrors, WhatListsEveryIssueAsFileLineColumnFieldMessage) {
  try {
    parse_config("http:\n  port: 0\nmedia:\n  fps: 0\n", "conf/m.yaml");
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_EQ(std::string(e.what()),
              "conf/m.yaml:2:9: http.port: must be between 1 and 65535 (got 0)\n"
              "conf/m.yaml:4:8: media.fps: must be between 1 and 120 (got 0)");
  }
}

TEST(ConfigErrors, BadDefaultOutputsReportedOnceNotPerRoom) {
  std::vector<FileIssue> issues =
      issues_of("default_outputs:\n  hls:\n    segment_s: 0\nrooms:\n  - name: a\n  - name: b\n");
  ASSERT_EQ(issues.size(), 1u) << dump(issues);
  EXPECT_EQ(issues[0].field, "default_outputs.hls.segment_s");
}

TEST(ConfigErrors, MalformedYaml) {
  struct Case {
    const char* yaml;
    int line;
  };
  const Case cases[] = {
      {"rooms: [a, b\nhttp:\n  port: 1\n", 3},
      {"http:\n  port: 1\n   address: x\n", 3},
      {"http:\n  port: {1\n", 3},
  };
  for (const auto& c : cases) {
    std::vector<FileIssue> issues = issues_of(c.yaml);
    ASSERT_EQ(issues.size(), 1u) << dump(issues);
    EXPECT_EQ(issues[0].file, kFile);
    EXPECT_GT(issues[0].line, 0) << issues[0].to_string();
    EXPECT_LE(issues[0].line, c.line) << issues[0].to_string();
    EXPECT_EQ(issues[0].message.rfind("invalid YAML: ", 0), 0u) << issues[0].to_string();
  }
}

TEST(ConfigErrors, EmptyFile) {
  for (const char* yaml : {"", "\n\n", "# only a comment\n", "---\n"}) {
    std::vector<FileIssue> issues = issues_of(yaml);
    ASSERT_EQ(issues.size(), 1u) << dump(issues);
    EXPECT_EQ(issues[0].file, kFile);
    EXPECT_NE(issues[0].message.find("empty"), std::string::npos) << issues[0].to_string();
  }
}

TEST(ConfigErrors, SecondDocumentRejectedAlongWithOtherIssues) {
  std::vector<FileIssue> issues = issues_of("http: {port: 0}\n---\nmedia: {}\n");
  ASSERT_EQ(issues.size(), 2u) << dump(issues);
  EXPECT_EQ(issues[0].field, "http.port");
  EXPECT_EQ(issues[1].line, 3);
  EXPECT_NE(issues[1].message.find("one YAML document"), std::string::npos);
}

TEST(ConfigErrors, UnknownKeyDoesNotHideOtherIssuesInItsSection) {
  std::vector<FileIssue> issues = issues_of("http:\n  prot: 1\n  port: 0\n");
  ASSERT_EQ(issues.size(), 2u) << dump(issues);
  EXPECT_EQ(issues[0].field, "http.prot");
  EXPECT_EQ(issues[1].field, "http.port");
}

TEST(ConfigFile, MissingFile) {
  const std::string path = "/nonexistent-dir/mixcast.yaml";
  try {
    load_config_file(path);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].file, path);
    EXPECT_EQ(e.issues()[0].line, 0);
    EXPECT_EQ(e.issues()[0].message, "cannot read file: No such file or directory");
    EXPECT_EQ(std::string(e.what()), path + ": cannot read file: No such file or directory");
  }
}

TEST(ConfigFile, DirectoryIsNotAFile) {
  const std::string dir = testing::TempDir();
  try {
    load_config_file(dir);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].message.rfind("cannot read file: ", 0), 0u);
  }
}

TEST(ConfigFile, LoadsAndNamesTheFileInIssues) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(testing::TempDir()) / "mixcast_test_config";
  fs::create_directories(dir);
  const fs::path good = dir / "good.yaml";
  const fs::path bad = dir / "bad.yaml";
  std::ofstream(good) << "http:\n  port: 9090\n";
  std::ofstream(bad) << "\nhttp:\n  port: -1\n";

  Config c = load_config_file(good.string());
  EXPECT_EQ(c.file, good.string());
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.layouts_dir(), (dir / "layouts").string());

  try {
    load_config_file(bad.string());
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].file, bad.string());
    EXPECT_EQ(e.issues()[0].line, 3);
  }
  fs::remove_all(dir);
}

TEST(ConfigPaths, Resolution) {
  struct Case {
    std::string file;
    std::string layouts;
    std::string pipelines;
    std::string expect_layouts;
    std::string expect_pipelines;
  };
  const Case cases[] = {
      // Relative to the config file's directory.
      {"/etc/mixcast/mixcast.yaml", "layouts", "../pipelines", "/etc/mixcast/layouts",
       "/etc/pipelines"},
      {"conf/mixcast.yaml", "layouts", "../pipelines", "conf/layouts", "pipelines"},
      {"conf/mixcast.yaml", "./l/./x", "p", "conf/l/x", "conf/p"},
      // A bare file name or no file at all: relative to the working directory.
      {"mixcast.yaml", "layouts", "../pipelines", "layouts", "../pipelines"},
      {"", "layouts", "../pipelines", "layouts", "../pipelines"},
      // Absolute paths are kept.
      {"/etc/mixcast/mixcast.yaml", "/opt/layouts", "/opt/pipelines", "/opt/layouts",
       "/opt/pipelines"},
      {"", "/opt/layouts", "/opt/pipelines", "/opt/layouts", "/opt/pipelines"},
  };
  for (const auto& c : cases) {
    Config config;
    config.file = c.file;
    config.paths.layouts = c.layouts;
    config.paths.pipelines = c.pipelines;
    EXPECT_EQ(config.layouts_dir(), c.expect_layouts) << c.file << " + " << c.layouts;
    EXPECT_EQ(config.pipelines_dir(), c.expect_pipelines) << c.file << " + " << c.pipelines;
  }
}

TEST(ConfigPaths, TlsFilesAreResolvedAgainstTheConfigFile) {
  struct Case {
    std::string file;
    std::string certificate;
    std::string key;
    std::string expect_certificate;
    std::string expect_key;
  };
  const Case cases[] = {
      {"/etc/mixcast/mixcast.yaml", "tls/server.pem", "./tls/server.key",
       "/etc/mixcast/tls/server.pem", "/etc/mixcast/tls/server.key"},
      {"conf/mixcast.yaml", "../certs/server.pem", "server.key", "certs/server.pem",
       "conf/server.key"},
      // A bare file name: relative to the working directory, like layouts.
      {"mixcast.yaml", "server.pem", "server.key", "server.pem", "server.key"},
      // Absolute paths are kept.
      {"/etc/mixcast/mixcast.yaml", "/etc/letsencrypt/live/x/fullchain.pem",
       "/etc/letsencrypt/live/x/privkey.pem", "/etc/letsencrypt/live/x/fullchain.pem",
       "/etc/letsencrypt/live/x/privkey.pem"},
  };
  for (const auto& c : cases) {
    const Config config = parse_config(
        "http:\n  tls_certificate: " + c.certificate + "\n  tls_key: " + c.key + "\n", c.file);
    EXPECT_TRUE(config.http.tls());
    EXPECT_EQ(config.http.tls_certificate, c.expect_certificate)
        << c.file << " + " << c.certificate;
    EXPECT_EQ(config.http.tls_key, c.expect_key) << c.file << " + " << c.key;
    EXPECT_EQ(config.positions.at("http.tls_key").line, 3);
  }
  const Config plain = parse_config("http: {port: 8443}\n", "/etc/mixcast/mixcast.yaml");
  EXPECT_FALSE(plain.http.tls());
  EXPECT_EQ(plain.http.tls_certificate, "");
  EXPECT_EQ(plain.http.tls_key, "");
}

TEST(ConfigPaths, HlsAndRecordingsAreKeptAsGiven) {
  Config c = parse_config("paths: {hls: out/hls, recordings: /srv/rec}\n", "/etc/m/mixcast.yaml");
  EXPECT_EQ(c.paths.hls, "out/hls");
  EXPECT_EQ(c.paths.recordings, "/srv/rec");
}

TEST(ConfigValidate, DefaultConfigIsValid) {
  IssueList issues;
  validate(Config{}, issues);
  EXPECT_TRUE(issues.empty()) << dump(issues.issues());
}

TEST(ConfigValidate, CodeBuiltConfigUsesLineMembers) {
  Config config;
  RoomConfig room;
  room.name = "bad name";
  room.line = 7;
  SourceConfig source;
  source.name = "s";
  source.line = 9;  // no uri
  room.sources.push_back(source);
  config.rooms.push_back(room);
  config.http.port = 0;

  IssueList issues;
  validate(config, issues);
  ASSERT_EQ(issues.issues().size(), 3u) << dump(issues.issues());
  EXPECT_EQ(issues.issues()[0].field, "http.port");
  EXPECT_EQ(issues.issues()[0].line, 0);
  EXPECT_EQ(issues.issues()[1].field, "rooms[0].name");
  EXPECT_EQ(issues.issues()[1].line, 7);
  EXPECT_EQ(issues.issues()[2].field, "rooms[0].sources[0].uri");
  EXPECT_EQ(issues.issues()[2].line, 9);
}

TEST(ConfigValidate, ThrowIfAny) {
  Config config;
  config.media.fps = 0;
  IssueList issues;
  validate(config, issues);
  EXPECT_THROW(issues.throw_if_any(), FileError);
}

TEST(ConfigBuiltIn, ShippedConfigIsValid) {
  const std::string path = std::string(MIXCAST_SOURCE_ROOT) + "/config/mixcast.yaml";
  Config c;
  try {
    c = load_config_file(path);
  } catch (const FileError& e) {
    FAIL() << e.what();
  }
  EXPECT_EQ(c.log_level, LogLevel::Info);
  EXPECT_EQ(c.http.address, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.media.width, 1280);
  EXPECT_EQ(c.media.height, 720);
  EXPECT_EQ(c.media.fps, 30);
  EXPECT_EQ(c.media.video_encoder, "x264");
  EXPECT_EQ(c.media.audio_encoder, "aac");
  namespace fs = std::filesystem;
  EXPECT_EQ(c.layouts_dir(),
            (fs::path(MIXCAST_SOURCE_ROOT) / "config" / "layouts").lexically_normal().string());
  EXPECT_EQ(c.pipelines_dir(),
            (fs::path(MIXCAST_SOURCE_ROOT) / "pipelines").lexically_normal().string());

  ASSERT_EQ(c.rooms.size(), 1u);
  const RoomConfig& room = c.rooms[0];
  EXPECT_EQ(room.name, "demo");
  EXPECT_EQ(room.layout, "grid");
  EXPECT_TRUE(room.outputs.hls.enabled);
  EXPECT_TRUE(room.outputs.recording.enabled);
  EXPECT_TRUE(room.outputs.rtmp.empty());
  ASSERT_EQ(room.sources.size(), 4u);
  EXPECT_EQ(room.sources[0].name, "Alice");
  EXPECT_EQ(room.sources[3].uri, "test://sync");
  // Someone joins and leaves over time so that the layout visibly changes.
  bool scheduled = false;
  for (const auto& s : room.sources) scheduled = scheduled || s.leave_at_s > 0;
  EXPECT_TRUE(scheduled);
}

}  // namespace
}  // namespace mixcast
