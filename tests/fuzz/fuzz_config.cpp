// The config file: every problem must be a FileError naming file, line and
// field, never a crash or another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)mixcast::parse_config(text, "fuzz.yaml");
  } catch (const mixcast::FileError&) {
  }
  return 0;
}
