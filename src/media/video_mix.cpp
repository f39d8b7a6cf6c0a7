#include "media/video_mix.h"

#include "core/log.h"

namespace mixcast {

VideoMix::VideoMix(GstBin* pipeline, const CanvasSpec& spec) : pipeline_(pipeline), spec_(spec) {
  compositor_ = make_element("compositor", "video-mixer");
  g_object_set(compositor_, "latency", guint64(spec.latency_ms) * GST_MSECOND,
               "min-upstream-latency", guint64(spec.latency_ms) * GST_MSECOND,
               "ignore-inactive-pads", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(compositor_), "background", "black");
  gst_util_set_object_arg(G_OBJECT(compositor_), "start-time-selection", "first");

  // Permanent live background: keeps the mixer's timeline and output alive
  // whoever joins or leaves.
  GstElement* background = make_element("videotestsrc", "video-background");
  g_object_set(background, "is-live", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(background), "pattern", "solid-color");
  g_object_set(background, "foreground-color", spec.background.argb(), nullptr);
  GstElement* bg_caps = make_element("capsfilter", "video-background-caps");
  MiniPtr<GstCaps> small(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420",
                                             "width", G_TYPE_INT, spec.width, "height", G_TYPE_INT,
                                             spec.height, "framerate", GST_TYPE_FRACTION, spec.fps,
                                             1, nullptr));
  g_object_set(bg_caps, "caps", small.get(), nullptr);

  // Fixed output caps: a participant joining can never renegotiate the encoder.
  capsfilter_ = make_element("capsfilter", "video-canvas");
  MiniPtr<GstCaps> canvas(gst_caps_new_simple(
      "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, spec.width, "height",
      G_TYPE_INT, spec.height, "framerate", GST_TYPE_FRACTION, spec.fps, 1, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, 1, 1, nullptr));
  g_object_set(capsfilter_, "caps", canvas.get(), nullptr);

  gst_bin_add_many(pipeline_, background, bg_caps, compositor_, capsfilter_, nullptr);
  gst_element_link(background, bg_caps);
  GstPad* bg_pad = gst_element_request_pad_simple(compositor_, "sink_%u");
  g_object_set(bg_pad, "zorder", 0u, nullptr);
  GstPad* bg_src = gst_element_get_static_pad(bg_caps, "src");
  gst_pad_link(bg_src, bg_pad);
  gst_object_unref(bg_src);
  gst_object_unref(bg_pad);
  gst_element_link(compositor_, capsfilter_);

  src_pad_ = gst_element_get_static_pad(capsfilter_, "src");
  painter_ = std::make_unique<CanvasPainter>(src_pad_);
}

VideoMix::~VideoMix() {
  painter_.reset();
  for (auto& [id, input] : inputs_) gst_object_unref(input.mixer_pad);
  gst_object_unref(src_pad_);
}

void VideoMix::add_input(const std::string& participant_id, GstPad* video_src) {
  if (inputs_.count(participant_id)) remove_input(participant_id);
  Input input;
  input.bin = gst_bin_new(("video-input-" + participant_id).c_str());
  GstElement* queue = make_element("queue");
  // A short queue: the compositor takes the newest frame; a slow source must
  // not build up latency.
  g_object_set(queue, "max-size-buffers", 3u, "max-size-bytes", 0u, "max-size-time", guint64(0),
               nullptr);
  GstElement* crop = make_element("videocrop", "crop");
  gst_bin_add_many(GST_BIN(input.bin), queue, crop, nullptr);
  gst_element_link(queue, crop);
  GstPad* sink = gst_element_get_static_pad(queue, "sink");
  GstPad* src = gst_element_get_static_pad(crop, "src");
  gst_element_add_pad(input.bin, gst_ghost_pad_new("sink", sink));
  gst_element_add_pad(input.bin, gst_ghost_pad_new("src", src));
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_bin_add(pipeline_, input.bin);

  input.mixer_pad = gst_element_request_pad_simple(compositor_, "sink_%u");
  // Hidden until the layout places it.
  g_object_set(input.mixer_pad, "alpha", 0.0, "zorder", 1u, nullptr);
  GstPad* bin_src = gst_element_get_static_pad(input.bin, "src");
  GstPad* bin_sink = gst_element_get_static_pad(input.bin, "sink");
  if (gst_pad_link(bin_src, input.mixer_pad) != GST_PAD_LINK_OK ||
      gst_pad_link(video_src, bin_sink) != GST_PAD_LINK_OK)
    LOG_ERROR << "video mix: cannot link participant " << participant_id;
  gst_object_unref(bin_src);
  gst_object_unref(bin_sink);
  gst_element_sync_state_with_parent(input.bin);
  inputs_.emplace(participant_id, input);
}

void VideoMix::remove_input(const std::string& participant_id) {
  auto it = inputs_.find(participant_id);
  if (it == inputs_.end()) return;
  Input input = it->second;
  inputs_.erase(it);
  gst_element_set_state(input.bin, GST_STATE_NULL);
  gst_bin_remove(pipeline_, input.bin);  // unlinks it
  gst_element_release_request_pad(compositor_, input.mixer_pad);
  gst_object_unref(input.mixer_pad);
}

void VideoMix::apply(const Composition& composition, const Layout& layout) {
  std::map<std::string, const Tile*> placed;
  for (const auto& tile : composition.tiles)
    if (!tile.placeholder) placed.emplace(tile.participant_id, &tile);
  for (auto& [id, input] : inputs_) {
    auto it = placed.find(id);
    if (it == placed.end()) {
      g_object_set(input.mixer_pad, "alpha", 0.0, nullptr);
      continue;
    }
    const Tile& tile = *it->second;
    g_object_set(input.mixer_pad, "xpos", tile.rect.x, "ypos", tile.rect.y, "width",
                 tile.rect.width, "height", tile.rect.height, "zorder", guint(tile.z + 1), "alpha",
                 1.0, nullptr);
    if (!(tile.crop == input.crop)) {
      GstElement* crop = gst_bin_get_by_name(GST_BIN(input.bin), "crop");
      g_object_set(crop, "left", tile.crop.left, "right", tile.crop.right, "top", tile.crop.top,
                   "bottom", tile.crop.bottom, nullptr);
      gst_object_unref(crop);
      input.crop = tile.crop;
    }
  }
  painter_->set_plan(plan_paint(composition, layout));
}

}  // namespace mixcast
