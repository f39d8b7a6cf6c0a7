#include "media/canvas_painter.h"

#include <cairo.h>
#include <gst/video/video.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <cstring>

#include "core/i420.h"
#include "core/log.h"

namespace mixcast {

namespace {

std::shared_ptr<ArgbImage> from_surface(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  auto image = std::make_shared<ArgbImage>();
  image->width = cairo_image_surface_get_width(surface);
  image->height = cairo_image_surface_get_height(surface);
  image->stride = cairo_image_surface_get_stride(surface);
  const uint8_t* data = cairo_image_surface_get_data(surface);
  image->pixels.assign(data, data + static_cast<size_t>(image->stride) * image->height);
  return image;
}

void set_source(cairo_t* cr, const Color& c) {
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, c.a / 255.0);
}

// Where a label of size w x h goes inside `cell`, 8 px from the anchor's edges.
std::pair<int, int> anchor_label(const Rect& cell, Anchor anchor, int w, int h) {
  const int margin = 8;
  const int left = cell.x + margin, right = cell.x + cell.width - margin - w;
  const int top = cell.y + margin, bottom = cell.y + cell.height - margin - h;
  const int mid_x = cell.x + (cell.width - w) / 2, mid_y = cell.y + (cell.height - h) / 2;
  switch (anchor) {
    case Anchor::TopLeft:
      return {left, top};
    case Anchor::TopRight:
      return {right, top};
    case Anchor::BottomLeft:
      return {left, bottom};
    case Anchor::BottomRight:
      return {right, bottom};
    case Anchor::Top:
      return {mid_x, top};
    case Anchor::Bottom:
      return {mid_x, bottom};
    case Anchor::Center:
      return {mid_x, mid_y};
  }
  return {left, bottom};
}

}  // namespace

