#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "core/audio_math.h"

using namespace mixcast;

namespace {
std::vector<float> stereo_tones(std::initializer_list<double> freqs, double amp, int frames) {
  std::vector<float> out(frames * 2);
  for (int i = 0; i < frames; ++i) {
    double v = 0;
    for (double f : freqs) v += amp * std::sin(2 * std::numbers::pi * f * i / 48000.0);
    out[i * 2] = out[i * 2 + 1] = static_cast<float>(v);
  }
  return out;
}
}  // namespace

TEST(Goertzel, FindsTonesPresentAndNotAbsent) {
  auto s = stereo_tones({440, 880}, 0.25, 4800);
  EXPECT_NEAR(goertzel_power(s, 2, 0, 48000, 440), 0.25 * 0.25 / 4, 0.002);
  EXPECT_NEAR(goertzel_power(s, 2, 1, 48000, 880), 0.25 * 0.25 / 4, 0.002);
  EXPECT_LT(goertzel_power(s, 2, 0, 48000, 660), 1e-4);
}

TEST(Rms, OfASine) {
  auto s = stereo_tones({1000}, 0.5, 4800);
  EXPECT_NEAR(rms(s), 0.5 / std::sqrt(2.0), 1e-3);
  std::vector<float> silence(100, 0.f);
  EXPECT_DOUBLE_EQ(rms_dbfs(silence), -120.0);
}

TEST(Limiter, TransparentBelowThreshold) {
  auto s = stereo_tones({440}, 0.5, 4800);
  auto copy = s;
  Limiter l(48000, 2);
  l.process(s);
  for (size_t i = 0; i < s.size(); ++i) ASSERT_FLOAT_EQ(s[i], copy[i]);
}

TEST(Limiter, NeverExceedsCeilingAndKeepsTheTone) {
  auto s = stereo_tones({440, 660, 880}, 0.6, 9600);  // peaks near 1.8
  Limiter l(48000, 2, 0.98);
  l.process(s);
  for (float v : s) ASSERT_LE(std::fabs(v), 0.98f + 1e-6f);
  // Still the same tones, not a clipped square.
  EXPECT_GT(goertzel_power(s, 2, 0, 48000, 660), 0.01);
}

TEST(Limiter, RecoversAfterAPeak) {
  Limiter l(48000, 1, 0.9, 0.05);
  std::vector<float> loud(480, 2.0f);
  l.process(loud);
  EXPECT_LT(l.gain(), 0.5);
  std::vector<float> quiet(48000, 0.1f);
  l.process(quiet);
  EXPECT_GT(l.gain(), 0.99);
}
