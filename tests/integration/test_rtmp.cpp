// RTMP push to a real RTMP server (nginx + libnginx-mod-rtmp, started by the
// test): what a viewer of the destination receives, and what happens when
// the destination goes away and comes back.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <set>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";

std::string rtmp_outputs(const std::string& url, bool hls, bool recording) {
  std::string yaml;
  yaml += hls ? "      hls: {enabled: true, segment_s: 2}\n" : "      hls: {enabled: false}\n";
  yaml += recording ? "      recording: {enabled: true, format: mp4}\n"
                    : "      recording: {enabled: false}\n";
  yaml +=
      "      rtmp:\n"
      "        - name: cdn\n"
      "          url: " +
      url +
      "\n"
      "          backoff_initial_s: 0.5\n"
      "          backoff_max_s: 1\n";
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

// 2. The destination dies (SIGKILL) and comes back on the same port: the push
// retries, then resumes, while HLS and the recording go on without a gap.
TEST_F(RtmpPush, ReconnectsAfterTheDestinationDiesAndTheRoomCarriesOn) {
  ServerUnderTest server("rtmp-reconnect");
  RtmpServer nginx(server.dir().file("nginx"), free_tcp_port());
  ASSERT_TRUE(nginx.start()) << nginx.log();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(server.start(small_room_config(kRoom, rtmp_outputs(nginx.url("show"), true, true))))
      << server.log();
  ASSERT_TRUE(wait_until([&] { return is_state(server, "cdn", "live"); }, 20))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();
  sleep_s(2);

  nginx.kill();
  EXPECT_TRUE(wait_until(
      [&] {
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
  sleep_s(4.5);
  const int segment_after = hls_last_segment(server);
  EXPECT_GE(segment_before, 0);
  EXPECT_GT(segment_after, segment_before) << "HLS stalled while the RTMP destination was down";
  EXPECT_TRUE(is_state(server, "hls", "live")) << describe(output_info(server, kRoom, "hls"));
  EXPECT_TRUE(is_state(server, "recording", "live"))
      << describe(output_info(server, kRoom, "recording"));
  const auto while_down = output_info(server, kRoom, "cdn");
  ASSERT_TRUE(while_down);
  EXPECT_NE(while_down->state, "live") << describe(while_down);
  EXPECT_NE(while_down->state, "failed") << "max_retries is -1: " << describe(while_down);

  const auto files_before = nginx.recorded_files();
  ASSERT_TRUE(nginx.start()) << nginx.log();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto info = output_info(server, kRoom, "cdn");
        return info && info->state == "live" && info->attempt == 0;
      },
      20))
      << describe(output_info(server, kRoom, "cdn")) << "\n"
      << server.log();
  sleep_s(4);  // media for the new FLV

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