std::shared_ptr<const ArgbImage> render_label(const std::string& text, const std::string& font,
                                              const Color& color, const Color& background) {
  // Measure first on a scratch surface, then draw on one of the right size.
  cairo_surface_t* scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t* cr = cairo_create(scratch);
  PangoLayout* layout = pango_cairo_create_layout(cr);
  PangoFontDescription* desc = pango_font_description_from_string(font.c_str());
  pango_layout_set_font_description(layout, desc);
  pango_font_description_free(desc);
  pango_layout_set_text(layout, text.c_str(), -1);
  int tw = 0, th = 0;
  pango_layout_get_pixel_size(layout, &tw, &th);
  const int pad_x = 8, pad_y = 4;
  const int w = std::max(1, tw + 2 * pad_x), h = std::max(1, th + 2 * pad_y);
  cairo_destroy(cr);
  cairo_surface_destroy(scratch);

  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create(surface);
  set_source(cr, background);
  const double r = 4;
  cairo_new_sub_path(cr);
  cairo_arc(cr, w - r, r, r, -G_PI / 2, 0);
  cairo_arc(cr, w - r, h - r, r, 0, G_PI / 2);
  cairo_arc(cr, r, h - r, r, G_PI / 2, G_PI);
  cairo_arc(cr, r, r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path(cr);
  cairo_fill(cr);
  set_source(cr, color);
  cairo_move_to(cr, pad_x, pad_y);
  pango_cairo_update_layout(cr, layout);
  pango_cairo_show_layout(cr, layout);
  g_object_unref(layout);
  cairo_destroy(cr);
  auto image = from_surface(surface);
  cairo_surface_destroy(surface);
  return image;
}

std::shared_ptr<const ArgbImage> load_png(const std::string& path, int width, int height,
                                          double alpha) {
  cairo_surface_t* png = cairo_image_surface_create_from_png(path.c_str());
  if (cairo_surface_status(png) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(png);
    return nullptr;
  }
  const int pw = cairo_image_surface_get_width(png), ph = cairo_image_surface_get_height(png);
  const int w = width > 0 ? width : pw, h = height > 0 ? height : ph;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t* cr = cairo_create(surface);
  cairo_scale(cr, double(w) / pw, double(h) / ph);
  cairo_set_source_surface(cr, png, 0, 0);
  cairo_paint_with_alpha(cr, alpha);
  cairo_destroy(cr);
  cairo_surface_destroy(png);
  auto image = from_surface(surface);
  cairo_surface_destroy(surface);
  return image;
}

template <typename Make>
std::shared_ptr<const ArgbImage> PaintPlanner::cached(const std::string& key, Make make,
                                                      Images& drawn) {
  if (auto it = drawn.find(key); it != drawn.end()) return it->second;
  auto it = kept_.find(key);
  std::shared_ptr<const ArgbImage> image = it != kept_.end() ? it->second : make();
  drawn.emplace(key, image);
  return image;
}

PaintPlan PaintPlanner::plan(const Composition& composition, const Layout& layout) {
  PaintPlan plan;
  Images drawn;
  const int cw = composition.canvas_width, ch = composition.canvas_height;
  for (const auto& tile : composition.tiles) {
    if (tile.placeholder) {
      plan.fills.push_back({tile.cell, tile.placeholder_style.color});
      if (!tile.placeholder_style.image.empty()) {
        const std::string& img = tile.placeholder_style.image;
        auto image = cached(
            "png:" + img + ":" + std::to_string(tile.cell.width) + "x" +
                std::to_string(tile.cell.height),
            [&] { return load_png(img, 0, 0, 1.0); }, drawn);
        if (image)
          plan.images.push_back({tile.cell.center_x() - image->width / 2,
                                 tile.cell.center_y() - image->height / 2, image});
      }
    }
  }
  for (const auto& overlay : layout.overlays) {
    const int x = overlay.x.resolve(cw), y = overlay.y.resolve(ch);
    std::shared_ptr<const ArgbImage> image;
    if (overlay.kind == Overlay::Kind::Image) {
      const int w = overlay.width ? overlay.width->resolve(cw) : 0;
      const int h = overlay.height ? overlay.height->resolve(ch) : 0;
      image = cached(
          "png:" + overlay.image + ":" + std::to_string(w) + "x" + std::to_string(h) + ":" +
              std::to_string(overlay.alpha),
          [&] { return load_png(overlay.image, w, h, overlay.alpha); }, drawn);
      if (!image)
        LOG_WARN << "layout " << layout.name << ": cannot load overlay image " << overlay.image;
    } else {
      Color color = overlay.color;
      color.a = static_cast<uint8_t>(color.a * overlay.alpha);
      image = cached(
          "text:" + overlay.text + ":" + overlay.font + ":" + color.to_hex(),
          [&] {
            return render_label(overlay.text, overlay.font, color, Color{0, 0, 0, 0});
          },
          drawn);
    }
    if (image) plan.images.push_back({x, y, image});
  }
  for (const auto& tile : composition.tiles) {
    if (tile.border.width > 0)
      plan.borders.push_back({tile.cell, tile.border.width, tile.border.color});
    if (tile.label.empty()) continue;
    const auto& style = tile.label_style;
    auto image = cached(
        "label:" + tile.label + ":" + style.font + ":" + style.color.to_hex() + ":" +
            style.background.to_hex(),
        [&] { return render_label(tile.label, style.font, style.color, style.background); }, drawn);
    auto [x, y] = anchor_label(tile.cell, style.position, image->width, image->height);
    plan.images.push_back({x, y, image});
  }
  kept_ = std::move(drawn);
  return plan;
}

CanvasPainter::CanvasPainter(GstPad* pad) : pad_(GST_PAD(gst_object_ref(pad))) {
  probe_ =
      gst_pad_add_probe(pad_, GST_PAD_PROBE_TYPE_BUFFER, &CanvasPainter::on_buffer, this, nullptr);
}

CanvasPainter::~CanvasPainter() {
  gst_pad_remove_probe(pad_, probe_);
  gst_object_unref(pad_);
}

void CanvasPainter::set_plan(PaintPlan plan) {
  auto shared = std::make_shared<const PaintPlan>(std::move(plan));
  std::lock_guard lock(mutex_);
  plan_ = std::move(shared);
}

GstPadProbeReturn CanvasPainter::on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<CanvasPainter*>(data);
  std::shared_ptr<const PaintPlan> plan;
  {
    std::lock_guard lock(self->mutex_);
    plan = self->plan_;
  }
  if (!plan || (plan->fills.empty() && plan->images.empty() && plan->borders.empty()))
    return GST_PAD_PROBE_OK;
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  GstVideoInfo vinfo;
  const bool ok = caps && gst_video_info_from_caps(&vinfo, caps);
  if (caps) gst_caps_unref(caps);
  GstVideoFrame frame;
  if (!ok || !gst_video_frame_map(&frame, &vinfo, buffer, GST_MAP_READWRITE))
    return GST_PAD_PROBE_OK;
  I420Frame f;
  for (int i = 0; i < 3; ++i) {
    f.planes[i] = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, i));
    f.strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, i);
  }
  f.width = GST_VIDEO_FRAME_WIDTH(&frame);
  f.height = GST_VIDEO_FRAME_HEIGHT(&frame);
  for (const auto& fill : plan->fills) fill_rect(f, fill.rect, fill.color);
  for (const auto& img : plan->images)
    blend_argb(f, img.x, img.y, img.image->pixels.data(), img.image->width, img.image->height,
               img.image->stride);
  for (const auto& border : plan->borders) draw_border(f, border.rect, border.width, border.color);
  gst_video_frame_unmap(&frame);
  return GST_PAD_PROBE_OK;
}

}  // namespace mixcast
