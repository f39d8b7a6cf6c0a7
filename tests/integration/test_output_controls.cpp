// The operator changes a live room's outputs (Room's "Operator controls of
// outputs"): an RTMP destination added and removed on a real RTMP server
// (nginx with its RTMP module, started here), the recording split, stopped
// and started, HLS stopped and started, and the errors an operator gets.
// The room runs in this process (tests/pipeline/room_harness); what comes
// out is checked with ffprobe and ffmpeg as a viewer or an editor would.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <optional>
#include <set>
#include <sstream>

#include "core/hls_playlist.h"
#include "core/recording_files.h"
#include "integration_support.h"
#include "media/recording_probe.h"
#include "room_harness.h"

namespace mixcast::testing {
namespace {

const Guest kGuests[] = {{"Red", {255, 0, 0}, 440}, {"Green", {0, 255, 0}, 660}};

class Events final : public Room::Listener {
 public:
  void on_room_event(const std::string&, const RoomEvent& event) override {
    events.push_back(event);
  }
  std::vector<RoomEvent> of(RoomEventKind kind, const std::string& name = "") const {
    std::vector<RoomEvent> out;
    for (const auto& e : events)
      if (e.kind == kind && (name.empty() || e.name == name)) out.push_back(e);
    return out;
  }
  bool saw_state(const std::string& output, OutputState state) const {
    for (const auto& e : of(RoomEventKind::OutputState, output))
      if (e.output.state == state) return true;
    return false;
  }
  std::vector<RoomEvent> events;
};

// ffmpeg decodes every frame of `file` without a complaint.
struct Decode {
  bool ok = false;
  std::string errors;
};
Decode decode_fully(const std::string& file) {
  int code = -1;
  const std::string errors = run_command(
      "timeout 120 ffmpeg -nostdin -v error -i " + shell_quote(file) + " -f null - 2>&1", &code);
  return {code == 0 && errors.empty(), errors};
}

// "1" when the first video frame of `file` is a keyframe.
std::string first_frame_key(const std::string& file) {
  std::string out = run_command(
      "timeout 30 ffprobe -v error -select_streams v:0 -read_intervals %+#1 "
      "-show_entries frame=key_frame -of csv=p=0 " +
      shell_quote(file) + " 2>/dev/null");
  while (!out.empty() && (out.back() == '\n' || out.back() == ',')) out.pop_back();
  return out.substr(0, out.find('\n'));
}

// The stream types an RTMP player gets from `url` within a few seconds
// (fails fast when nobody publishes: nginx keeps a player waiting).
std::vector<StreamInfo> play_rtmp(const std::string& url) {
  int code = -1;
  const std::string out = run_command(
      "timeout 20 ffprobe -v error -rw_timeout 4000000 "
      "-show_entries stream=codec_type,codec_name,width,height -of csv=p=0 " +
          shell_quote(url) + " 2>/dev/null",
      &code);
  std::vector<StreamInfo> streams;
  if (code != 0) return streams;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    // codec_name,codec_type[,width,height]
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
    if (f.size() < 2) continue;
    StreamInfo s;
    s.codec_name = f[0];
    s.codec_type = f[1];
    if (f.size() >= 4) {
      s.width = std::atoi(f[2].c_str());
      s.height = std::atoi(f[3].c_str());
    }
    streams.push_back(s);
  }
  return streams;
}

class OutputControls : public ::testing::Test {
 protected:
  void start(bool hls, bool recording, const std::string& format = "mp4") {
    h.setup().room.outputs.hls.enabled = hls;
    h.setup().room.outputs.hls.segment_s = 2;
    h.setup().room.outputs.recording.enabled = recording;
    h.setup().room.outputs.recording.format = format;
    h.setup().hls_dir = hls_dir();
    h.setup().recordings_dir = recordings_dir();
    h.set_listener(&events);
    h.start();
    started_ = true;
    for (const auto& g : kGuests) h.join(g.name, uri_for(g));
    ASSERT_TRUE(h.run_until(
        [&] {
          if (recording && first_file_at_ < 0 && output("recording") &&
              !output("recording")->file.empty())
            first_file_at_ = now_s();
          return h.frames_seen() > 30;
        },
        20))
        << "the room mixes";
  }
  static double now_s() { return g_get_monotonic_time() / 1e6; }

