#include <gtest/gtest.h>

#include <vector>

#include "core/i420.h"

using namespace mixcast;

namespace {
struct Buffer {
  std::vector<uint8_t> data;
  I420Frame frame;
  Buffer(int w, int h) : data(w * h + 2 * ((w + 1) / 2) * ((h + 1) / 2)) {
    frame.width = w;
    frame.height = h;
    frame.strides[0] = w;
    frame.strides[1] = frame.strides[2] = (w + 1) / 2;
    frame.planes[0] = data.data();
    frame.planes[1] = frame.planes[0] + w * h;
    frame.planes[2] = frame.planes[1] + frame.strides[1] * ((h + 1) / 2);
  }
};
}  // namespace

class RoundTrip : public ::testing::TestWithParam<Color> {};

TEST_P(RoundTrip, RgbYuvRgb) {
  const Color c = GetParam();
  EXPECT_LE(color_distance(yuv_to_rgb(rgb_to_yuv(c)), c), 3);
}

INSTANTIATE_TEST_SUITE_P(Colours, RoundTrip,
                         ::testing::Values(Color{255, 0, 0}, Color{0, 255, 0}, Color{0, 0, 255},
                                           Color{255, 255, 255}, Color{0, 0, 0},
                                           Color{200, 100, 50}, Color{255, 255, 0}));

TEST(I420, FillAndAverage) {
  Buffer b(64, 36);
  fill_frame(b.frame, Color{0, 0, 0});
  fill_rect(b.frame, Rect{10, 10, 20, 12}, Color{255, 0, 0});
  EXPECT_LE(color_distance(average_color(b.frame, Rect{12, 12, 16, 8}), Color{255, 0, 0}), 3);
  EXPECT_LE(color_distance(average_color(b.frame, Rect{40, 20, 10, 10}), Color{0, 0, 0}), 3);
}

TEST(I420, BorderLeavesTheInsideAlone) {
  Buffer b(65, 37);  // odd sizes
  fill_frame(b.frame, Color{0, 0, 255});
  draw_border(b.frame, Rect{0, 0, 65, 37}, 4, Color{255, 255, 255});
  EXPECT_LE(color_distance(average_color(b.frame, Rect{0, 0, 65, 4}), Color{255, 255, 255}), 3);
  EXPECT_LE(color_distance(average_color(b.frame, Rect{8, 8, 40, 20}), Color{0, 0, 255}), 3);
}

TEST(I420, ClipsRectsOffTheFrame) {
  Buffer b(32, 32);
  fill_frame(b.frame, Color{0, 0, 0});
  fill_rect(b.frame, Rect{-10, -10, 100, 100}, Color{0, 255, 0});
  EXPECT_LE(color_distance(average_color(b.frame, Rect{0, 0, 32, 32}), Color{0, 255, 0}), 3);
}
