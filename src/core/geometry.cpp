#include "core/geometry.h"

#include <array>
#include <cctype>
#include <utility>

namespace mixcast {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Two hex digits starting at `pos`; -1 when either is not a hex digit.
int hex_byte(std::string_view text, size_t pos) {
  const int hi = hex_digit(text[pos]);
  const int lo = hex_digit(text[pos + 1]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// CSS values, so that operators get what they know from the web.
constexpr std::array<std::pair<std::string_view, Color>, 11> kNamedColors{{
    {"black", {0, 0, 0, 255}},
    {"white", {255, 255, 255, 255}},
    {"red", {255, 0, 0, 255}},
    {"green", {0, 128, 0, 255}},
    {"blue", {0, 0, 255, 255}},
    {"yellow", {255, 255, 0, 255}},
    {"cyan", {0, 255, 255, 255}},
    {"magenta", {255, 0, 255, 255}},
    {"gray", {128, 128, 128, 255}},
    {"orange", {255, 165, 0, 255}},
    {"purple", {128, 0, 128, 255}},
}};

}  // namespace

std::optional<Color> Color::parse(std::string_view text) {
  if (!text.empty() && text.front() == '#') {
    if (text.size() != 7 && text.size() != 9) return std::nullopt;
    std::array<int, 4> bytes{0, 0, 0, 255};
    for (size_t i = 0; i * 2 + 1 < text.size(); ++i) {
      bytes[i] = hex_byte(text, 1 + i * 2);
      if (bytes[i] < 0) return std::nullopt;
    }
    return Color{static_cast<uint8_t>(bytes[0]), static_cast<uint8_t>(bytes[1]),
                 static_cast<uint8_t>(bytes[2]), static_cast<uint8_t>(bytes[3])};
  }
  for (const auto& [name, color] : kNamedColors) {
    if (iequals(text, name)) return color;
  }
  return std::nullopt;
}

std::string Color::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "#";
  auto put = [&out](uint8_t v) {
    out += kDigits[v >> 4];
    out += kDigits[v & 0xf];
  };
  put(r);
  put(g);
  put(b);
  if (a != 255) put(a);
  return out;
}

}  // namespace mixcast