  void TearDown() override {
    if (started_ && !stopped_) stop_room();
  }
  void stop_room() {
    stopped_ = true;
    bool stopped = false;
    h.room().stop([&] { stopped = true; });
    EXPECT_TRUE(h.run_until([&] { return stopped; }, 20)) << "the room stops";
  }

  std::optional<OutputStatus> output(const std::string& name) {
    for (const auto& o : h.room().status().outputs)
      if (o.name == name) return o;
    return std::nullopt;
  }
  bool is_live(const std::string& name) {
    const auto o = output(name);
    return o && o->state == OutputState::Live;
  }

  // Runs `fn` on a thread of its own while the main loop turns (ffprobe and
  // ffmpeg take seconds; the room's loop must not wait for them).
  template <typename Fn>
  auto off_loop(Fn fn, double timeout_s = 130) {
    auto result = std::async(std::launch::async, fn);
    h.run_until(
        [&] { return result.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
        timeout_s);
    return result.get();
  }

  std::string hls_dir() const { return dir.file("hls"); }
  std::string recordings_dir() const { return dir.file("recordings"); }
  std::string playlist_text() const { return read_file(hls_dir() + "/index.m3u8"); }
  int hls_last_segment() const { return parse_playlist(playlist_text()).last_number(); }

  TempDir dir{"output-controls"};
  Events events;
  RoomHarness h{"grid"};
  bool started_ = false;
  bool stopped_ = false;
  double first_file_at_ = -1;  // when the status first named a recording file
};

// 1. An RTMP destination added to a live room goes live on nginx (ffprobe
// plays video and audio from it) with its bytes and uptime growing; removed,
// its stream ends on nginx and it leaves the status, while HLS goes on.
TEST_F(OutputControls, RtmpAddedToALiveRoomGoesLiveAndEndsWhenRemoved) {
  ASSERT_TRUE(RtmpServer::available()) << "nginx and libnginx-mod-rtmp are needed";
  RtmpServer nginx(dir.file("nginx"), free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  start(true, false);
  ASSERT_TRUE(h.run_until([&] { return hls_last_segment() >= 1; }, 30)) << playlist_text();
  const int hls_before = hls_last_segment();
  // HLS must stay live through everything below.
  std::string hls_states;
  auto watch_hls = [&] {
    const auto o = output("hls");
    if (!o || o->state != OutputState::Live) hls_states += (o ? to_string(o->state) : "gone") + " ";
  };

  RtmpConfig cdn;
  cdn.name = "cdn";
  cdn.url = nginx.url("show");
  ASSERT_EQ(h.room().add_rtmp_output(cdn), std::nullopt);
  ASSERT_TRUE(output("cdn")) << "listed at once";
  EXPECT_EQ(output("cdn")->kind, "rtmp");
  EXPECT_TRUE(events.saw_state("cdn", OutputState::Starting)) << "announced as connecting";

  ASSERT_TRUE(h.run_until(
      [&] {
        watch_hls();
        const auto o = output("cdn");
        return o && o->state == OutputState::Live && o->bytes > 0;
      },
      30))
      << to_string(output("cdn")->state) << " " << output("cdn")->last_error << "\n"
      << nginx.log();
  const auto streams = off_loop([url = nginx.url("show")] { return play_rtmp(url); });
  const StreamInfo* video = find_stream(streams, "video");
  const StreamInfo* audio = find_stream(streams, "audio");
  ASSERT_NE(video, nullptr) << "no video on nginx\n" << nginx.log();
  ASSERT_NE(audio, nullptr) << "no audio on nginx";
  EXPECT_EQ(video->codec_name, "h264");
  EXPECT_EQ(video->width, 640);
  EXPECT_EQ(video->height, 360);
  EXPECT_EQ(audio->codec_name, "aac");

  const OutputStatus live = *output("cdn");
  EXPECT_GT(live.uptime_s, 0);
  EXPECT_TRUE(h.run_until(
      [&] {
        watch_hls();
        const auto o = output("cdn");
        return o && o->bytes > live.bytes && o->uptime_s > live.uptime_s + 1;
      },
      10))
      << "bytes and uptime grow";
  EXPECT_TRUE(events.saw_state("cdn", OutputState::Live));

  bool removed = false;
  ASSERT_EQ(h.room().remove_output("cdn", [&] { removed = true; }), std::nullopt);
  EXPECT_FALSE(output("cdn")) << "gone from the status at once";
  ASSERT_TRUE(h.run_until(
      [&] {
        watch_hls();
        return removed;
      },
      15));
  EXPECT_TRUE(events.saw_state("cdn", OutputState::Stopped));
  EXPECT_FALSE(output("cdn"));

  // nginx has no publisher for the key any more: a player gets nothing.
  const auto after = off_loop([url = nginx.url("show")] { return play_rtmp(url); });
  EXPECT_EQ(find_stream(after, "video"), nullptr) << "the stream still plays on nginx";
  // nginx recorded the one publish, and it holds the media that was pushed.
  const auto flvs = nginx.recorded_files();
  ASSERT_EQ(flvs.size(), 1u) << nginx.log();
  EXPECT_GT(off_loop([f = flvs[0]] { return probe_duration(f); }), 1.5) << flvs[0];

  // HLS went on meanwhile.
  EXPECT_TRUE(h.run_until([&] { return hls_last_segment() > hls_before + 1; }, 10))
      << playlist_text();
  watch_hls();
  EXPECT_EQ(hls_states, "") << "HLS was not live throughout";
}

// 2. A split finalizes the current file and continues in a new one: both
// decode completely, the second starts with a keyframe, the two together
// hold the programme without a hole, and the finished event describes the
// first file.
TEST_F(OutputControls, SplitRecordingGivesTwoCompleteFiles) {
  start(false, true, "mp4");
  ASSERT_TRUE(h.run_until(
      [&] {
        const auto o = output("recording");
        return o && o->state == OutputState::Live && o->uptime_s >= 3;
      },
      30));
  const std::string first = output("recording")->file;
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(output("recording")->target, first);
  EXPECT_FALSE(recording_finished(first)) << "being written";

  ASSERT_EQ(h.room().split_recording(), std::nullopt);
  ASSERT_TRUE(h.run_until([&] { return !events.of(RoomEventKind::RecordingFinished).empty(); }, 10))
      << "no recording_finished after the split";
  const RoomEvent finished = events.of(RoomEventKind::RecordingFinished)[0];
  EXPECT_EQ(finished.name, "recording");
  EXPECT_EQ(finished.path, first);
  EXPECT_GT(finished.duration_s, 2.5);
  EXPECT_EQ(finished.size_bytes, std::filesystem::file_size(first));
  EXPECT_TRUE(recording_finished(first));
  ASSERT_TRUE(h.run_until(
      [&] {
        const auto o = output("recording");
        return o && !o->file.empty() && o->file != first;
      },
      5));
  const std::string second = output("recording")->file;
  EXPECT_TRUE(is_live("recording")) << "the split is no restart";
  EXPECT_TRUE(h.run_until([&] { return output("recording")->uptime_s >= 3; }, 15))
      << "the uptime counts the current file";

  bool stopped = false;
  const double recorded_s = now_s() - first_file_at_;
  ASSERT_GT(first_file_at_, 0);
  ASSERT_EQ(h.room().stop_recording([&] { stopped = true; }), std::nullopt);
  ASSERT_TRUE(h.run_until([&] { return stopped; }, 15));
  EXPECT_FALSE(output("recording"));
  const auto finished_files = events.of(RoomEventKind::RecordingFinished);
  ASSERT_EQ(finished_files.size(), 2u);
  EXPECT_EQ(finished_files[1].path, second);

  const auto files = list_recordings(recordings_dir());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, first) << "names sort by start";
  EXPECT_EQ(files[1].path, second);
  std::vector<double> durations;
  std::vector<std::vector<double>> times;
  for (const auto& f : files) {
    EXPECT_TRUE(f.finished) << f.name;
    const Decode decode = off_loop([p = f.path] { return decode_fully(p); });
    EXPECT_TRUE(decode.ok) << f.name << ": " << decode.errors;
    bool decoded = false;
    times.push_back(off_loop([p = f.path, &decoded] { return video_frame_times(p, &decoded); }));
    EXPECT_TRUE(decoded) << f.name;
    durations.push_back(off_loop([p = f.path] { return probe_duration(p); }));
    EXPECT_GT(durations.back(), 1.0) << f.name;
    EXPECT_LE(largest_gap(times.back()), 0.2) << f.name;
  }
  EXPECT_EQ(off_loop([p = second] { return first_frame_key(p); }), "1")
      << "the second file starts with a keyframe";
  // The listing with durations (read from the files' fragments) agrees with
  // ffprobe's.
  const auto listed = off_loop([d = recordings_dir()] { return list_recordings_with_duration(d); });
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_NEAR(listed[0].duration_s, durations[0], 0.2);
  EXPECT_NEAR(listed[1].duration_s, durations[1], 0.2);
  ASSERT_FALSE(times[0].empty());
  ASSERT_FALSE(times[1].empty());
  // Each file starts at 0 (splitmuxsink), so the cut shows in the lengths:
  // each file holds exactly the span the room reported for it, and the two
  // spans cover the whole time the room recorded (a lost GOP at the cut
  // would be missing here). The slack is what was still in the encoder when
  // the stop came, and the status's view of the first file's opening.
  const double span0 = times[0].back() - times[0].front() + 1.0 / 30;
  const double span1 = times[1].back() - times[1].front() + 1.0 / 30;
  std::printf(
      "first file %.3f s (%zu frames, event %.3f s), second %.3f s (%zu frames, "
      "event %.3f s), recorded for %.3f s\n",
      span0, times[0].size(), finished_files[0].duration_s, span1, times[1].size(),
      finished_files[1].duration_s, recorded_s);
  EXPECT_NEAR(finished_files[0].duration_s, span0, 0.1) << "the event's duration";
  EXPECT_NEAR(finished_files[1].duration_s, span1, 0.1) << "the event's duration";
  EXPECT_NEAR(durations[0], span0, 0.2);
  EXPECT_GE(span0 + span1, recorded_s - 1.0) << "media missing at the cut";
  EXPECT_LE(span0 + span1, recorded_s + 1.0);
}

// 3. A timed split (recording.split_s) is the same mechanism: every file is
// announced finished, named anew and complete.
TEST_F(OutputControls, TimedSplitFilesAreEachFinishedAndNamedAnew) {
  h.setup().room.outputs.recording.split_s = 2;
  start(false, true, "mkv");
  ASSERT_TRUE(
      h.run_until([&] { return events.of(RoomEventKind::RecordingFinished).size() >= 2; }, 30))
      << "two timed splits";
  const auto finished = events.of(RoomEventKind::RecordingFinished);
  std::set<std::string> paths;
  for (const auto& e : finished) {
    paths.insert(e.path);
    EXPECT_TRUE(recording_finished(e.path)) << e.path;
    EXPECT_NEAR(e.duration_s, 2.0, 0.6) << e.path;
    EXPECT_EQ(e.size_bytes, std::filesystem::file_size(e.path)) << e.path;
    const Decode decode = off_loop([p = e.path] { return decode_fully(p); });
    EXPECT_TRUE(decode.ok) << e.path << ": " << decode.errors;
    EXPECT_EQ(off_loop([p = e.path] { return first_frame_key(p); }), "1") << e.path;
  }
  EXPECT_EQ(paths.size(), finished.size()) << "a file name used twice";
  EXPECT_FALSE(paths.count(output("recording")->file)) << "the current file is another one";
}

// 4. Recording and HLS off and on again: the recording's file is finalized
// and a new one is started; the playlist ends with ENDLIST and then goes on
// live where it left off.
TEST_F(OutputControls, StopAndStartRecordingAndHls) {
  start(true, true, "mkv");
  ASSERT_TRUE(h.run_until(
      [&] { return is_live("recording") && is_live("hls") && hls_last_segment() >= 1; }, 30))
      << playlist_text();
  const std::string first = output("recording")->file;
  ASSERT_FALSE(first.empty());
  EXPECT_FALSE(recording_finished(first)) << "being written";

  bool stopped = false;
  ASSERT_EQ(h.room().stop_recording([&] { stopped = true; }), std::nullopt);
  EXPECT_FALSE(output("recording"));
  ASSERT_TRUE(h.run_until([&] { return stopped; }, 15));
  ASSERT_EQ(events.of(RoomEventKind::RecordingFinished).size(), 1u);
  EXPECT_EQ(events.of(RoomEventKind::RecordingFinished)[0].path, first);
  EXPECT_TRUE(recording_finished(first));
  const Decode decode = off_loop([first] { return decode_fully(first); });
  EXPECT_TRUE(decode.ok) << decode.errors;

  ASSERT_EQ(h.room().start_recording(), std::nullopt);
  ASSERT_TRUE(h.run_until(
      [&] {
        const auto o = output("recording");
        return o && o->state == OutputState::Live && !o->file.empty();
      },
      20));
  const std::string second = output("recording")->file;
  EXPECT_NE(second, first) << "a new file";
  EXPECT_TRUE(std::filesystem::exists(first)) << "the first is kept";

  // HLS off: the playlist says the stream ended.
  const int last_before = hls_last_segment();
  bool hls_stopped = false;
  ASSERT_EQ(h.room().stop_hls([&] { hls_stopped = true; }), std::nullopt);
  EXPECT_FALSE(output("hls"));
  ASSERT_TRUE(h.run_until([&] { return hls_stopped; }, 15));
  const Playlist ended = parse_playlist(playlist_text());
  EXPECT_TRUE(ended.ended) << playlist_text();
  ASSERT_FALSE(ended.uris.empty());
  const auto old_continuation = continuation_after(playlist_text());
  ASSERT_TRUE(old_continuation);
  const std::set<std::string> old_uris(ended.uris.begin(), ended.uris.end());
  EXPECT_GE(ended.last_number(), last_before);

  // HLS on again: live again, continuing the media sequence past a discontinuity.
  ASSERT_EQ(h.room().start_hls(), std::nullopt);
  EXPECT_EQ(h.room().start_hls()->kind, ErrorKind::Conflict) << "already running";
  ASSERT_TRUE(h.run_until(
      [&] {
        const Playlist p = parse_playlist(playlist_text());
        return !p.ended && p.uris.size() >= 2;
      },
      30))
      << playlist_text();
  const std::string live_text = playlist_text();
  const Playlist live = parse_playlist(live_text);
  EXPECT_TRUE(is_live("hls"));
  EXPECT_NE(
      live_text.find("#EXT-X-MEDIA-SEQUENCE:" + std::to_string(old_continuation->media_sequence)),
      std::string::npos)
      << "the media sequence goes on after the last segment of the first run\n"
      << live_text;
  EXPECT_NE(live_text.find("#EXT-X-DISCONTINUITY-SEQUENCE:1"), std::string::npos) << live_text;
  for (const auto& uri : live.uris) {
    EXPECT_FALSE(old_uris.count(uri)) << uri << " reused";
    EXPECT_TRUE(std::filesystem::exists(hls_dir() + "/" + uri)) << uri;
  }
  // Segment numbers are media sequence numbers.
  EXPECT_EQ(live.last_number(),
            old_continuation->media_sequence + static_cast<int>(live.uris.size()) - 1)
      << live_text;
  const std::string segment = hls_dir() + "/" + live.uris.front();
  const Decode segment_decode = off_loop([segment] { return decode_fully(segment); });
  EXPECT_TRUE(segment_decode.ok) << segment << ": " << segment_decode.errors;

  // The room stops: the second recording is finalized and the playlist ends.
  stop_room();
  const auto finished = events.of(RoomEventKind::RecordingFinished);
  ASSERT_EQ(finished.size(), 2u);
  EXPECT_EQ(finished[1].path, second);
  EXPECT_TRUE(recording_finished(second));
  EXPECT_TRUE(parse_playlist(playlist_text()).ended) << playlist_text();
  const auto files = list_recordings(recordings_dir());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_TRUE(files[0].finished && files[1].finished);
}

// 5. What an operator gets wrong, and the answers.
TEST_F(OutputControls, ErrorsNameWhatIsWrong) {
  start(true, false);
  const std::string dead = "rtmp://127.0.0.1:" + std::to_string(free_tcp_port()) + "/live/";
  RtmpConfig cdn;
  cdn.name = "cdn";
  cdn.url = dead + "a";
  ASSERT_EQ(h.room().add_rtmp_output(cdn), std::nullopt);

  auto duplicate = h.room().add_rtmp_output(cdn);
  ASSERT_TRUE(duplicate);
  EXPECT_EQ(duplicate->kind, ErrorKind::Conflict);
  EXPECT_EQ(duplicate->status(), 409);

  RtmpConfig bad_url;
  bad_url.url = "http://127.0.0.1/live/a";
  auto bad = h.room().add_rtmp_output(bad_url);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->kind, ErrorKind::BadRequest);
  EXPECT_EQ(bad->field, "url");

