// Crash safety, measured: a room with two WebRTC guests (webrtcbin peers over
// WHIP) and a test source, recording with timed splits, is SIGKILLed at a
// random moment, again and again. After every kill each recording file
// decodes, the files together hold all but at most one fragment (fragment_s,
// plus scheduling slack) of the time the room ran, nothing is missing inside
// them, and a restarted server lists and serves every file. Runs inside
// tests/tools/netns-run (ICE ignores loopback).
//
// The suite kills twice within seconds; bench/crash-safety.sh kills 20 times
// at random moments of a 5-minute room (MIXCAST_CRASH_RUNS,
// MIXCAST_CRASH_MAX_S, MIXCAST_CRASH_SPLIT_S).
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "integration_support.h"
#include "test_support.h"
#include "webrtc_peer.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "live";
constexpr double kFragmentS = 1.0;
// Start-up and scheduling: the existing single-kill test's allowance.
constexpr double kSlackS = 0.5;

std::string crash_config(double split_s) {
  return "log_level: info\n"
         "http: {address: 0.0.0.0, port: {port}}\n"
         "auth: none\n"
         "media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800}\n"
         "paths:\n"
         "  layouts: {root}/config/layouts\n"
         "  pipelines: {root}/pipelines\n"
         "  hls: {dir}/hls\n"
         "  recordings: {dir}/recordings\n"
         "rooms:\n"
         "  - name: live\n"
         "    layout: grid\n"
         "    outputs:\n"
         "      hls: {enabled: true, segment_s: 2}\n"
         "      recording: {enabled: true, format: mp4, fragment_s: " +
         std::to_string(kFragmentS) + ", split_s: " + std::to_string(split_s) +
         "}\n"
         "      rtmp: []\n"
         "    sources:\n"
         "      - {name: Red, uri: \"test://color?color=red&tone=440\"}\n";
}

// What the files of one killed run hold. A file that holds no frame must
// hold no media at all (a split's next file, or a retry's, cut off before
// its first fragment): a restarted server removes those.
struct Recovered {
  std::vector<std::string> playable;
  std::map<std::string, double> spans;  // video of each playable file
  std::vector<std::string> empty;
  int broken = 0;          // media in it, but it does not decode
  double media_s = 0;      // video of all files together
  double largest_gap = 0;  // inside any one file
  std::string gap_where;   // which file, and from when in it
  std::string problems;
};

Recovered inspect(const std::vector<std::string>& files) {
  Recovered out;
  for (const auto& file : files) {
    bool decoded = false;
    const auto times = video_frame_times(file, &decoded);
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (decoded && !times.empty()) {
      out.playable.push_back(file);
      out.spans[file] = times.back() - times.front() + 1.0 / 30;
      out.media_s += out.spans[file];
      const double gap = largest_gap(times);
      if (gap > out.largest_gap) {
        out.largest_gap = gap;
        out.gap_where = file + " from " + std::to_string(times[largest_gap_at(times)]) + " s (of " +
                        std::to_string(times.back()) + ")";
      }
    } else if (size < 8192) {
      out.empty.push_back(file);  // a header at most; checked after the restart
    } else {
      ++out.broken;
      out.problems += file + " (" + std::to_string(size) + " bytes) does not decode\n";
    }
  }
  return out;
}

class CrashSafety : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
};

