// RTMP push to a real RTMP server (nginx + libnginx-mod-rtmp, started by the
// test): what a viewer of the destination receives, and what happens when
// the destination goes away and comes back.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <set>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";

// `backoff_max_s`: the destination's backoff cap, or "" for the server's
// defaults (initial 1 s, cap 30 s).
std::string rtmp_outputs(const std::string& url, bool hls, bool recording,
                         const std::string& backoff_max_s = "1") {
  std::string yaml;
  yaml += hls ? "      hls: {enabled: true, segment_s: 2}\n" : "      hls: {enabled: false}\n";
  yaml += recording ? "      recording: {enabled: true, format: mp4}\n"
                    : "      recording: {enabled: false}\n";
  yaml +=
      "      rtmp:\n"
      "        - name: cdn\n"
      "          url: " +
      url + "\n";
  if (!backoff_max_s.empty())
    yaml += "          backoff_initial_s: 0.5\n          backoff_max_s: " + backoff_max_s + "\n";
  return yaml;
}

bool is_state(const ServerUnderTest& server, const std::string& output, const std::string& state) {
  const auto info = output_info(server, kRoom, output);
  return info && info->state == state;
}

bool exited_cleanly(int status) {
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int hls_last_segment(const ServerUnderTest& server) {
  const HttpResponse response = server.get(std::string("/hls/") + kRoom + "/index.m3u8");
  return response.status == 200 ? parse_playlist(response.body).last_number() : -1;
}

class RtmpPush : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RtmpServer::available())
        << "nginx and libnginx-mod-rtmp (/usr/lib/nginx/modules/ngx_rtmp_module.so) are needed";
  }
};