  RtmpConfig reserved;
  reserved.name = "hls";
  reserved.url = dead + "b";
  auto hls_name = h.room().add_rtmp_output(reserved);
  ASSERT_TRUE(hls_name);
  EXPECT_EQ(hls_name->field, "name");

  RtmpConfig unnamed;
  unnamed.url = dead + "c";
  ASSERT_EQ(h.room().add_rtmp_output(unnamed), std::nullopt);
  ASSERT_EQ(h.room().add_rtmp_output(unnamed), std::nullopt);
  EXPECT_TRUE(output("rtmp0"));
  EXPECT_TRUE(output("rtmp1"));

  auto unknown = h.room().remove_output("nope", nullptr);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->kind, ErrorKind::NotFound);
  EXPECT_EQ(unknown->status(), 404);

  EXPECT_EQ(h.room().start_hls()->kind, ErrorKind::Conflict) << "HLS is running";
  EXPECT_EQ(h.room().stop_recording(nullptr)->kind, ErrorKind::Conflict) << "not recording";
  EXPECT_EQ(h.room().split_recording()->kind, ErrorKind::Conflict) << "not recording";

  // A removed output keeps its name until it has stopped.
  bool removed = false;
  ASSERT_EQ(h.room().remove_output("cdn", [&] { removed = true; }), std::nullopt);
  EXPECT_EQ(h.room().remove_output("cdn", nullptr)->kind, ErrorKind::NotFound);
  EXPECT_EQ(h.room().add_rtmp_output(cdn)->kind, ErrorKind::Conflict) << "still stopping";
  ASSERT_TRUE(h.run_until([&] { return removed; }, 10));
  EXPECT_EQ(h.room().add_rtmp_output(cdn), std::nullopt) << "free again";

  bool hls_stopped = false;
  ASSERT_EQ(h.room().stop_hls([&] { hls_stopped = true; }), std::nullopt);
  EXPECT_EQ(h.room().stop_hls(nullptr)->kind, ErrorKind::Conflict) << "already stopped";
  EXPECT_EQ(h.room().start_hls()->kind, ErrorKind::Conflict) << "still stopping";
  ASSERT_TRUE(h.run_until([&] { return hls_stopped; }, 10));
  EXPECT_EQ(h.room().stop_hls(nullptr)->kind, ErrorKind::Conflict) << "stopped";

  // A room that is stopping takes no more changes.
  bool stopped = false;
  stopped_ = true;
  h.room().stop([&] { stopped = true; });
  EXPECT_EQ(h.room().start_hls()->kind, ErrorKind::Unavailable);
  EXPECT_EQ(h.room().add_rtmp_output(unnamed)->kind, ErrorKind::Unavailable);
  EXPECT_TRUE(h.run_until([&] { return stopped; }, 20));
}

}  // namespace
}  // namespace mixcast::testing
