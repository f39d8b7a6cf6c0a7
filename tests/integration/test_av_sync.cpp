// A/V sync of the programme, end to end: the real server mixes a room whose
// only participant is test://sync (a white flash and a 1 kHz beep during the
// first 100 ms of every second of its own timeline), then both the MP4
// recording and the HLS stream are decoded with ffmpeg and every flash onset
// is paired with the nearest beep onset.
//
// Timelines: ffmpeg runs with -copyts, so every decoded video frame and audio
// sample keeps the timestamp the file gives it (each stream's own start_time
// included; AAC priming is whatever the decoder outputs at those timestamps).
// The filters convert to a known time base (settb/asettb) so showinfo and
// ashowinfo report exact integer timestamps rather than rounded seconds.
//
// Onsets closer than kSettleS to the start of either stream are ignored: a
// participant's first media reaches the mixers a few tens of ms after it
// joins, so the first pulse is cut short. That is joining, not sync.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "test_support.h"

namespace mt = mixcast::testing;
namespace fs = std::filesystem;

namespace {

constexpr int kLumaWidth = 32;
constexpr int kLumaHeight = 18;
constexpr int kVideoTimebase = 90000;  // settb=1/90000
constexpr int kRate = 48000;           // asettb=1/48000, PCM rate
constexpr int kWindow = kRate / 1000;  // 1 ms
constexpr double kToneHz = 1000;
constexpr double kSettleS = 0.5;
constexpr double kRunS = 12;

constexpr int kMinPairs = 8;
constexpr double kMaxOffsetMs = 40;
constexpr double kMaxDriftMs = 20;

const char* const kConfig = R"(log_level: info
http:
  port: {port}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
rooms:
  - name: sync
    layout: grid
    width: 640
    height: 360
    fps: 30
    outputs:
      # Every segment stays listed, so the whole stream is checked.
      hls: {enabled: true, segment_s: 2, playlist_length: 30, max_files: 40}
      recording: {enabled: true, format: mp4}
      rtmp: []
    sources:
      - name: Sync
        uri: test://sync
)";

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// One onset detector's result for one stream.
struct Track {
  std::vector<double> onsets;  // seconds
  double first_s = 0;          // where the stream's data begins and ends
  double last_s = 0;
};

struct FilterFrame {
  long long pts = 0;
  long long nb_samples = 0;  // audio only
};

// The per-frame lines of showinfo / ashowinfo in an ffmpeg log.
std::vector<FilterFrame> parse_showinfo(const std::string& log) {
  static const std::regex frame_re(R"(showinfo_\d+ @ [^\]]*\] n:\s*\d+ pts:\s*(-?\d+))");
  static const std::regex samples_re(R"(nb_samples:(\d+))");
  std::vector<FilterFrame> frames;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find_first_of("\r\n", start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    start = end + 1;
    std::smatch m;
    if (!std::regex_search(line, m, frame_re)) continue;
    FilterFrame frame;
    frame.pts = std::stoll(m[1]);
    if (std::regex_search(line, m, samples_re)) frame.nb_samples = std::stoll(m[1]);
    frames.push_back(frame);
  }
  return frames;
}

bool run_ffmpeg(const std::string& args, const std::string& log, std::string& error) {
  int code = -1;
  mt::run_command("ffmpeg -nostdin -hide_banner -loglevel info " + args + " 2>" + quote(log),
                  &code);
  if (code == 0) return true;
  const std::string text = mt::read_file(log);
  error = "ffmpeg " + args + " failed (" + std::to_string(code) + "):\n" +
          text.substr(text.size() > 3000 ? text.size() - 3000 : 0);
  return false;
}

// Flash onsets: the first frame whose mean luma crosses from dark to bright.
std::optional<Track> analyze_video(const std::string& input, const std::string& work,
                                   std::string& error) {
  const std::string raw = work + ".gray";
  const std::string log = work + ".video.log";
  if (!run_ffmpeg("-copyts -i " + quote(input) + " -map 0:v:0 -vf 'settb=1/" +
                      std::to_string(kVideoTimebase) + ",showinfo,scale=" +
                      std::to_string(kLumaWidth) + ":" + std::to_string(kLumaHeight) +
                      ",format=gray' -fps_mode passthrough -f rawvideo -y " + quote(raw),
                  log, error))
    return std::nullopt;
  const std::string pixels = mt::read_file(raw);
  const std::vector<FilterFrame> frames = parse_showinfo(mt::read_file(log));
  const size_t frame_size = kLumaWidth * kLumaHeight;
  if (frames.size() < 30 || pixels.size() != frames.size() * frame_size) {
    error = input + ": " + std::to_string(pixels.size() / frame_size) + " decoded frames but " +
            std::to_string(frames.size()) + " timestamps";
    return std::nullopt;
  }
  std::vector<double> luma;
  for (size_t i = 0; i < frames.size(); ++i) {
    double sum = 0;
    for (size_t p = 0; p < frame_size; ++p)
      sum += static_cast<unsigned char>(pixels[i * frame_size + p]);
    luma.push_back(sum / frame_size);
  }
  const auto [lo, hi] = std::minmax_element(luma.begin(), luma.end());
  if (*hi - *lo < 100) {
    error = input + ": no flashes (mean luma only spans " + std::to_string(*lo) + ".." +
            std::to_string(*hi) + ")";
    return std::nullopt;
  }
  const double threshold = (*lo + *hi) / 2;
  Track track;
  track.first_s = static_cast<double>(frames.front().pts) / kVideoTimebase;
  track.last_s = static_cast<double>(frames.back().pts) / kVideoTimebase;
  constexpr size_t kDarkBefore = 3;  // frames that must be dark before an onset
  for (size_t i = kDarkBefore; i < luma.size(); ++i) {
    if (luma[i] <= threshold) continue;
    bool dark = true;
    for (size_t j = i - kDarkBefore; j < i; ++j) dark = dark && luma[j] <= threshold;
    if (dark) track.onsets.push_back(static_cast<double>(frames[i].pts) / kVideoTimebase);
  }
  return track;
}

