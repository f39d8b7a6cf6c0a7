// A layout file, and the body of POST /api/v1/layouts/validate and of an
// inline PUT layout: problems are FileErrors, and a layout that parses can
// be composed for any number of participants.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/layout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const mixcast::Layout layout = mixcast::parse_layout(text, "fuzz.yaml");
    for (size_t n : {0, 1, 2, 5, 17}) (void)mixcast::regions_for(layout, n);
  } catch (const mixcast::FileError&) {
  }
  return 0;
}
