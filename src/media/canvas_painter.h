// Draws what compositor does not: name labels, tile borders, placeholders for
// participants without video, and the layout's text and image overlays. It
// runs as a pad probe on the mixed I420 canvas; the main loop prepares a
// PaintPlan (text is rendered once with Pango, not per frame) and swaps it in.
#pragma once

#include <gst/gst.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/layout.h"

namespace mixcast {

// A pre-rendered premultiplied ARGB image (cairo's layout).
struct ArgbImage {
  int width = 0;
  int height = 0;
  int stride = 0;
  std::vector<uint8_t> pixels;
};

struct PaintPlan {
  struct Fill {
    Rect rect;
    Color color;
  };
  struct Border {
    Rect rect;
    int width;
    Color color;
  };
  struct Image {
    int x = 0;
    int y = 0;
    std::shared_ptr<const ArgbImage> image;
  };
  std::vector<Fill> fills;    // placeholders, drawn first
  std::vector<Image> images;  // placeholder images, overlays and labels, in order
  std::vector<Border> borders;
};

// Renders `text` with a Pango font description on a rounded background box.
std::shared_ptr<const ArgbImage> render_label(const std::string& text, const std::string& font,
                                              const Color& color, const Color& background);
// Loads a PNG, scaled to width x height when both are > 0; nullptr on failure.
std::shared_ptr<const ArgbImage> load_png(const std::string& path, int width, int height,
                                          double alpha);

// Builds paint plans on the main loop, keeping what the last plan drew: a
// label or image is rendered once while it stays on the canvas, not once per
// layout change, and one that left is forgotten (a room that runs for days
// sees thousands of names come and go).
class PaintPlanner {
 public:
  PaintPlan plan(const Composition& composition, const Layout& layout);
  // Images kept for the next plan: those the last plan drew.
  size_t kept_images() const { return kept_.size(); }

 private:
  using Images = std::map<std::string, std::shared_ptr<const ArgbImage>>;
  template <typename Make>
  std::shared_ptr<const ArgbImage> cached(const std::string& key, Make make, Images& drawn);
  Images kept_;
};

class CanvasPainter {
 public:
  // Attaches to `pad`, which carries the fixed I420 canvas.
  explicit CanvasPainter(GstPad* pad);
  ~CanvasPainter();
  CanvasPainter(const CanvasPainter&) = delete;
  CanvasPainter& operator=(const CanvasPainter&) = delete;

  void set_plan(PaintPlan plan);

 private:
  static GstPadProbeReturn on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer self);

  GstPad* pad_;
  gulong probe_ = 0;
  std::mutex mutex_;  // guards plan_ (main loop writes, streaming thread reads)
  std::shared_ptr<const PaintPlan> plan_;
};

}  // namespace mixcast
