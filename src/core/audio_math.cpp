#include "core/audio_math.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mixcast {

double goertzel_power(std::span<const float> samples, int channels, int channel, double rate,
                      double freq_hz) {
  const size_t frames = samples.size() / static_cast<size_t>(channels);
  if (frames == 0) return 0;
  const double omega = 2.0 * std::numbers::pi * freq_hz / rate;
  const double coeff = 2.0 * std::cos(omega);
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < frames; ++i) {
    const double s0 = samples[i * channels + channel] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  const double n = static_cast<double>(frames);
  return power / (n * n);
}

double rms(std::span<const float> samples) {
  if (samples.empty()) return 0;
  double sum = 0;
  for (float s : samples) sum += double{s} * s;
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

double rms_dbfs(std::span<const float> samples) {
  const double r = rms(samples);
  return r <= 1e-6 ? -120.0 : 20.0 * std::log10(r);
}

Limiter::Limiter(double rate, int channels, double ceiling, double release_s)
    : channels_(channels), ceiling_(ceiling), release_coeff_(std::exp(-1.0 / (release_s * rate))) {}

void Limiter::process(std::span<float> samples) {
  const size_t frames = samples.size() / static_cast<size_t>(channels_);
  for (size_t f = 0; f < frames; ++f) {
    float* frame = samples.data() + f * channels_;
    double peak = 0;
    for (int c = 0; c < channels_; ++c) peak = std::max(peak, double{std::fabs(frame[c])});
    // Gain that would bring this frame's peak to the ceiling.
    const double needed = peak > ceiling_ ? ceiling_ / peak : 1.0;
    if (needed < gain_) {
      gain_ = needed;  // attack at once: no sample may pass over the ceiling
    } else {
      gain_ = needed - (needed - gain_) * release_coeff_;  // recover smoothly
    }
    for (int c = 0; c < channels_; ++c) frame[c] = static_cast<float>(frame[c] * gain_);
  }
}

}  // namespace mixcast
