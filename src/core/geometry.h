// Small value types shared by layouts, config and the media layer. Pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mixcast {

struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool empty() const { return width <= 0 || height <= 0; }
  int center_x() const { return x + width / 2; }
  int center_y() const { return y + height / 2; }
  bool operator==(const Rect&) const = default;
};

// Pixels cut from each edge of a participant's source picture (fit: cover).
struct Crop {
  int left = 0;
  int right = 0;
  int top = 0;
  int bottom = 0;
  bool operator==(const Crop&) const = default;
};

struct Color {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
  uint8_t a = 255;
  bool operator==(const Color&) const = default;

  // Accepts "#rrggbb", "#rrggbbaa", "0xAARRGGBB" is not accepted (ambiguous);
  // and the names black, white, red, green, blue, yellow, cyan, magenta, gray,
  // orange, purple. Returns nullopt on anything else.
  static std::optional<Color> parse(std::string_view text);
  // 0xAARRGGBB as GStreamer's videotestsrc/compositor properties take it.
  uint32_t argb() const {
    return (uint32_t{a} << 24) | (uint32_t{r} << 16) | (uint32_t{g} << 8) | uint32_t{b};
  }
  std::string to_hex() const;  // "#rrggbb" (or "#rrggbbaa" when a != 255)
};

}  // namespace mixcast