// Amplitude of the kToneHz component of one window (Goertzel).
double tone_amplitude(const float* x, int n) {
  const double coeff = 2 * std::cos(2 * std::numbers::pi * kToneHz / kRate);
  double s1 = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double s0 = x[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return 2 * std::sqrt(std::max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / n;
}

// Beep onsets: the first 1 ms window whose 1 kHz amplitude crosses from quiet
// to loud.
std::optional<Track> analyze_audio(const std::string& input, const std::string& work,
                                   std::string& error) {
  const std::string pcm = work + ".f32";
  const std::string log = work + ".audio.log";
  // aresample async=1 fills any timestamp gap with silence, so the PCM is
  // contiguous from the first frame's timestamp on.
  if (!run_ffmpeg("-copyts -i " + quote(input) +
                      " -map 0:a:0 -af 'aresample=" + std::to_string(kRate) + ":async=1,asettb=1/" +
                      std::to_string(kRate) + ",ashowinfo' -ac 1 -ar " + std::to_string(kRate) +
                      " -f f32le -y " + quote(pcm),
                  log, error))
    return std::nullopt;
  const std::string bytes = mt::read_file(pcm);
  const std::vector<FilterFrame> frames = parse_showinfo(mt::read_file(log));
  std::vector<float> samples(bytes.size() / sizeof(float));
  std::memcpy(samples.data(), bytes.data(), samples.size() * sizeof(float));
  if (frames.empty() || samples.size() < static_cast<size_t>(kRate)) {
    error = input + ": " + std::to_string(samples.size()) + " samples, " +
            std::to_string(frames.size()) + " audio frames";
    return std::nullopt;
  }
  const long long end_pts = frames.back().pts + frames.back().nb_samples;
  const long long span = end_pts - frames.front().pts;
  if (std::llabs(span - static_cast<long long>(samples.size())) > kWindow) {
    error = input + ": the PCM (" + std::to_string(samples.size()) +
            " samples) does not match its timestamps (" + std::to_string(span) + ")";
    return std::nullopt;
  }
  std::vector<double> amplitude;
  for (size_t at = 0; at + kWindow <= samples.size(); at += kWindow)
    amplitude.push_back(tone_amplitude(samples.data() + at, kWindow));
  const double loudest = *std::max_element(amplitude.begin(), amplitude.end());
  if (loudest < 0.05) {
    error = input + ": no 1 kHz beeps (peak amplitude " + std::to_string(loudest) + ")";
    return std::nullopt;
  }
  const double threshold = loudest / 4;
  Track track;
  track.first_s = static_cast<double>(frames.front().pts) / kRate;
  track.last_s = static_cast<double>(end_pts) / kRate;
  constexpr size_t kQuietBefore = 30;  // windows (ms) that must be quiet before an onset
  for (size_t w = kQuietBefore; w < amplitude.size(); ++w) {
    if (amplitude[w] <= threshold) continue;
    bool quiet = true;
    for (size_t j = w - kQuietBefore; j < w; ++j) quiet = quiet && amplitude[j] <= threshold;
    if (quiet) track.onsets.push_back(track.first_s + static_cast<double>(w * kWindow) / kRate);
  }
  return track;
}

struct Pair {
  double flash_s;
  double beep_s;
  double offset_ms() const { return (beep_s - flash_s) * 1000; }  // > 0: audio late
};

// Decodes `input`, prints the pairs and checks them.
void check_sync(const std::string& label, const std::string& input, const std::string& work) {
  SCOPED_TRACE(label + ": " + input);
  std::string error;
  const auto video = analyze_video(input, work, error);
  ASSERT_TRUE(video) << error;
  const auto audio = analyze_audio(input, work, error);
  ASSERT_TRUE(audio) << error;

  // Only where both streams have settled and still run.
  const double from = std::max(video->first_s, audio->first_s) + kSettleS;
  const double to = std::min(video->last_s, audio->last_s) - 0.2;
  std::vector<double> beeps;
  for (double b : audio->onsets)
    if (b >= from - 0.2 && b <= to + 0.2) beeps.push_back(b);
  std::vector<Pair> pairs;
  size_t beeps_inside = 0;
  for (double b : beeps) beeps_inside += b >= from && b <= to;
  for (double flash : video->onsets) {
    if (flash < from || flash > to || beeps.empty()) continue;
    const double beep = *std::min_element(beeps.begin(), beeps.end(), [&](double a, double b) {
      return std::abs(a - flash) < std::abs(b - flash);
    });
    pairs.push_back({flash, beep});
  }

  std::printf("[ av-sync  ] %s (%s)\n", label.c_str(), input.c_str());
  std::printf("[ av-sync  ]   video %.3f..%.3f s, audio %.3f..%.3f s; %zu flashes, %zu beeps\n",
              video->first_s, video->last_s, audio->first_s, audio->last_s, video->onsets.size(),
              audio->onsets.size());
  std::printf("[ av-sync  ]   %12s %12s %10s   (offset = beep - flash; > 0: audio late)\n",
              "flash s", "beep s", "offset ms");
  for (const Pair& p : pairs)
    std::printf("[ av-sync  ]   %12.4f %12.4f %+10.1f\n", p.flash_s, p.beep_s, p.offset_ms());
  if (!pairs.empty()) {
    double lo = pairs.front().offset_ms(), hi = lo, sum = 0;
    for (const Pair& p : pairs) {
      lo = std::min(lo, p.offset_ms());
      hi = std::max(hi, p.offset_ms());
      sum += p.offset_ms();
    }
    const double drift = pairs.back().offset_ms() - pairs.front().offset_ms();
    std::printf(
        "[ av-sync  ]   %zu pairs: offset min %+.1f mean %+.1f max %+.1f ms, drift %+.1f ms\n",
        pairs.size(), lo, sum / pairs.size(), hi, drift);
    char summary[128];
    std::snprintf(summary, sizeof summary, "min %+.1f mean %+.1f max %+.1f drift %+.1f", lo,
                  sum / pairs.size(), hi, drift);
    ::testing::Test::RecordProperty(label + "_offset_ms", summary);
  }
  std::fflush(stdout);

  ASSERT_GE(pairs.size(), static_cast<size_t>(kMinPairs)) << "too few flash/beep pairs";
  // Each flash has its beep and each beep its flash (one may fall off an edge).
  EXPECT_LE(std::max(pairs.size(), beeps_inside) - std::min(pairs.size(), beeps_inside), 1u)
      << pairs.size() << " flashes but " << beeps_inside << " beeps";
  std::string out_of_range;
  for (const Pair& p : pairs)
    if (std::abs(p.offset_ms()) > kMaxOffsetMs)
      out_of_range += "\n  flash " + std::to_string(p.flash_s) + " s, beep " +
                      std::to_string(p.beep_s) + " s: " + std::to_string(p.offset_ms()) + " ms";
  EXPECT_TRUE(out_of_range.empty())
      << "A/V offset beyond +-" << kMaxOffsetMs << " ms:" << out_of_range;
  const double drift = pairs.back().offset_ms() - pairs.front().offset_ms();
  EXPECT_LE(std::abs(drift), kMaxDriftMs) << "offset went from " << pairs.front().offset_ms()
                                          << " ms to " << pairs.back().offset_ms() << " ms";
}

std::vector<std::string> files_with_extension(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ext) out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(AvSync, FlashesAndBeepsCoincideInRecordingAndHls) {
  int code = -1;
  mt::run_command("ffmpeg -version >/dev/null 2>&1", &code);
  if (code != 0) GTEST_SKIP() << "ffmpeg is not installed";

  mt::ServerUnderTest server("avsync");
  ASSERT_TRUE(server.start(kConfig)) << server.log();
  // Let it run; fail at once if it dies.
  ASSERT_FALSE(mt::wait_until([&] { return !server.process()->running(); }, kRunS))
      << "the server exited early:\n"
      << server.log();
  const int status = server.process()->stop(SIGTERM, 15);
  ASSERT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "no clean exit on SIGTERM (status " << status << "):\n"
      << server.log();

  const std::string& dir = server.dir().path();
  const auto recordings = files_with_extension(dir + "/recordings/sync", ".mp4");
  ASSERT_EQ(recordings.size(), 1u) << server.log();
  const std::string playlist = dir + "/hls/sync/index.m3u8";
  ASSERT_NE(mt::read_file(playlist).find("#EXT-X-ENDLIST"), std::string::npos)
      << "the playlist was not finished:\n"
      << mt::read_file(playlist);

  check_sync("recording", recordings.front(), dir + "/analysis-recording");
  check_sync("hls", playlist, dir + "/analysis-hls");
}

}  // namespace