TEST_F(CrashSafety, SigkillAtRandomMomentsLosesAtMostOneFragment) {
  const int runs = int(env_seconds("MIXCAST_CRASH_RUNS", 2));
  const double max_s = env_seconds("MIXCAST_CRASH_MAX_S", 9);
  const double split_s = env_seconds("MIXCAST_CRASH_SPLIT_S", 3);
  const double min_s = std::min(3.0, max_s);
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> kill_after(min_s, max_s);
  report_figure("crash safety: " + std::to_string(runs) + " runs, kills at random in [" +
                std::to_string(min_s) + ", " + std::to_string(max_s) + "] s, split every " +
                std::to_string(split_s) + " s, seed " + std::to_string(seed));

  int recovered = 0;
  double worst_loss_s = 0;
  for (int run = 1; run <= runs; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    ServerUnderTest server("crash-safety-" + std::to_string(run));
    ASSERT_TRUE(server.start(crash_config(split_s), 30)) << server.log();
    const auto started = std::chrono::steady_clock::now();
    const double planned_s = kill_after(random);

    // Two guests publish; the second a different colour and tone.
    std::vector<std::unique_ptr<WebRtcPeer>> guests;
    PublisherOptions options;
    options.decode = false;
    for (unsigned argb : {0xff00ff00u, 0xff0000ffu}) {
      options.argb = argb;
      options.tone_hz += 220;
      guests.push_back(std::make_unique<WebRtcPeer>(options));
      const HttpResponse whip =
          guests.back()->publish(server.port(), std::string("/whip/") + kRoom);
      ASSERT_EQ(whip.status, 201) << whip.body << "\n" << server.log();
    }
    while (seconds_since(started) < planned_s) sleep_s(0.05);
    // What the room says just before the kill: its guests, and the frames
    // it gave up because the encoder could not keep up (a busy machine):
    // those leave holes in the programme that are no loss of the recording.
    const auto room = room_info(server, kRoom);
    const int guests_in = room ? int(room->participants.size()) - 1 : -1;
    const int64_t given_up = room ? room->video_frames_skipped + room->video_frames_thinned : 0;
    const double killed_s = seconds_since(started);
    server.process()->stop(SIGKILL, 5);

    const std::string dir = server.dir().file("recordings/") + kRoom;
    const auto files = files_in(dir, ".mp4");
    const Recovered found = inspect(files);
    const double lost_s = killed_s - found.media_s;
    worst_loss_s = std::max(worst_loss_s, lost_s);
    report_figure("run " + std::to_string(run) + ": killed after " + std::to_string(killed_s) +
                  " s with " + std::to_string(guests_in) + " guests in; " +
                  std::to_string(found.playable.size()) + " files play, " +
                  std::to_string(found.empty.size()) + " without media, " +
                  std::to_string(found.media_s) + " s of video, lost " + std::to_string(lost_s) +
                  " s, largest hole " + std::to_string(found.largest_gap) + " s, " +
                  std::to_string(given_up) + " frames given up by the encoder");
    EXPECT_GE(found.playable.size(), 1u) << server.log();
    EXPECT_EQ(found.broken, 0) << found.problems;
    EXPECT_LE(lost_s, kFragmentS + kSlackS) << ::testing::PrintToString(files);
    const double allowed_gap_s = 0.2 + double(given_up) / 30;
    EXPECT_LE(found.largest_gap, allowed_gap_s) << found.gap_where << "\n" << server.log();

    // A restarted server removes the files without media, and lists and
    // serves every other one whole.
    guests.clear();
    ASSERT_TRUE(server.start(crash_config(split_s), 30)) << server.log();
    // The listing reads every file's duration first: allow for a busy machine.
    const HttpResponse listing =
        http_request("GET", server.port(), std::string("/api/v1/rooms/") + kRoom + "/recordings",
                     "", "", "127.0.0.1", 30);
    ASSERT_EQ(listing.status, 200) << listing.body << "\n" << server.log();
    bool served = true;
    for (const auto& file : found.playable) {
      const std::string name = std::filesystem::path(file).filename();
      const HttpResponse download = server.get(std::string("/recordings/") + kRoom + "/" + name);
      std::error_code ec;
      const bool whole =
          download.status == 200 && download.body.size() == std::filesystem::file_size(file, ec);
      const bool listed = listing.body.find("\"" + name + "\"") != std::string::npos;
      EXPECT_TRUE(whole && listed)
          << name << ": " << download.status << ", " << download.body.size() << " bytes\n"
          << listing.body;
      served = served && whole && listed;
    }
    // The listing's durations are those of the files as they play (an
    // unfinished file's fragments, not its first fragment's).
    for (int i = 0; i < json_array_length(listing.body, "recordings"); ++i) {
      const std::string at = "recordings." + std::to_string(i) + ".";
      const std::string path = dir + "/" + json_get(listing.body, at + "file").value_or("");
      if (!found.spans.count(path)) continue;
      const double listed =
          std::atof(json_get(listing.body, at + "duration_s").value_or("-1").c_str());
      EXPECT_NEAR(listed, found.spans.at(path), 0.2) << path;
    }
    // (The new run's own file may take the freed name in the same second:
    // the log says what was removed.)
    const std::string restarted_log = server.log();
    for (const auto& file : found.empty) {
      const bool gone = restarted_log.find("recording: removed " + file) != std::string::npos;
      EXPECT_TRUE(gone) << file << " holds no media and was not removed\n" << restarted_log;
      served = served && gone;
    }
    server.process()->stop(SIGTERM, 15);
    if (!found.playable.empty() && found.broken == 0 && lost_s <= kFragmentS + kSlackS &&
        found.largest_gap <= allowed_gap_s && served)
      ++recovered;
  }
  report_figure("crash safety: " + std::to_string(recovered) + "/" + std::to_string(runs) +
                " kills recovered; the most lost at the end " + std::to_string(worst_loss_s) +
                " s (allowed " + std::to_string(kFragmentS + kSlackS) + " s)");
  EXPECT_EQ(recovered, runs);
}

}  // namespace
}  // namespace mixcast::testing
