// Live HLS as a player sees it: the playlist over HTTP, its segments, and the
// end of the stream when the server stops.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <filesystem>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";
constexpr double kSegmentS = 2;

TEST(Hls, PlaylistOfH264AacSegmentsThatEndsWhenTheServerStops) {
  ServerUnderTest server("hls");
  ASSERT_TRUE(server.start(small_room_config(kRoom,
                                             "      hls: {enabled: true, segment_s: 2, "
                                             "playlist_length: 6, max_files: 12}\n"
                                             "      recording: {enabled: false}\n"
                                             "      rtmp: []\n")))
      << server.log();
  const std::string path = std::string("/hls/") + kRoom + "/index.m3u8";
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + path;

  Playlist playlist;
  EXPECT_TRUE(wait_until(
      [&] {
        const HttpResponse response = server.get(path);
        playlist = parse_playlist(response.body);
        return response.status == 200 && playlist.uris.size() >= 3;
      },
      20))
      << server.get(path).body << "\n"
      << server.log();

  const HttpResponse response = server.get(path);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body.rfind("#EXTM3U", 0), 0u) << response.body;
  playlist = parse_playlist(response.body);
  ASSERT_GE(playlist.uris.size(), 3u) << response.body;
  EXPECT_EQ(playlist.durations.size(), playlist.uris.size()) << response.body;
  EXPECT_FALSE(playlist.ended) << "a live playlist must not be ended";
  // Segments start on keyframes (every 2 s here), so each is one segment_s.
  for (double d : playlist.durations) {
    EXPECT_GE(d, kSegmentS - 0.5) << response.body;
    EXPECT_LE(d, kSegmentS + 0.5) << response.body;
  }

  // A player (ffprobe) reads the stream over HTTP.
  const auto streams = probe_streams(url);
  const StreamInfo* video = find_stream(streams, "video");
  const StreamInfo* audio = find_stream(streams, "audio");
  ASSERT_NE(video, nullptr) << "ffprobe " << url << " found no video";
  ASSERT_NE(audio, nullptr) << "ffprobe " << url << " found no audio";
  EXPECT_EQ(video->codec_name, "h264");
  EXPECT_EQ(video->width, 640);
  EXPECT_EQ(video->height, 360);
  EXPECT_EQ(audio->codec_name, "aac");

  // Each listed segment is served and holds both H.264 and AAC.
  for (const auto& uri : playlist.uris) {
    const std::string segment_path = std::string("/hls/") + kRoom + "/" + uri;
    EXPECT_EQ(server.get(segment_path).status, 200) << segment_path;
  }
  const std::string segment = server.dir().file("hls/") + kRoom + "/" + playlist.uris.front();
  const auto segment_streams = probe_streams(segment);
  ASSERT_NE(find_stream(segment_streams, "video"), nullptr) << segment;
  ASSERT_NE(find_stream(segment_streams, "audio"), nullptr) << segment;
  EXPECT_EQ(find_stream(segment_streams, "video")->codec_name, "h264");
  EXPECT_EQ(find_stream(segment_streams, "audio")->codec_name, "aac");
  const double segment_s = probe_duration(segment);
  EXPECT_NEAR(segment_s, kSegmentS, 0.5) << segment;

  // SIGTERM: a clean exit, and the playlist says the stream is over.
  const int status = server.process()->stop(SIGTERM, 15);
  EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << "\n"
      << server.log();
  const std::string final_text = read_file(server.dir().file("hls/") + kRoom + "/index.m3u8");
  const Playlist final_playlist = parse_playlist(final_text);
  EXPECT_TRUE(final_playlist.ended) << final_text;
  EXPECT_GE(final_playlist.uris.size(), playlist.uris.size()) << final_text;
  // The ended playlist still plays from its first segment to its last.
  double listed = 0;
  for (double d : final_playlist.durations) listed += d;
  EXPECT_NEAR(probe_duration(server.dir().file("hls/") + kRoom + "/index.m3u8"), listed, 1.0);
}

// Someone removes the room's HLS directory under the live room (a cleanup
// job, an operator): the output fails once, makes the directory again and
// goes on. Players polling the playlist see the media sequence go on (not
// back to 0) with a discontinuity, and every segment listed is there.
TEST(Hls, DirectoryRemovedUnderALiveRoomIsRecreated) {
  ServerUnderTest server("hls-removed");
  ASSERT_TRUE(server.start(small_room_config(kRoom,
                                             "      hls: {enabled: true, segment_s: 2, "
                                             "playlist_length: 6, max_files: 12}\n"
                                             "      recording: {enabled: false}\n"
                                             "      rtmp: []\n")))
      << server.log();
  const std::string path = std::string("/hls/") + kRoom + "/index.m3u8";
  const std::string dir = server.dir().file("hls/") + kRoom;
  // The output is live and its playlist (of this server's own directory)
  // lists two segments.
  Playlist before;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto hls = output_info(server, kRoom, "hls");
        before = parse_playlist(read_file(dir + "/index.m3u8"));
        return hls && hls->state == "live" && before.uris.size() >= 2 &&
               std::filesystem::exists(dir + "/" + before.uris.back());
      },
      20))
      << server.log();

  std::filesystem::remove_all(dir);
  const auto removed = std::chrono::steady_clock::now();
  Playlist after;
  EXPECT_TRUE(wait_until(
      [&] {
        const HttpResponse response = server.get(path);
        if (response.status != 200) return false;
        after = parse_playlist(response.body);
        return after.discontinuity_sequence >= 1 && !after.uris.empty();
      },
      20))
      << server.get(path).body << "\n"
      << server.log();
  const double recreated_s = seconds_since(removed);
  report_figure("HLS directory removed: segments listed again " + std::to_string(recreated_s) +
                " s later");
  EXPECT_GT(after.media_sequence, before.last_number()) << "the media sequence went back";
  for (const auto& uri : after.uris) {
    const std::string segment = dir + "/" + uri;
    EXPECT_EQ(server.get(std::string("/hls/") + kRoom + "/" + uri).status, 200) << uri;
    EXPECT_NEAR(probe_duration(segment), kSegmentS, 0.6) << segment;
  }
  const auto hls = output_info(server, kRoom, "hls");
  EXPECT_TRUE(hls && hls->state == "live") << describe(hls);
  EXPECT_TRUE(server.process()->running());
}

}  // namespace
}  // namespace mixcast::testing
