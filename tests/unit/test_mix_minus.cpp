// The mixer's per-block arithmetic: what goes into the sum is exactly what
// comes out of one participant's mix-minus.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/mix_minus.h"

using namespace mixcast;

namespace {

std::vector<float> tone(double freq, double amp, int frames, int channels = 2) {
  std::vector<float> out(static_cast<size_t>(frames * channels));
  for (int i = 0; i < frames; ++i)
    for (int c = 0; c < channels; ++c)
      out[i * channels + c] =
          static_cast<float>(amp * std::sin(2 * std::numbers::pi * freq * i / 48000.0));
  return out;
}

double peak(const std::vector<float>& s) {
  double p = 0;
  for (float v : s) p = std::max(p, double{std::fabs(v)});
  return p;
}

}  // namespace

struct AccumulateCase {
  std::string name;
  std::vector<float> sum_before;
  std::vector<float> in;
  float gain;
  bool keep_own;
  std::vector<float> sum_after;
  std::vector<float> own_after;  // empty when not kept
};

class Accumulate : public ::testing::TestWithParam<AccumulateCase> {};

TEST_P(Accumulate, AddsIntoTheSumAndKeepsTheSameSamples) {
  const auto& c = GetParam();
  std::vector<float> sum = c.sum_before;
  std::vector<float> own(c.keep_own ? c.in.size() : 0, 99.f);
  accumulate(sum, c.in, c.gain, own);
  EXPECT_EQ(sum, c.sum_after);
  EXPECT_EQ(own, c.own_after);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Accumulate,
    ::testing::Values(
        AccumulateCase{"into_silence",
                       {0, 0, 0, 0},
                       {0.5f, -0.25f, 1, 0},
                       1,
                       true,
                       {0.5f, -0.25f, 1, 0},
                       {0.5f, -0.25f, 1, 0}},
        AccumulateCase{
            "onto_others", {0.25f, 0.25f}, {0.5f, -0.5f}, 1, true, {0.75f, -0.25f}, {0.5f, -0.5f}},
        // The operator's volume (dB) scales before the sum, so the own copy
        // is the scaled one too.
        AccumulateCase{
            "with_gain", {0, 1}, {0.5f, 0.5f}, 0.5f, true, {0.25f, 1.25f}, {0.25f, 0.25f}},
        AccumulateCase{"own_not_kept", {1, 1}, {1, -1}, 1, false, {2, 0}, {}}),
    [](const auto& p) { return p.param.name; });

struct SubtractCase {
  std::string name;
  std::vector<double> everyone;  // tone frequencies in the sum, amplitude 0.3
  double own;                    // frequency of the listener's tone, 0: none
  bool own_in_block;             // false: the listener's samples missed this block
  double max_residual_db;        // own tone left in the output, relative to it
};

class SubtractAndLimit : public ::testing::TestWithParam<SubtractCase> {};

