// The body of a WHIP/WHEP PATCH (trickle ICE fragment).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/trickle_ice.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto candidates =
      mixcast::parse_trickle_fragment(std::string_view(reinterpret_cast<const char*>(data), size));
  if (candidates.size() > mixcast::kMaxTrickleCandidates) __builtin_trap();
  return 0;
}
