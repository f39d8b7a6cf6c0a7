// The Range header of a GET for a served file (RFC 9110 §14.1-14.2): which
// of its bytes to send. Ours rather than libsoup's: libsoup 3.2 answers a
// range that runs past the end ("bytes=0-999" of 100 bytes) or a suffix
// longer than the file ("bytes=-500") with an empty 206 and a Content-Range
// it cannot keep, and it cuts any number of ranges into one
// multipart/byteranges body in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mixcast {

// A header with more ranges than this is not a player: it is ignored.
constexpr size_t kMaxByteRanges = 64;

struct ByteRangeAnswer {
  enum class Kind {
    Whole,           // 200 with the whole file: no range, an invalid one, or several
    Partial,         // 206 with bytes first..last (inclusive), Content-Range set
    NotSatisfiable,  // 416, "Content-Range: bytes */size"
  };
  Kind kind = Kind::Whole;
  uint64_t first = 0;
  uint64_t last = 0;

  bool operator==(const ByteRangeAnswer&) const = default;
};

// `header` is the Range field's value, `size` the file's. A syntax error
// anywhere, another unit than bytes, a last-pos before its first-pos, or
// ranges that do not merge into one (we send no multipart/byteranges) mean
// the whole file; a past-the-end last-pos and a suffix longer than the file
// are cut to the file; none of the ranges starting inside it is a 416.
// An empty file is always sent whole (there is nothing to cut).
ByteRangeAnswer answer_byte_range(std::string_view header, uint64_t size);

}  // namespace mixcast