TEST_P(SubtractAndLimit, LeavesEveryoneButTheListener) {
  const auto& c = GetParam();
  const int frames = 4800;
  std::vector<float> sum(frames * 2, 0.f), own(frames * 2, 0.f);
  for (double f : c.everyone) {
    const auto t = tone(f, 0.3, frames);
    accumulate(sum, t, 1.f,
               f == c.own && c.own_in_block ? std::span<float>(own) : std::span<float>());
  }
  std::vector<float> out(sum.size());
  Limiter limiter(48000, 2);
  subtract_and_limit(sum, c.own_in_block ? std::span<const float>(own) : std::span<const float>(),
                     out, limiter);
  const double ref = goertzel_power(tone(c.everyone[0], 0.3, frames), 2, 0, 48000, c.everyone[0]);
  for (double f : c.everyone) {
    const double p = goertzel_power(out, 2, 0, 48000, f);
    if (f == c.own && c.own_in_block) {
      EXPECT_LT(10 * std::log10(std::max(p, 1e-30) / ref), c.max_residual_db) << f;
    } else {
      EXPECT_NEAR(p, ref, ref * 0.05) << f << " Hz is still there";
    }
  }
  EXPECT_LE(peak(out), 0.98 + 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Table, SubtractAndLimit,
                         ::testing::Values(
                             // Float rounding of the sum is all that may remain: far under -100 dB.
                             SubtractCase{"three_guests", {440, 660, 880}, 660, true, -100},
                             SubtractCase{"listener_alone", {440}, 440, true, -100},
                             // The listener's samples missed the block: they are not in the sum
                             // either, and nothing is subtracted.
                             SubtractCase{"listener_late", {440, 660}, 660, false, 0},
                             SubtractCase{"not_a_guest", {440, 660}, 0, true, 0}),
                         [](const auto& p) { return p.param.name; });

TEST(SubtractAndLimitCeiling, LoudRemainderIsLimitedNotClipped) {
  const int frames = 4800;
  std::vector<float> sum(frames * 2, 0.f), own(frames * 2, 0.f);
  for (double f : {440.0, 660.0, 880.0}) accumulate(sum, tone(f, 1.0, frames), 1.f, {});
  accumulate(sum, tone(1000, 1.0, frames), 1.f, own);
  std::vector<float> out(sum.size());
  Limiter limiter(48000, 2);
  subtract_and_limit(sum, own, out, limiter);
  EXPECT_LE(peak(out), 0.98 + 1e-6) << "three full-scale tones held at the ceiling";
  EXPECT_GT(peak(out), 0.5);
  // The limiter's gain changes make a little intermodulation everywhere,
  // on their 220 Hz grid; the own tone (off that grid) is gone.
  const double others =
      std::min({goertzel_power(out, 2, 0, 48000, 440), goertzel_power(out, 2, 0, 48000, 660),
                goertzel_power(out, 2, 0, 48000, 880)});
  EXPECT_LT(goertzel_power(out, 2, 0, 48000, 1000), others / 1e4) << "own tone 40 dB under";
}

// The operator's gain (volume, mute) moves over a short ramp; whatever it is,
// what goes into the sum is what the participant's own feed loses.
TEST(GainRamp, Steps) {
  struct Case {
    std::string name;
    std::vector<float> targets;  // set one after the other, `frames` apart
    int ramp_frames;
    int frames;                // read after each target
    std::vector<float> gains;  // every gain read, in order
  };
  const std::vector<Case> cases = {
      {"first target at once", {0.f}, 4, 3, {0, 0, 0}},
      {"down over four frames", {1.f, 0.f}, 4, 6, {1, 1, 1, 1, 1, 1, 1, 0.75f, 0.5f, 0.25f, 0, 0}},
      {"up from muted", {0.f, 0.5f}, 2, 3, {0, 0, 0, 0, 0.25f, 0.5f}},
      {"same target: no ramp", {0.5f, 0.5f}, 4, 2, {0.5f, 0.5f, 0.5f, 0.5f}},
      {"retarget mid-ramp", {1.f, 0.f, 1.f}, 4, 2, {1, 1, 1, 0.75f, 0.5f, 0.625f}},
      {"no ramp asked", {1.f, 0.f}, 0, 2, {1, 1, 0, 0}},
  };
  for (const auto& c : cases) {
    GainRamp ramp;
    std::vector<float> gains;
    for (float target : c.targets) {
      ramp.set_target(target, c.ramp_frames);
      for (int i = 0; i < c.frames; ++i) gains.push_back(ramp.next());
    }
    ASSERT_EQ(gains.size(), c.gains.size()) << c.name;
    for (size_t i = 0; i < gains.size(); ++i)
      EXPECT_FLOAT_EQ(gains[i], c.gains[i]) << c.name << " " << i;
  }
}

TEST(GainRamp, OwnSamplesAreExactlyWhatWasAddedWhileRamping) {
  const int frames = 960;
  const auto others = tone(440, 0.3, frames);
  const auto in = tone(660, 0.3, frames);
  GainRamp ramp;
  ramp.set_target(1.f, 480);
  ramp.set_target(0.1f, 480);  // -20 dB over 10 ms, inside this block
  std::vector<float> sum = others, own(in.size(), 99.f);
  accumulate(sum, in, 2, ramp, own);
  EXPECT_FLOAT_EQ(ramp.current(), 0.1f);
  EXPECT_FALSE(ramp.ramping());
  // The same ramp again, by hand: each frame's gain, on both channels; the
  // sum got exactly the kept samples, bit for bit.
  GainRamp replay;
  replay.set_target(1.f, 480);
  replay.set_target(0.1f, 480);
  for (size_t i = 0; i < sum.size(); i += 2) {
    const float gain = replay.next();
    for (size_t k = i; k < i + 2; ++k) {
      ASSERT_EQ(own[k], gain * in[k]) << "sample " << k;
      ASSERT_EQ(sum[k], others[k] + own[k]) << "sample " << k << ": the sum got what was kept";
    }
  }
  EXPECT_NEAR(own[2 * 479], 0.1f * in[2 * 479], 0.01) << "the ramp's end";
  EXPECT_EQ(own[2 * 900], 0.1f * in[2 * 900]) << "after the ramp, the plain gain";
}

TEST(GainRamp, MutedAddsNothingAtAll) {
  GainRamp ramp;
  ramp.set_target(0.f, 480);
  std::vector<float> sum = {0.25f, -0.5f, 0.125f, 1.f};
  const std::vector<float> before = sum;
  const std::vector<float> in = {std::numeric_limits<float>::quiet_NaN(), 1.f, -1.f, 0.5f};
  std::vector<float> own(in.size(), 99.f);
  accumulate(sum, in, 2, ramp, own);
  EXPECT_EQ(sum, before) << "not even 0 x NaN";
  EXPECT_EQ(own, std::vector<float>(4, 0.f));
}
