// The Range header of a file download (/recordings, /hls, the web pages),
// against files of several sizes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/byte_range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Kind = mixcast::ByteRangeAnswer::Kind;
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  for (const uint64_t file_size :
       {uint64_t{0}, uint64_t{1}, uint64_t{100}, uint64_t{5000000000}, UINT64_MAX}) {
    const mixcast::ByteRangeAnswer a = mixcast::answer_byte_range(header, file_size);
    // A 206 lies inside the file; a 416 is never for an empty one.
    if (a.kind == Kind::Partial && !(a.first <= a.last && a.last < file_size)) __builtin_trap();
    if (a.kind == Kind::NotSatisfiable && file_size == 0) __builtin_trap();
    if (a.kind != Kind::Partial && (a.first != 0 || a.last != 0)) __builtin_trap();
  }
  return 0;
}
