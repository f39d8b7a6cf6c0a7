// Audio arithmetic used by the mixer and by the tests that listen to it.
// Pure code on interleaved float samples.
#pragma once

#include <cstddef>
#include <span>

namespace mixcast {

// Power of one frequency in a block (Goertzel), normalised so that a full-scale
// sine at exactly `freq_hz` gives about 0.25 (amplitude² / 4), independent of
// block length. `channels` interleaved; only channel `channel` is read.
double goertzel_power(std::span<const float> samples, int channels, int channel, double rate,
                      double freq_hz);

// Root mean square of all samples.
double rms(std::span<const float> samples);
// 20·log10(rms), floored at -120 dBFS.
double rms_dbfs(std::span<const float> samples);

// A peak limiter for the float mix: instant attack, exponential release. It
// keeps |sample| <= ceiling without the harsh distortion of hard clipping and
// is transparent while the mix stays under the threshold.
class Limiter {
 public:
  Limiter(double rate, int channels, double ceiling = 0.98, double release_s = 0.1);
  // In place on interleaved samples.
  void process(std::span<float> samples);
  double gain() const { return gain_; }

 private:
  int channels_;
  double ceiling_;
  double release_coeff_;
  double gain_ = 1.0;
};

}  // namespace mixcast