// 1. The destination gets H.264 + AAC at the room's canvas size and rate, and
// the API says the push is live and counts its bytes.
TEST_F(RtmpPush, DestinationReceivesH264AndAacAtTheCanvasFormat) {
  ServerUnderTest server("rtmp-push");
  RtmpServer nginx(server.dir().file("nginx"), free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(server.start(small_room_config(kRoom, rtmp_outputs(nginx.url("show"), false, false))))
      << server.log();

  EXPECT_TRUE(wait_until([&] { return is_state(server, "cdn", "live"); }, 20))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();
  sleep_s(std::max(0.0, 6 - seconds_since(started)));

  const auto streams = probe_streams(nginx.url("show"));
  const StreamInfo* video = find_stream(streams, "video");
  const StreamInfo* audio = find_stream(streams, "audio");
  ASSERT_NE(video, nullptr) << "no video on " << nginx.url("show") << "\n" << nginx.log();
  ASSERT_NE(audio, nullptr) << "no audio on " << nginx.url("show");
  EXPECT_EQ(video->codec_name, "h264");
  EXPECT_EQ(video->width, 640);
  EXPECT_EQ(video->height, 360);
  EXPECT_EQ(video->r_frame_rate, "30/1");
  EXPECT_EQ(audio->codec_name, "aac");

  const auto info = output_info(server, kRoom, "cdn");
  ASSERT_TRUE(info) << server.log();
  EXPECT_EQ(info->kind, "rtmp");
  EXPECT_EQ(info->state, "live") << describe(info);
  EXPECT_GT(info->bytes, 0) << describe(info);
  EXPECT_EQ(info->attempt, 0) << describe(info);
  // The stream key is a secret: the API shows the URL without it.
  EXPECT_EQ(info->target.find("show"), std::string::npos) << info->target;
}

// The room's programme and HLS while an RTMP destination is down: sampled
// once a second, every segment number the playlist ever listed and the
// longest time the encoder's frame count did not move.
class ProgrammeWatch {
 public:
  explicit ProgrammeWatch(const ServerUnderTest& server) : server_(server) {}

  void sample() {
    const int64_t frames = frames_encoded(server_, kRoom);
    const auto now = std::chrono::steady_clock::now();
    if (frames > last_frames_) {
      last_frames_ = frames;
      last_progress_ = now;
    }
    longest_stall_s_ = std::max(longest_stall_s_, seconds_since(last_progress_));
    const HttpResponse response = server_.get(std::string("/hls/") + kRoom + "/index.m3u8");
    if (response.status != 200) return;
    const Playlist playlist = parse_playlist(response.body);
    discontinuities_ += playlist.discontinuities;
    for (const auto& uri : playlist.uris) {
      const size_t digits = uri.find_first_of("0123456789");
      if (digits != std::string::npos) segments_.insert(std::atoi(uri.c_str() + digits));
    }
  }
  // Samples once a second for `seconds`.
  void watch_for(double seconds) {
    const auto start = std::chrono::steady_clock::now();
    while (seconds_since(start) < seconds) {
      sample();
      sleep_s(1);
    }
  }

  double longest_stall_s() const { return longest_stall_s_; }
  int64_t frames() const { return last_frames_; }
  const std::set<int>& segments() const { return segments_; }
  // Segment numbers missing between the first and the last one listed.
  int missing_segments() const {
    if (segments_.empty()) return 0;
    return *segments_.rbegin() - *segments_.begin() + 1 - int(segments_.size());
  }
  int discontinuities() const { return discontinuities_; }

 private:
  const ServerUnderTest& server_;
  int64_t last_frames_ = -1;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
  double longest_stall_s_ = 0;
  std::set<int> segments_;
  int discontinuities_ = 0;
};

// 2. The destination dies (SIGKILL) and stays away for longer than the
// backoff cap, then comes back on the same port: the push retries all along,
// is live again within the cap, and meanwhile the programme never stalls and
// HLS and the recording go on without a gap. bench/outages.sh runs this for
// 10 minutes with the server's default backoff (MIXCAST_RTMP_OUTAGE_S=600,
// MIXCAST_RTMP_BACKOFF_MAX_S=default).
TEST_F(RtmpPush, ReconnectsAfterTheDestinationDiesAndTheRoomCarriesOn) {
  const double outage_s = env_seconds("MIXCAST_RTMP_OUTAGE_S", 8);
  const char* cap_env = std::getenv("MIXCAST_RTMP_BACKOFF_MAX_S");
  const std::string cap_text = cap_env && std::string(cap_env) == "default" ? "" : "2";
  const double backoff_max_s = cap_text.empty() ? 30 : 2;

  ServerUnderTest server("rtmp-reconnect");
  RtmpServer nginx(server.dir().file("nginx"), free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      server.start(small_room_config(kRoom, rtmp_outputs(nginx.url("show"), true, true, cap_text))))
      << server.log();
  ASSERT_TRUE(wait_until([&] { return is_state(server, "cdn", "live"); }, 20))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();
  ProgrammeWatch programme(server);
  programme.watch_for(2);

  nginx.kill();
  const auto down = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until(
      [&] {
        programme.sample();
        const auto info = output_info(server, kRoom, "cdn");
        return info && info->state == "retrying" && info->attempt >= 1 && !info->last_error.empty();
      },
      15))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();

  // While the destination is down, HLS keeps producing segments and the
  // recording stays live.
  EXPECT_TRUE(wait_until([&] { return hls_last_segment(server) >= 0; }, 15))
      << "no HLS segment listed\n"
      << server.log();
  const int segment_before = hls_last_segment(server);
  const int64_t frames_before = programme.frames();
  const auto counted_from = std::chrono::steady_clock::now();
  programme.watch_for(outage_s - seconds_since(down));
  const double counted_s = seconds_since(counted_from);
  const int64_t frames_during = programme.frames() - frames_before;
  const int segment_after = hls_last_segment(server);
  EXPECT_GE(segment_before, 0) << "no HLS segment listed";
  EXPECT_GT(segment_after, segment_before) << "HLS stalled while the RTMP destination was down";
  EXPECT_TRUE(server.process()->running()) << server.log();
  EXPECT_TRUE(is_state(server, "hls", "live")) << describe(output_info(server, kRoom, "hls"));
  EXPECT_TRUE(is_state(server, "recording", "live"))
      << describe(output_info(server, kRoom, "recording"));
  const auto while_down = output_info(server, kRoom, "cdn");
  ASSERT_TRUE(while_down);
  EXPECT_NE(while_down->state, "live") << describe(while_down);
  EXPECT_NE(while_down->state, "failed") << "max_retries is -1: " << describe(while_down);
  const int attempts = while_down->attempt;

  const auto files_before = nginx.recorded_files();
  ASSERT_TRUE(nginx.start()) << nginx.log();
  const auto back = std::chrono::steady_clock::now();
  const double down_s = seconds_since(down);
  EXPECT_TRUE(wait_until(
      [&] {
        programme.sample();
        const auto info = output_info(server, kRoom, "cdn");
        return info && info->state == "live" && info->attempt == 0;
      },
      backoff_max_s + 20))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();
  const double recovered_s = seconds_since(back);
  // The next attempt comes at most one cap after the return; connecting and
  // the first media bytes take a few seconds more.
  EXPECT_LE(recovered_s, backoff_max_s + 5) << "attempts while down: " << attempts;
  programme.watch_for(4);  // media for the new FLV

  report_figure("rtmp outage " + std::to_string(down_s) + " s, " + std::to_string(attempts) +
                " attempts, live again " + std::to_string(recovered_s) +
                " s after the destination returned (cap " + std::to_string(backoff_max_s) + " s)");
  report_figure("during the outage " + std::to_string(frames_during) + " frames encoded in " +
                std::to_string(counted_s) + " s (" + std::to_string(frames_during / counted_s) +
                " fps); longest time without a new frame " +
                std::to_string(programme.longest_stall_s()) + " s; HLS segments " +
                std::to_string(programme.segments().size()) + ", missing " +
                std::to_string(programme.missing_segments()));
  // The programme never stalled: the encoder's count moved at every sample
  // (a second apart, plus the API's answer time) and kept the frame rate.
  EXPECT_LE(programme.longest_stall_s(), 2.5);
  EXPECT_GE(frames_during / counted_s, 20.0);
  EXPECT_EQ(programme.missing_segments(), 0);
  EXPECT_EQ(programme.discontinuities(), 0) << "HLS was restarted";

  const double run_s = seconds_since(started);
  EXPECT_TRUE(exited_cleanly(server.process()->stop(SIGTERM, 15))) << server.log();
  nginx.stop();

  // The push resumed: nginx recorded a new publish with real media in it.
  double longest_new = -1;
  std::set<std::string> old(files_before.begin(), files_before.end());
  for (const auto& file : nginx.recorded_files())
    if (!old.count(file)) longest_new = std::max(longest_new, probe_duration(file));
  EXPECT_GT(longest_new, 2.0) << "no new FLV with media after the restart; files before: "
                              << files_before.size() << ", now: " << nginx.recorded_files().size();

  // The recording went on through the outage: one file, no holes.
  const auto recordings = files_in(server.dir().file("recordings/") + kRoom, ".mp4");
  ASSERT_EQ(recordings.size(), 1u) << "the recording was restarted";
  bool decoded = false;
  const auto times = video_frame_times(recordings[0], &decoded);
  ASSERT_TRUE(decoded) << recordings[0];
  EXPECT_LE(largest_gap(times), 0.2) << "a hole in the recording";
  EXPECT_GE(times.back() - times.front(), run_s - 3.5)
      << "the recording does not cover the run (" << run_s << " s)";

  const Playlist playlist =
      parse_playlist(read_file(server.dir().file("hls/") + kRoom + "/index.m3u8"));
  EXPECT_TRUE(playlist.ended);
}

