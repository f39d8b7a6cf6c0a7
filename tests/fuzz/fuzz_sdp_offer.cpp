// WHIP/WHEP and WebSocket offers: whatever a client sends as SDP.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/sdp_offer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  (void)mixcast::parse_sdp_offer(std::string_view(reinterpret_cast<const char*>(data), size),
                                 error);
  return 0;
}
