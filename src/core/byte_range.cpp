#include "core/byte_range.h"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

namespace mixcast {
namespace {

constexpr uint64_t kHuge = std::numeric_limits<uint64_t>::max();

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// 1*DIGIT; a value past 2^64 saturates (a position that far is past any file).
std::optional<uint64_t> digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    value = value > (kHuge - d) / 10 ? kHuge : value * 10 + d;
  }
  return value;
}

bool unit_is_bytes(std::string_view unit) {
  constexpr std::string_view kBytes = "bytes";
  return unit.size() == kBytes.size() && std::equal(unit.begin(), unit.end(), kBytes.begin(),
                                                    [](char a, char b) { return (a | 0x20) == b; });
}

struct Span {
  uint64_t first, last;
};

}  // namespace

ByteRangeAnswer answer_byte_range(std::string_view header, uint64_t size) {
  const ByteRangeAnswer whole;
  const size_t equals = header.find('=');
  if (equals == std::string_view::npos || !unit_is_bytes(trim(header.substr(0, equals))))
    return whole;
  std::string_view set = header.substr(equals + 1);

  std::array<Span, kMaxByteRanges> spans;
  size_t count = 0, specs = 0;
  while (true) {
    const size_t comma = set.find(',');
    const std::string_view spec = trim(set.substr(0, comma));
    // The list rule allows empty elements ("0-1,,5-6"), not an empty list.
    if (!spec.empty()) {
      if (++specs > kMaxByteRanges) return whole;
      const size_t dash = spec.find('-');
      if (dash == std::string_view::npos) return whole;
      if (dash == 0) {  // suffix-range: the last N bytes
        const auto length = digits(spec.substr(1));
        if (!length) return whole;
        if (*length > 0 && size > 0) spans[count++] = {size - std::min(*length, size), size - 1};
      } else {  // int-range: first-pos "-" [ last-pos ]
        const auto first = digits(spec.substr(0, dash));
        const std::string_view last_text = spec.substr(dash + 1);
        const auto last = last_text.empty() ? std::optional<uint64_t>(kHuge) : digits(last_text);
        if (!first || !last || *last < *first) return whole;
        if (*first < size) spans[count++] = {*first, std::min(*last, size - 1)};
      }
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs == 0 || size == 0) return whole;
  if (count == 0) return {ByteRangeAnswer::Kind::NotSatisfiable, 0, 0};

  // Overlapping and adjacent ranges are one; more than one left is several.
  std::sort(spans.begin(), spans.begin() + count,
            [](const Span& a, const Span& b) { return a.first < b.first; });
  Span merged = spans[0];
  for (size_t i = 1; i < count; ++i) {
    if (spans[i].first > merged.last + 1) return whole;  // a gap: several ranges
    merged.last = std::max(merged.last, spans[i].last);
  }
  return {ByteRangeAnswer::Kind::Partial, merged.first, merged.last};
}

}  // namespace mixcast
