#include "core/i420.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace mixcast {

namespace {

uint8_t clamp_byte(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

Rect clip(const I420Frame& frame, const Rect& r) {
  const int x0 = std::max(r.x, 0);
  const int y0 = std::max(r.y, 0);
  const int x1 = std::min(r.x + r.width, frame.width);
  const int y1 = std::min(r.y + r.height, frame.height);
  return Rect{x0, y0, std::max(0, x1 - x0), std::max(0, y1 - y0)};
}

}  // namespace

Yuv rgb_to_yuv(const Color& c) {
  const double r = c.r, g = c.g, b = c.b;
  return Yuv{clamp_byte(16 + 0.257 * r + 0.504 * g + 0.098 * b),
             clamp_byte(128 - 0.148 * r - 0.291 * g + 0.439 * b),
             clamp_byte(128 + 0.439 * r - 0.368 * g - 0.071 * b)};
}

Color yuv_to_rgb(const Yuv& yuv) {
  const double y = 1.164 * (yuv.y - 16.0);
  const double u = yuv.u - 128.0;
  const double v = yuv.v - 128.0;
  return Color{clamp_byte(y + 1.596 * v), clamp_byte(y - 0.392 * u - 0.813 * v),
               clamp_byte(y + 2.017 * u), 255};
}

void fill_rect(I420Frame& frame, const Rect& rect, const Color& color) {
  const Rect r = clip(frame, rect);
  if (r.empty()) return;
  const Yuv yuv = rgb_to_yuv(color);
  for (int row = r.y; row < r.y + r.height; ++row)
    std::memset(frame.planes[0] + row * frame.strides[0] + r.x, yuv.y, r.width);
  const int cx0 = r.x / 2, cy0 = r.y / 2;
  const int cx1 = (r.x + r.width + 1) / 2, cy1 = (r.y + r.height + 1) / 2;
  for (int row = cy0; row < cy1; ++row) {
    std::memset(frame.planes[1] + row * frame.strides[1] + cx0, yuv.u, cx1 - cx0);
    std::memset(frame.planes[2] + row * frame.strides[2] + cx0, yuv.v, cx1 - cx0);
  }
}

void draw_border(I420Frame& frame, const Rect& rect, int width, const Color& color) {
  if (width <= 0 || rect.empty()) return;
  const int w = std::min({width, rect.width / 2 + 1, rect.height / 2 + 1});
  fill_rect(frame, Rect{rect.x, rect.y, rect.width, w}, color);
  fill_rect(frame, Rect{rect.x, rect.y + rect.height - w, rect.width, w}, color);
  fill_rect(frame, Rect{rect.x, rect.y, w, rect.height}, color);
  fill_rect(frame, Rect{rect.x + rect.width - w, rect.y, w, rect.height}, color);
}

void fill_frame(I420Frame& frame, const Color& color) {
  fill_rect(frame, Rect{0, 0, frame.width, frame.height}, color);
}

Color average_color(const I420Frame& frame, const Rect& rect) {
  const Rect r = clip(frame, rect);
  if (r.empty()) return Color{};
  double y = 0, u = 0, v = 0;
  for (int row = r.y; row < r.y + r.height; ++row)
    for (int col = r.x; col < r.x + r.width; ++col)
      y += frame.planes[0][row * frame.strides[0] + col];
  const int cx0 = r.x / 2, cy0 = r.y / 2;
  const int cx1 = std::max(cx0 + 1, (r.x + r.width) / 2);
  const int cy1 = std::max(cy0 + 1, (r.y + r.height) / 2);
  for (int row = cy0; row < cy1; ++row)
    for (int col = cx0; col < cx1; ++col) {
      u += frame.planes[1][row * frame.strides[1] + col];
      v += frame.planes[2][row * frame.strides[2] + col];
    }
  const double luma_n = double(r.width) * r.height;
  const double chroma_n = double(cx1 - cx0) * (cy1 - cy0);
  return yuv_to_rgb(
      Yuv{clamp_byte(y / luma_n), clamp_byte(u / chroma_n), clamp_byte(v / chroma_n)});
}

int color_distance(const Color& a, const Color& b) {
  return std::max({std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b)});
}

}  // namespace mixcast

namespace mixcast {

void blend_argb(I420Frame& frame, int x, int y, const uint8_t* argb, int width, int height,
                int stride) {
  // Cairo stores each pixel as a native-endian uint32 0xAARRGGBB, premultiplied.
  auto pixel = [&](int px, int py) {
    uint32_t v;
    std::memcpy(&v, argb + py * stride + px * 4, 4);
    return v;
  };
  const int x0 = std::max(0, -x), y0 = std::max(0, -y);
  const int x1 = std::min(width, frame.width - x), y1 = std::min(height, frame.height - y);
  for (int py = y0; py < y1; ++py) {
    uint8_t* row = frame.planes[0] + (y + py) * frame.strides[0] + x;
    for (int px = x0; px < x1; ++px) {
      const uint32_t v = pixel(px, py);
      const int a = v >> 24;
      if (a == 0) continue;
      // Premultiplied: the luma of the colour is already scaled by alpha.
      const double r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
      const double luma_src = 16.0 * a / 255.0 + 0.257 * r + 0.504 * g + 0.098 * b;
      row[px] = clamp_byte(luma_src + row[px] * (255 - a) / 255.0);
    }
  }
  // Chroma: one sample per 2x2 block, blended with the block's mean alpha.
  for (int cy = (y + y0) / 2; cy < (y + y1 + 1) / 2; ++cy) {
    for (int cx = (x + x0) / 2; cx < (x + x1 + 1) / 2; ++cx) {
      double a = 0, r = 0, g = 0, b = 0;
      int n = 0;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int px = cx * 2 + dx - x, py = cy * 2 + dy - y;
          if (px < x0 || px >= x1 || py < y0 || py >= y1) continue;
          const uint32_t v = pixel(px, py);
          a += v >> 24;
          r += (v >> 16) & 0xff;
          g += (v >> 8) & 0xff;
          b += v & 0xff;
          ++n;
        }
      if (n == 0 || a == 0) continue;
      a /= 4.0 * 255.0;  // blocks cut by the edge count as partly transparent
      r /= 4.0, g /= 4.0, b /= 4.0;
      uint8_t* u = frame.planes[1] + cy * frame.strides[1] + cx;
      uint8_t* v = frame.planes[2] + cy * frame.strides[2] + cx;
      *u = clamp_byte(128.0 * a - 0.148 * r - 0.291 * g + 0.439 * b + *u * (1 - a));
      *v = clamp_byte(128.0 * a + 0.439 * r - 0.368 * g - 0.071 * b + *v * (1 - a));
    }
  }
}

}  // namespace mixcast
