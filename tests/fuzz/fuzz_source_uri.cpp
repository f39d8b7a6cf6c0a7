// Source URIs (config sources, POST /api/v1/rooms/{room}/sources).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/source_uri.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  (void)mixcast::parse_source_uri(std::string(reinterpret_cast<const char*>(data), size),
                                  "/srv/mixcast", error);
  return 0;
}
