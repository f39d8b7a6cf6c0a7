// The reload's diff (core/config_diff): which differences between the
// running config and the file read again apply live, and which need a
// restart. Table-driven over small YAML files.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config_diff.h"

namespace mixcast {
namespace {

// A config with rooms `a` and `b`; `a` has HLS, a recording and one RTMP push.
const char* kBase = R"(http: {port: 8080}
media: {fps: 30}
rooms:
  - name: a
    layout: grid
    outputs:
      hls: {enabled: true, segment_s: 2}
      recording: {enabled: true, format: mp4}
      rtmp:
        - {name: cdn, url: "rtmp://cdn.example/live/a"}
  - name: b
    layout: grid
    outputs:
      hls: {enabled: false}
      recording: {enabled: false}
      rtmp: []
)";

Config parse(const std::string& yaml) {
  return parse_config(yaml, "mixcast.yaml");
}

// kBase with `from` replaced by `to` (which must be there).
std::string edited(const std::string& from, const std::string& to) {
  std::string text = kBase;
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const RoomDiff* changed(const ConfigDiff& diff, const std::string& room) {
  for (const auto& r : diff.rooms_changed)
    if (r.name == room) return &r;
  return nullptr;
}

TEST(ConfigDiff, TheSameFileChangesNothing) {
  const ConfigDiff diff = diff_configs(parse(kBase), parse(kBase));
  EXPECT_TRUE(diff.empty());
  EXPECT_TRUE(diff.needs_restart.empty());
  EXPECT_EQ(diff.summary(), "no changes");
}

TEST(ConfigDiff, RoomsAddedAndRemoved) {
  const std::string next = edited("  - name: b\n", "  - name: c\n");
  const ConfigDiff diff = diff_configs(parse(kBase), parse(next));
  ASSERT_EQ(diff.rooms_added.size(), 1u);
  EXPECT_EQ(diff.rooms_added[0].name, "c");
  ASSERT_EQ(diff.rooms_removed.size(), 1u);
  EXPECT_EQ(diff.rooms_removed[0], "b");
  EXPECT_TRUE(diff.rooms_changed.empty());
  EXPECT_EQ(diff.summary(), "rooms added: c; rooms removed: b");
}

TEST(ConfigDiff, RtmpDestinationsAddedRemovedChanged) {
  struct Case {
    const char* what;
    std::string to;
    std::vector<std::string> added, removed, changed;
  };
  const std::string from = "        - {name: cdn, url: \"rtmp://cdn.example/live/a\"}\n";
  const std::vector<Case> cases = {
      {"one more",
       from + "        - {name: backup, url: \"rtmp://b.example/live/a\"}\n",
       {"backup"},
       {},
       {}},
      {"gone", "        []\n", {}, {"cdn"}, {}},
      {"new url",
       "        - {name: cdn, url: \"rtmp://cdn.example/live/other\"}\n",
       {},
       {},
       {"cdn"}},
      {"new queue",
       "        - {name: cdn, url: \"rtmp://cdn.example/live/a\", queue_s: 4}\n",
       {},
       {},
       {"cdn"}},
      {"renamed",
       "        - {name: cdn2, url: \"rtmp://cdn.example/live/a\"}\n",
       {"cdn2"},
       {"cdn"},
       {}},
  };
  for (const auto& c : cases) {
    std::string next = kBase;
    if (c.to == "        []\n")
      next = edited("      rtmp:\n" + from, "      rtmp: []\n");
    else
      next = edited(from, c.to);
    const ConfigDiff diff = diff_configs(parse(kBase), parse(next));
    const RoomDiff* a = changed(diff, "a");
    ASSERT_NE(a, nullptr) << c.what;
    std::vector<std::string> added, removed, changed_names;
    for (const auto& r : a->outputs.rtmp_added) added.push_back(r.name);
    for (const auto& r : a->outputs.rtmp_changed) changed_names.push_back(r.name);
    removed = a->outputs.rtmp_removed;
    EXPECT_EQ(added, c.added) << c.what;
    EXPECT_EQ(removed, c.removed) << c.what;
    EXPECT_EQ(changed_names, c.changed) << c.what;
    EXPECT_EQ(a->outputs.hls, OutputChange::Same) << c.what;
    EXPECT_EQ(a->outputs.recording, OutputChange::Same) << c.what;
    EXPECT_TRUE(diff.needs_restart.empty()) << c.what;
    EXPECT_EQ(changed(diff, "b"), nullptr) << c.what;
  }
}

TEST(ConfigDiff, HlsAndRecordingOnOffAndNewSettings) {
  struct Case {
    const char* what;
    std::string from, to;
    std::string room;
    OutputChange hls, recording;
  };
  const std::vector<Case> cases = {
      {"HLS off", "hls: {enabled: true, segment_s: 2}", "hls: {enabled: false, segment_s: 2}", "a",
       OutputChange::Stop, OutputChange::Same},
      {"HLS on", "hls: {enabled: false}", "hls: {enabled: true}", "b", OutputChange::Start,
       OutputChange::Same},
      {"HLS segment", "hls: {enabled: true, segment_s: 2}", "hls: {enabled: true, segment_s: 4}",
       "a", OutputChange::Restart, OutputChange::Same},
      {"recording off", "recording: {enabled: true, format: mp4}",
       "recording: {enabled: false, format: mp4}", "a", OutputChange::Same, OutputChange::Stop},
      {"recording format", "recording: {enabled: true, format: mp4}",
       "recording: {enabled: true, format: mkv}", "a", OutputChange::Same, OutputChange::Restart},
      // Off before and after: the settings are kept for its next start.
      {"settings of an output that is off", "recording: {enabled: false}",
       "recording: {enabled: false, format: mkv}", "b", OutputChange::Same, OutputChange::Same},
  };
  for (const auto& c : cases) {
    const ConfigDiff diff = diff_configs(parse(kBase), parse(edited(c.from, c.to)));
    const RoomDiff* room = changed(diff, c.room);
    ASSERT_NE(room, nullptr) << c.what;
    EXPECT_TRUE(room->outputs_settings_changed) << c.what;
    EXPECT_EQ(room->outputs.hls, c.hls) << c.what;
    EXPECT_EQ(room->outputs.recording, c.recording) << c.what;
    EXPECT_TRUE(room->outputs.rtmp_added.empty() && room->outputs.rtmp_removed.empty() &&
                room->outputs.rtmp_changed.empty())
        << c.what;
    EXPECT_FALSE(room->layout_changed) << c.what;
    EXPECT_EQ(room->next.outputs.recording.format,
              parse(edited(c.from, c.to)).rooms[c.room == "a" ? 0 : 1].outputs.recording.format)
        << c.what;
  }
}

TEST(ConfigDiff, LayoutAndLimitsApplyLive) {
  const ConfigDiff diff = diff_configs(
      parse(kBase), parse(edited("  - name: b\n    layout: grid\n",
                                 "  - name: b\n    layout: speaker\n    max_viewers: 3\n")));
  const RoomDiff* b = changed(diff, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->layout_changed);
  EXPECT_TRUE(b->limits_changed);
  EXPECT_FALSE(b->outputs_settings_changed);
  EXPECT_TRUE(b->outputs.empty());
  EXPECT_EQ(b->next.layout, "speaker");
  EXPECT_EQ(b->next.max_viewers, 3);
  EXPECT_TRUE(diff.needs_restart.empty());
  EXPECT_EQ(diff.summary(), "rooms changed: b (layout speaker, limits)");
}

TEST(ConfigDiff, WhatCannotApplyLiveIsNamedAndKept) {
  struct Case {
    std::string from, to;
    std::vector<std::string> fields;
  };
  const std::vector<Case> cases = {
      {"http: {port: 8080}", "http: {port: 8081}", {"http.port"}},
      {"http: {port: 8080}",
       "http: {port: 8080, address: 0.0.0.0}\nauth: none",
       {"http.address", "auth"}},
      {"http: {port: 8080}",
       "http: {port: 8080}\nauth: {api_keys: [\"0123456789abcdef0123\"]}",
       {"auth.api_keys"}},
      {"media: {fps: 30}", "media: {fps: 25, width: 640}", {"media.width", "media.fps"}},
      {"http: {port: 8080}",
       "http: {port: 8080}\npaths: {recordings: /elsewhere}",
       {"paths.recordings"}},
      {"http: {port: 8080}",
       "http: {port: 8080}\nwebhooks: {targets: [{url: \"http://127.0.0.1:9/hook\", secret: "
       "\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"}]}",
       {"webhooks"}},
      {"  - name: a\n    layout: grid\n",
       "  - name: a\n    layout: grid\n    width: 640\n    height: 360\n",
       {"rooms[0].width", "rooms[0].height"}},
      {"  - name: a\n    layout: grid\n",
       "  - name: a\n    layout: grid\n    sources: [{name: Cam, uri: \"test://color\"}]\n",
       {"rooms[0].sources"}},
  };
  for (const auto& c : cases) {
    const Config running = parse(kBase);
    const Config next = parse(edited(c.from, c.to));
    const ConfigDiff diff = diff_configs(running, next);
    EXPECT_EQ(diff.needs_restart, c.fields) << c.to;
    EXPECT_TRUE(diff.empty()) << c.to << ": " << diff.summary();
    // What runs afterwards keeps the old values, so the next reload names
    // them again.
    const Config after = config_after_reload(running, next);
    EXPECT_EQ(diff_configs(after, next).needs_restart, c.fields) << c.to;
    EXPECT_TRUE(diff_configs(running, after).needs_restart.empty()) << c.to;
    EXPECT_TRUE(diff_configs(running, after).empty()) << c.to;
  }
}

