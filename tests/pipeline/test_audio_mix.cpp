// The room's audio mixer on its own, with inputs that misbehave like RTP
// from real browsers: timestamps jittering by ±15 ms and bursts that arrive
// 60 ms late. What a participant hears back must still leave their own voice
// out, arrive contiguous and at real-time pace, and the full mix must not
// blank for anyone else.
#include <gst/app/gstappsink.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/audio_math.h"
#include "media/audio_mix.h"
#include "media/gst_ptr.h"

using namespace mixcast;

namespace {

constexpr int kRate = 48000;
constexpr int kChannels = 2;

// Everything an appsink received, with when it arrived.
struct Tap {
  struct Block {
    GstClockTime pts, duration;
    size_t frames;
    gint64 arrived_us;  // monotonic
  };
  std::mutex mutex;
  std::vector<Block> blocks;
  std::vector<float> samples;  // interleaved, in arrival order

  static GstFlowReturn on_sample(GstAppSink* sink, gpointer self) {
    auto* tap = static_cast<Tap*>(self);
    MiniPtr<GstSample> sample(gst_app_sink_pull_sample(sink));
    if (!sample) return GST_FLOW_OK;
    GstBuffer* buffer = gst_sample_get_buffer(sample.get());
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_OK;
    const auto* data = reinterpret_cast<const float*>(map.data);
    const size_t n = map.size / sizeof(float);
    std::lock_guard lock(tap->mutex);
    tap->blocks.push_back({GST_BUFFER_PTS(buffer), GST_BUFFER_DURATION(buffer), n / kChannels,
                           g_get_monotonic_time()});
    tap->samples.insert(tap->samples.end(), data, data + n);
    gst_buffer_unmap(buffer, &map);
    return GST_FLOW_OK;
  }
};

// How an input misbehaves before it reaches the mix.
struct Misbehaviour {
  GstClockTime jitter = 0;   // each PTS moved by a uniform ±jitter
  double late_every_s = 0;   // every so often the input stalls...
  GstClockTime late_by = 0;  // ...and its next buffers arrive this late
  std::mt19937 random{7};    // the same "network" every run
  gint64 next_stall_us = 0;
};

GstPadProbeReturn misbehave(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* m = static_cast<Misbehaviour*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (m->late_by) {
    const gint64 now = g_get_monotonic_time();
    if (m->next_stall_us == 0) m->next_stall_us = now + gint64(m->late_every_s * 1e6);
    if (now >= m->next_stall_us) {
      // A burst: this buffer and the ones the live source then catches up
      // with arrive up to late_by after their time.
      g_usleep(m->late_by / GST_USECOND);
      m->next_stall_us = now + gint64(m->late_every_s * 1e6);
    }
  }
  if (m->jitter && GST_BUFFER_PTS_IS_VALID(buffer)) {
    std::uniform_int_distribution<gint64> offset(-gint64(m->jitter), gint64(m->jitter));
    const gint64 pts = gint64(GST_BUFFER_PTS(buffer)) + offset(m->random);
    buffer = gst_buffer_make_writable(buffer);
    GST_BUFFER_PTS(buffer) = GstClockTime(std::max<gint64>(pts, 0));
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
  }
  return GST_PAD_PROBE_OK;
}

// A pipeline with the audio mix, a tap on the full mix and on one
// participant's mix-minus.
class MixBench {
 public:
  // The mixer waits latency + max(upstream latency, min-upstream-latency)
  // for an input: 2 × 20 ms here, so a burst 60 ms late really misses blocks
  // (at the room's 40 ms it would take a burst over 80 ms).
  explicit MixBench(int latency_ms = 20) {
    static bool initialised = [] {
      gst_init(nullptr, nullptr);
      return true;
    }();
    (void)initialised;
    pipeline_ = gst_pipeline_new("mix-bench");
    mix_ = std::make_unique<AudioMix>(GST_BIN(pipeline_), AudioSpec{kRate, kChannels, latency_ms});
    link_tap(mix_->src_pad(), &full_);
    // As Room::start does: one clock and a base time fixed before anything
    // runs. Left to the pipeline, the live mixer can start waiting on the
    // clock with base time 0 before the base time reaches it, and then
    // never produce a block (seen here about once in 13 runs).
    GstPtr<GstClock> clock(gst_system_clock_obtain());
    gst_pipeline_use_clock(GST_PIPELINE(pipeline_), clock.get());
    gst_element_set_start_time(pipeline_, GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(pipeline_, gst_clock_get_time(clock.get()));
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~MixBench() {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    mix_.reset();
    gst_object_unref(pipeline_);
  }

  // A live tone that joins now; `m` (kept alive by the bench) may misbehave.
  void join(const std::string& id, double freq, std::unique_ptr<Misbehaviour> m = nullptr) {
    GstElement* src = gst_element_factory_make("audiotestsrc", nullptr);
    g_object_set(src, "is-live", TRUE, "freq", freq, "volume", 0.3, "samplesperbuffer", kRate / 100,
                 nullptr);
    GstElement* caps = gst_element_factory_make("capsfilter", nullptr);
    MiniPtr<GstCaps> c(gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "rate",
                                           G_TYPE_INT, kRate, "channels", G_TYPE_INT, kChannels,
                                           nullptr));
    g_object_set(caps, "caps", c.get(), nullptr);
    gst_bin_add_many(GST_BIN(pipeline_), src, caps, nullptr);
    gst_element_link(src, caps);
    GstPtr<GstPad> out(gst_element_get_static_pad(caps, "src"));
    if (m) {
      gst_pad_add_probe(out.get(), GST_PAD_PROBE_TYPE_BUFFER, &misbehave, m.get(), nullptr);
      misbehaviours_.push_back(std::move(m));
    }
    mix_->add_input(id, out.get());
    gst_element_sync_state_with_parent(caps);
    gst_element_sync_state_with_parent(src);
    sources_[id] = {src, caps};
  }

  // The participant's own elements go, after the mix let go of them (their
  // not-linked error meanwhile is theirs alone and ignored).
  void stop_source(const std::string& id) {
    for (GstElement* e : sources_[id]) {
      gst_element_set_state(e, GST_STATE_NULL);
      gst_bin_remove(GST_BIN(pipeline_), e);
    }
    sources_.erase(id);
  }

  void tap_mix_minus(const std::string& id) {
    GstPtr<GstPad> feed(mix_->mix_minus_pad(id));
    link_tap(feed.get(), &mix_minus_);
  }

  // Runs for `seconds`, failing on a pipeline error.
  void run_for(double seconds) {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    GstPtr<GstBus> bus(gst_element_get_bus(pipeline_));
    while (std::chrono::steady_clock::now() < end) {
      MiniPtr<GstMessage> msg(gst_bus_timed_pop(bus.get(), 20 * GST_MSECOND));
      if (msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR &&
          GST_OBJECT_PARENT(GST_MESSAGE_SRC(msg.get()))) {
        GError* error = nullptr;
        gst_message_parse_error(msg.get(), &error, nullptr);
        ADD_FAILURE() << "pipeline error: " << error->message;
        g_error_free(error);
        return;
      }
    }
  }

  Tap& full() { return full_; }
  Tap& mix_minus() { return mix_minus_; }
  AudioMix& mix() { return *mix_; }

 private:
  void link_tap(GstPad* pad, Tap* tap) {
    GstElement* sink = gst_element_factory_make("appsink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    GstAppSinkCallbacks callbacks{};
    callbacks.new_sample = &Tap::on_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, tap, nullptr);
    gst_bin_add(GST_BIN(pipeline_), sink);
    // Playing before it is linked: the feed's queue is already running, and
    // one push into a flushing sink would pause it for good.
    gst_element_sync_state_with_parent(sink);
    GstPtr<GstPad> sink_pad(gst_element_get_static_pad(sink, "sink"));
    gst_pad_link(pad, sink_pad.get());
  }

  GstElement* pipeline_ = nullptr;
  std::unique_ptr<AudioMix> mix_;
  Tap full_, mix_minus_;
  std::vector<std::unique_ptr<Misbehaviour>> misbehaviours_;
  std::map<std::string, std::vector<GstElement*>> sources_;
};

std::unique_ptr<Misbehaviour> browser_like() {
  auto m = std::make_unique<Misbehaviour>();
  m->jitter = 15 * GST_MSECOND;
  m->late_every_s = 1.3;
  m->late_by = 60 * GST_MSECOND;
  return m;
}

constexpr double kRed = 440, kGreen = 660, kBlue = 880;  // Green misbehaves

// The samples received after the first `skip_s` seconds.
std::vector<float> after(Tap& tap, double skip_s) {
  std::lock_guard lock(tap.mutex);
  const size_t skip = std::min(tap.samples.size(), size_t(skip_s * kRate) * kChannels);
  return std::vector<float>(tap.samples.begin() + static_cast<std::ptrdiff_t>(skip),
                            tap.samples.end());
}

}  // namespace

TEST(AudioMix, JitteryParticipantNeverHearsThemselves) {
  MixBench bench;
  bench.join("red", kRed);
  bench.join("green", kGreen, browser_like());
  bench.join("blue", kBlue);
  bench.tap_mix_minus("green");
  bench.run_for(7.0);
  // Half-second windows (a whole number of cycles of every tone) over the
  // last 6 s: the worst window counts.
  const auto audio = after(bench.mix_minus(), 1.0);
  const size_t window = kRate / 2 * kChannels;
  ASSERT_GE(audio.size(), 10 * window) << "at least 5 s of mix-minus";
  double worst = 1e9, worst_others = 1;
  for (size_t at = 0; at + window <= audio.size(); at += window) {
    const std::span<const float> w(audio.data() + at, window);
    const double others = std::min(goertzel_power(w, kChannels, 0, kRate, kRed),
                                   goertzel_power(w, kChannels, 0, kRate, kBlue));
    const double own = goertzel_power(w, kChannels, 0, kRate, kGreen);
    const double margin = 10 * std::log10(others / std::max(own, 1e-30));
    if (margin < worst) worst = margin, worst_others = others;
  }
  std::printf(
      "mix-minus of the jittery participant: own tone >= %.1f dB below the others "
      "(worst of %zu windows)\n",
      worst, audio.size() / window);
  EXPECT_GT(worst_others, 1e-3) << "the others are heard";
  EXPECT_GE(worst, 40.0) << "own tone at least 40 dB below the others in every window";
}

TEST(AudioMix, MixMinusIsContiguousAndRealTime) {
  MixBench bench;
  bench.join("red", kRed);
  // As with WebRTC: the return feed exists before the participant's media.
  bench.tap_mix_minus("green");
  bench.run_for(0.3);
  bench.join("green", kGreen, browser_like());
  bench.run_for(1.0);
  const gint64 start_us = g_get_monotonic_time();
  bench.run_for(5.0);
  const gint64 end_us = g_get_monotonic_time();
  std::lock_guard lock(bench.mix_minus().mutex);
  const auto& blocks = bench.mix_minus().blocks;
  ASSERT_GT(blocks.size(), 100u) << "full mix: " << bench.full().blocks.size() << " blocks";
  size_t gaps = 0, frames = 0;
  for (size_t i = 1; i < blocks.size(); ++i) {
    if (blocks[i].pts != blocks[i - 1].pts + blocks[i - 1].duration) {
      if (gaps++ < 5)
        ADD_FAILURE() << "block " << i << " at " << blocks[i].pts << " after " << blocks[i - 1].pts
                      << " + " << blocks[i - 1].duration;
    }
    if (blocks[i].arrived_us >= start_us && blocks[i].arrived_us < end_us)
      frames += blocks[i].frames;
  }
  const double expected = (end_us - start_us) / 1e6 * kRate;
  std::printf(
      "mix-minus: %zu blocks, %zu discontinuities; %zu frames in %.3f s = %.2f %% of "
      "real time\n",
      blocks.size(), gaps, frames, (end_us - start_us) / 1e6, 100.0 * frames / expected);
  EXPECT_EQ(gaps, 0u) << "each PTS is the previous PTS + duration";
  EXPECT_NEAR(frames / expected, 1.0, 0.02) << "real-time pace within 2 %";
}

TEST(AudioMix, FullMixNeverBlanksWhileOneInputIsLate) {
  MixBench bench;
  bench.join("red", kRed);
  bench.join("green", kGreen, browser_like());
  bench.join("blue", kBlue);
  bench.run_for(6.0);
  const auto audio = after(bench.full(), 1.0);
  ASSERT_GE(audio.size(), size_t(4 * kRate * kChannels));
  size_t run = 0, longest = 0;
  for (size_t f = 0; f + kChannels <= audio.size(); f += kChannels) {
    bool silent = true;
    for (int c = 0; c < kChannels; ++c) silent = silent && audio[f + c] == 0.f;
    run = silent ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::printf("full mix: longest run of digital silence %.1f ms\n", longest * 1000.0 / kRate);
  EXPECT_LE(longest, size_t(kRate * 40 / 1000)) << "no silence over 40 ms";
  EXPECT_GT(goertzel_power(audio, kChannels, 0, kRate, kRed), 1e-3);
  EXPECT_GT(goertzel_power(audio, kChannels, 0, kRate, kBlue), 1e-3);
}

TEST(AudioMix, ParticipantsLeaveWhileTheirMediaIsInFlight) {
  MixBench bench;
  bench.join("red", kRed);
  bench.run_for(0.3);
  // Each leaves at a different point of its stream: before its first
  // buffer, during a late burst, while its mix-minus is being fed. Every
  // remove must return (a hang fails by the test's timeout) and the mix
  // must go on.
  for (int i = 0; i < 12; ++i) {
    const std::string id = "guest-" + std::to_string(i);
    auto m = browser_like();
    m->late_every_s = 0.05 * (i % 3);
    bench.join(id, kGreen, std::move(m));
    if (i % 2) bench.tap_mix_minus(id);
    bench.run_for(0.04 * (i % 4));
    const auto started = std::chrono::steady_clock::now();
    if (i % 4 == 1) {
      bench.mix().remove_input(id);  // input first, as when media stops
      bench.mix().remove_mix_minus(id);
    } else {
      bench.mix().remove_mix_minus(id);
      bench.mix().remove_input(id);
    }
    bench.stop_source(id);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500)) << id;
  }
  const size_t before = after(bench.full(), 0).size();
  bench.run_for(1.0);
  const auto audio = after(bench.full(), 0);
  EXPECT_NEAR(double(audio.size() - before) / kChannels, kRate, kRate * 0.1)
      << "the full mix keeps real-time pace";
  const std::span<const float> last(audio.data() + audio.size() - kRate / 2 * kChannels,
                                    kRate / 2 * kChannels);
  EXPECT_GT(goertzel_power(last, kChannels, 0, kRate, kRed), 1e-3);
  EXPECT_LT(goertzel_power(last, kChannels, 0, kRate, kGreen), 1e-6) << "the guests are gone";
}
