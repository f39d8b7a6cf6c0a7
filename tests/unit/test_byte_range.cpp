#include <gtest/gtest.h>

#include <string>

#include "core/byte_range.h"

namespace mixcast {
namespace {

using Kind = ByteRangeAnswer::Kind;

struct Case {
  const char* header;
  uint64_t size;
  ByteRangeAnswer expected;
};

constexpr ByteRangeAnswer kWhole{};
constexpr ByteRangeAnswer kNotSatisfiable{Kind::NotSatisfiable, 0, 0};
constexpr ByteRangeAnswer part(uint64_t first, uint64_t last) {
  return {Kind::Partial, first, last};
}

TEST(ByteRange, AnswersEachFormOfRangeAgainstTheFileSize) {
  const Case cases[] = {
      // int-range, open int-range, suffix-range
      {"bytes=0-99", 1000, part(0, 99)},
      {"bytes=100-", 1000, part(100, 999)},
      {"bytes=-10", 1000, part(990, 999)},
      {"bytes=0-0", 1, part(0, 0)},
      {"bytes=999-999", 1000, part(999, 999)},
      // Cut to the file: a last-pos past its end, a suffix longer than it
      // (libsoup 3.2 sent an empty 206 for both).
      {"bytes=90-200", 100, part(90, 99)},
      {"bytes=0-18446744073709551615", 100, part(0, 99)},
      {"bytes=0-99999999999999999999999999", 100, part(0, 99)},
      {"bytes=-500", 100, part(0, 99)},
      {"bytes=-99999999999999999999999999", 100, part(0, 99)},
      // Nothing starts inside the file: 416.
      {"bytes=100-", 100, kNotSatisfiable},
      {"bytes=100-200", 100, kNotSatisfiable},
      {"bytes=-0", 100, kNotSatisfiable},
      {"bytes=99999999999999999999999999-", 100, kNotSatisfiable},
      {"bytes=200-300, 400-", 100, kNotSatisfiable},
      // Unsatisfiable ranges next to a satisfiable one are dropped.
      {"bytes=500-600,0-9", 100, part(0, 9)},
      // Overlapping and adjacent ranges merge into one, in any order.
      {"bytes=0-0,0-0", 100, part(0, 0)},
      {"bytes=10-19,0-9", 100, part(0, 19)},
      {"bytes=0-50,20-30,-50", 100, part(0, 99)},
      {"bytes=0-,0-,0-", 100, part(0, 99)},
      // Several ranges with gaps: the whole file (no multipart/byteranges).
      {"bytes=0-9,20-29", 100, kWhole},
      {"bytes=0-0,-1", 100, kWhole},
      // Whitespace and empty list elements are allowed, the unit is any case.
      {"bytes= 0-9 ,\t10-19", 100, part(0, 19)},
      {"bytes=,0-9,,", 100, part(0, 9)},
      {"Bytes=0-9", 100, part(0, 9)},
      {"BYTES = 0-9", 100, part(0, 9)},
      // Malformed: ignored, the whole file.
      {"", 100, kWhole},
      {"bytes", 100, kWhole},
      {"bytes=", 100, kWhole},
      {"bytes=,", 100, kWhole},
      {"bytes=5-1", 100, kWhole},
      {"bytes=0-9,5-1", 100, kWhole},
      {"bytes=a-9", 100, kWhole},
      {"bytes=0-9x", 100, kWhole},
      {"bytes=+0-9", 100, kWhole},
      {"bytes=0--9", 100, kWhole},
      {"bytes=--9", 100, kWhole},
      {"bytes=-", 100, kWhole},
      {"bytes=0 - 9", 100, kWhole},
      {"bytes=0-9;x", 100, kWhole},
      {"bytes=0x10-", 100, kWhole},
      {"items=0-9", 100, kWhole},
      {"bytesx=0-9", 100, kWhole},
      {"0-9", 100, kWhole},
      // An empty file is sent whole, whatever is asked.
      {"bytes=0-9", 0, kWhole},
      {"bytes=-5", 0, kWhole},
      // Files past 4 GiB (recordings): positions are 64-bit.
      {"bytes=4294967296-4294967305", 5000000000, part(4294967296, 4294967305)},
      {"bytes=-1", 5000000000, part(4999999999, 4999999999)},
      {"bytes=0-0,4294967296-4294967296", 5000000000, kWhole},
  };
  for (const Case& c : cases)
    EXPECT_EQ(answer_byte_range(c.header, c.size), c.expected)
        << "'" << c.header << "' of " << c.size << " bytes";
}

TEST(ByteRange, ManyRangesAreNotAPlayer) {
  std::string header = "bytes=0-0";
  for (size_t i = 1; i < kMaxByteRanges; ++i) header += ",0-0";
  EXPECT_EQ(answer_byte_range(header, 100), part(0, 0));
  header += ",0-0";
  EXPECT_EQ(answer_byte_range(header, 100), kWhole);
  // Empty elements do not count.
  EXPECT_EQ(answer_byte_range("bytes=" + std::string(10000, ',') + "0-9", 100), part(0, 9));
}

}  // namespace
}  // namespace mixcast
