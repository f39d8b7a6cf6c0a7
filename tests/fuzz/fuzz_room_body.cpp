// The body of POST /api/v1/rooms (JSON, read by the config's room reader).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mixcast::Config base;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)mixcast::parse_room_config(text, base);
  } catch (const mixcast::FileError&) {
  }
  return 0;
}
