#include "core/mix_minus.h"

#include <algorithm>

namespace mixcast {

void accumulate(std::span<float> out, std::span<const float> in, float gain, std::span<float> own) {
  const size_t n = std::min(out.size(), in.size());
  if (own.size() >= n) {
    for (size_t i = 0; i < n; ++i) {
      own[i] = gain * in[i];
      out[i] += own[i];
    }
  } else {
    for (size_t i = 0; i < n; ++i) out[i] += gain * in[i];
  }
}

void subtract_and_limit(std::span<const float> sum, std::span<const float> own,
                        std::span<float> out, Limiter& limiter) {
  const size_t n = std::min(sum.size(), out.size());
  if (own.size() >= n) {
    for (size_t i = 0; i < n; ++i) out[i] = sum[i] - own[i];
  } else {
    std::copy_n(sum.begin(), n, out.begin());
  }
  limiter.process(out.first(n));
}

}  // namespace mixcast
