// Drawing on and reading from I420 frames: tile borders on the mixed canvas,
// the white flash of test://sync, and the colour checks of the tests.
// Pure code on plain plane pointers (BT.601 limited range, like GStreamer's
// default for SD/HD I420 from videotestsrc and compositor).
#pragma once

#include <cstdint>

#include "core/geometry.h"

namespace mixcast {

struct I420Frame {
  uint8_t* planes[3] = {nullptr, nullptr, nullptr};
  int strides[3] = {0, 0, 0};
  int width = 0;
  int height = 0;
};

struct Yuv {
  uint8_t y = 16;
  uint8_t u = 128;
  uint8_t v = 128;
};

Yuv rgb_to_yuv(const Color& color);
Color yuv_to_rgb(const Yuv& yuv);

// Fills `rect` (clipped to the frame). Chroma is written for the 2x2 blocks
// the rect covers, so odd edges round outward by one pixel at most.
void fill_rect(I420Frame& frame, const Rect& rect, const Color& color);
// A border of `width` pixels drawn inside `rect`.
void draw_border(I420Frame& frame, const Rect& rect, int width, const Color& color);
// Fills the whole frame (the flash of test://sync).
void fill_frame(I420Frame& frame, const Color& color);

// Average colour of the pixels of `rect` (clipped), converted back to RGB.
Color average_color(const I420Frame& frame, const Rect& rect);

// Distance between two colours: the largest per-channel difference.
int color_distance(const Color& a, const Color& b);

}  // namespace mixcast

namespace mixcast {
// Blends a premultiplied ARGB32 image (cairo's native-endian layout) onto the
// frame at (x, y), clipped. Used for name labels and overlays.
void blend_argb(I420Frame& frame, int x, int y, const uint8_t* argb, int width, int height,
                int stride);
}  // namespace mixcast