// An RTMP URL where nothing listens: the server runs, the push keeps retrying,
// and the room's other outputs are live.
TEST_F(RtmpPush, UnreachableDestinationRetriesWithoutDisturbingTheRoom) {
  ServerUnderTest server("rtmp-unreachable");
  const int dead_port = free_tcp_port();
  const std::string url = "rtmp://127.0.0.1:" + std::to_string(dead_port) + "/live/show";
  ASSERT_TRUE(server.start(small_room_config(kRoom, rtmp_outputs(url, true, true))))
      << server.log();

  EXPECT_TRUE(wait_until(
      [&] {
        const auto info = output_info(server, kRoom, "cdn");
        return info && info->state == "retrying" && info->attempt >= 1 && !info->last_error.empty();
      },
      15))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();
  EXPECT_TRUE(wait_until(
      [&] { return is_state(server, "hls", "live") && is_state(server, "recording", "live"); }, 15))
      << "hls: " << describe(output_info(server, kRoom, "hls"))
      << "\nrecording: " << describe(output_info(server, kRoom, "recording"));

  const auto first = output_info(server, kRoom, "cdn");
  const auto hls_first = output_info(server, kRoom, "hls");
  sleep_s(3.5);
  const auto later = output_info(server, kRoom, "cdn");
  const auto hls_later = output_info(server, kRoom, "hls");
  ASSERT_TRUE(first && later && hls_first && hls_later) << server.log();
  EXPECT_TRUE(server.process()->running());
  EXPECT_EQ(server.get("/healthz").status, 200);
  EXPECT_TRUE(later->state == "retrying" || later->state == "connecting") << describe(later);
  EXPECT_GT(later->attempt, first->attempt) << "the push stopped retrying";
  EXPECT_EQ(later->bytes, 0) << describe(later);
  EXPECT_GT(hls_later->bytes, hls_first->bytes) << "HLS stalled";
  EXPECT_TRUE(is_state(server, "recording", "live"));
  EXPECT_NE(server.log().find("output cdn"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace mixcast::testing