TEST(ConfigDiff, AfterReloadTheLiveChangesAreTaken) {
  const Config running = parse(kBase);
  const Config next = parse(edited("hls: {enabled: false}", "hls: {enabled: true}") +
                            "  - name: c\n    layout: grid\n");
  const Config after = config_after_reload(running, next);
  ASSERT_EQ(after.rooms.size(), 3u);
  EXPECT_TRUE(after.rooms[1].outputs.hls.enabled);
  EXPECT_EQ(after.rooms[2].name, "c");
  EXPECT_TRUE(diff_configs(after, next).empty());
}

TEST(ConfigDiff, WebrtcAndDefaultOutputsApplyToWhatStartsLater) {
  const ConfigDiff diff = diff_configs(
      parse(kBase), parse(std::string(kBase) + "webrtc: {idle_room_close_s: 5}\n"
                                               "default_outputs: {recording: {enabled: false}}\n"
                                               "drain_retry_after_s: 30\n"));
  EXPECT_TRUE(diff.webrtc_changed);
  EXPECT_TRUE(diff.default_outputs_changed);
  EXPECT_TRUE(diff.drain_retry_after_changed);
  EXPECT_FALSE(diff.empty());
  // Rooms that set their own outputs are not affected by default_outputs.
  EXPECT_TRUE(diff.rooms_changed.empty());
  EXPECT_TRUE(diff.needs_restart.empty());
}

}  // namespace
}  // namespace mixcast
