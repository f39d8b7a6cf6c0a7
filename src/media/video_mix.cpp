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
  // On a plain black canvas the compositor's own black fill is the background:
  // the live input then only keeps time. Blending a full frame of it every
  // frame (a third of the compositor's CPU) is skipped, and its frames are
  // tiny: painting a canvas-sized frame nobody sees cost 2 % of a 4-guest
  // room's CPU (bench/mix-cpu.sh PROFILE=1).
  const bool plain_black = spec.background_image.empty() && spec.background == Color{0, 0, 0, 255};
  GstElement* bg_caps = make_background(plain_black);
  // Fixed output caps: a participant joining can never renegotiate the encoder.
  capsfilter_ = make_element("capsfilter", "video-canvas");
  MiniPtr<GstCaps> canvas(gst_caps_new_simple(
      "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, spec.width, "height",
      G_TYPE_INT, spec.height, "framerate", GST_TYPE_FRACTION, spec.fps, 1, "pixel-aspect-ratio",
      GST_TYPE_FRACTION, 1, 1, nullptr));
  g_object_set(capsfilter_, "caps", canvas.get(), nullptr);

  gst_bin_add_many(pipeline_, compositor_, capsfilter_, nullptr);
  GstPad* bg_pad = gst_element_request_pad_simple(compositor_, "sink_%u");
  g_object_set(bg_pad, "zorder", 0u, "alpha", plain_black ? 0.0 : 1.0, nullptr);
  GstPad* bg_src = gst_element_get_static_pad(bg_caps, "src");
  gst_pad_link(bg_src, bg_pad);
  gst_object_unref(bg_src);
  gst_object_unref(bg_pad);
  gst_element_link(compositor_, capsfilter_);

  src_pad_ = gst_element_get_static_pad(capsfilter_, "src");
  painter_ = std::make_unique<CanvasPainter>(src_pad_);
}

// The background branch, ending in a capsfilter of the canvas size: a still
// image frozen into a live stream, or a plain colour. Only a clock when
// `timing_only` (the canvas is the compositor's black): 16x16 frames.
GstElement* VideoMix::make_background(bool timing_only) {
  constexpr int kTimingOnlySize = 16;
  MiniPtr<GstCaps> caps(gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width",
                                            G_TYPE_INT, timing_only ? kTimingOnlySize : spec_.width,
                                            "height", G_TYPE_INT,
                                            timing_only ? kTimingOnlySize : spec_.height,
                                            "framerate", GST_TYPE_FRACTION, spec_.fps, 1, nullptr));
  GstElement* out = make_element("capsfilter", "video-background-caps");
  g_object_set(out, "caps", caps.get(), nullptr);
  const std::string& image = spec_.background_image;
  const bool png = g_str_has_suffix(image.c_str(), ".png");
  const bool jpeg =
      g_str_has_suffix(image.c_str(), ".jpg") || g_str_has_suffix(image.c_str(), ".jpeg");
  if (!image.empty() && (png || jpeg) && g_file_test(image.c_str(), G_FILE_TEST_IS_REGULAR)) {
    GstElement* src = make_element("filesrc", "video-background");
    g_object_set(src, "location", image.c_str(), nullptr);
    GstElement* decode = make_element(png ? "pngdec" : "jpegdec");
    GstElement* convert = make_element("videoconvert");
    GstElement* scale = make_element("videoscale");
    GstElement* freeze = make_element("imagefreeze");
    g_object_set(freeze, "is-live", TRUE, nullptr);
    gst_bin_add_many(pipeline_, src, decode, convert, scale, freeze, out, nullptr);
    if (gst_element_link_many(src, decode, convert, scale, freeze, out, nullptr)) return out;
    LOG_WARN << "video mix: cannot use background image " << image;
    for (GstElement* e : {src, decode, convert, scale, freeze}) gst_bin_remove(pipeline_, e);
  } else if (!image.empty()) {
    LOG_WARN << "video mix: background image " << image
             << " is not a readable PNG or JPEG file; using the background colour";
  }
  if (!GST_OBJECT_PARENT(out)) gst_bin_add(pipeline_, out);
  GstElement* colour = make_element("videotestsrc", "video-background");
  g_object_set(colour, "is-live", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(colour), "pattern", "solid-color");
  g_object_set(colour, "foreground-color", spec_.background.argb(), nullptr);
  gst_bin_add(pipeline_, colour);
  gst_element_link(colour, out);
  return out;
}

VideoMix::~VideoMix() {
  painter_.reset();
  gst_object_unref(src_pad_);
}

void VideoMix::add_input(const std::string& participant_id, GstPad* video_src) {
  if (inputs_.count(participant_id)) remove_input(participant_id);
  Input input;
  input.tee = make_element("tee", ("video-tee-" + participant_id).c_str());
  g_object_set(input.tee, "allow-not-linked", TRUE, nullptr);
  gst_bin_add(pipeline_, input.tee);
  GstPad* tee_sink = gst_element_get_static_pad(input.tee, "sink");
  if (gst_pad_link(video_src, tee_sink) != GST_PAD_LINK_OK)
    LOG_ERROR << "video mix: cannot link participant " << participant_id;
  gst_object_unref(tee_sink);
  input.branches.push_back(add_branch(participant_id, input.tee));
  gst_element_sync_state_with_parent(input.tee);
  inputs_.emplace(participant_id, std::move(input));
}

VideoMix::Branch VideoMix::add_branch(const std::string& participant_id, GstElement* tee) {
  Branch branch;
  branch.bin = gst_bin_new(nullptr);
  GstElement* queue = make_element("queue");
  // A short queue: the compositor takes the newest frame; a slow source must
  // not build up latency.
  g_object_set(queue, "max-size-buffers", 3u, "max-size-bytes", 0u, "max-size-time", guint64(0),
               nullptr);
  // The crop before the queue: the participant's own streaming thread (the
  // one pushing into their tee) carries both the frames and the caps queries
  // through it, and sets its values (see set_crop_before_next_frame).
  GstElement* crop = make_element("videocrop", "crop");
  gst_bin_add_many(GST_BIN(branch.bin), crop, queue, nullptr);
  gst_element_link(crop, queue);
  GstPad* sink = gst_element_get_static_pad(crop, "sink");
  GstPad* src = gst_element_get_static_pad(queue, "src");
  gst_element_add_pad(branch.bin, gst_ghost_pad_new("sink", sink));
  gst_element_add_pad(branch.bin, gst_ghost_pad_new("src", src));
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_bin_add(pipeline_, branch.bin);

  branch.mixer_pad.reset(gst_element_request_pad_simple(compositor_, "sink_%u"));
  // Hidden until the layout places it.
  g_object_set(branch.mixer_pad.get(), "alpha", 0.0, "zorder", 1u, nullptr);
  branch.tee_pad.reset(gst_element_request_pad_simple(tee, "src_%u"));
  GstPad* bin_src = gst_element_get_static_pad(branch.bin, "src");
  GstPad* bin_sink = gst_element_get_static_pad(branch.bin, "sink");
  // Running before the participant's tee feeds it: a new tile of someone
  // already on screen would otherwise get FLUSHING back into their tee,
  // which stops their video for good.
  const bool to_mixer = gst_pad_link(bin_src, branch.mixer_pad.get()) == GST_PAD_LINK_OK;
  gst_element_sync_state_with_parent(branch.bin);
  if (!to_mixer || gst_pad_link(branch.tee_pad.get(), bin_sink) != GST_PAD_LINK_OK)
    LOG_ERROR << "video mix: cannot link a tile of participant " << participant_id;
  gst_object_unref(bin_src);
  gst_object_unref(bin_sink);
  return branch;
}

void VideoMix::remove_branch(GstElement* tee, Branch& branch) {
  // A tile of someone who stays: detach from the tee first (this waits out a
  // push in flight), so that the participant's stream never sees the branch
  // flushing.
  gst_element_release_request_pad(tee, branch.tee_pad.get());
  branch.tee_pad.reset();
  stop_and_remove(pipeline_, branch.bin);
  release_mixer_pad(branch);
}

namespace {

struct CropChange {
  GstElement* crop;  // ref
  Crop values;
};

// Runs in the participant's streaming thread, on the frame about to enter
// the videocrop: the new values are set before basetransform looks at the
// frame, so its pending reconfigure renegotiates the output size first.
GstPadProbeReturn set_crop_now(GstPad*, GstPadProbeInfo*, gpointer data) {
  const auto* change = static_cast<const CropChange*>(data);
  g_object_set(change->crop, "left", change->values.left, "right", change->values.right, "top",
               change->values.top, "bottom", change->values.bottom, nullptr);
  return GST_PAD_PROBE_REMOVE;
}

}  // namespace

// A videocrop (1.22) takes its values afresh at each step. Changed from
// another thread, they broke it two ways: in the middle of a frame it copied
// with the old sizes, past the end of its input (ASan: heap-buffer-overflow
// in a rapid join and leave); in the middle of a caps query (a participant
// renegotiating after a core rebuild, or a guest changing resolution) it
// answered EMPTY caps, and the participant's stream ended with
// not-negotiated. So only the thread that carries both through it, the
// participant's own (the videocrop sits before the branch's queue), sets the
// values, on the next frame: a one-shot buffer probe on its sink pad.
// Several changes before a frame come in order, the last one wins; no
// frame, nothing to crop.
void VideoMix::set_crop_before_next_frame(Branch& branch, const Crop& crop) {
  GstElement* element = gst_bin_get_by_name(GST_BIN(branch.bin), "crop");
  if (!element) return;
  GstPad* sink = gst_element_get_static_pad(element, "sink");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, &set_crop_now, new CropChange{element, crop},
                    [](gpointer data) {
                      auto* change = static_cast<CropChange*>(data);
                      gst_object_unref(change->crop);
                      delete change;
                    });
  gst_object_unref(sink);
}

void VideoMix::release_mixer_pad(Branch& branch) {
  if (!branch.mixer_pad) return;
  gst_element_release_request_pad(compositor_, branch.mixer_pad.get());
  branch.mixer_pad.reset();
}

void VideoMix::remove_input(const std::string& participant_id) {
  auto it = inputs_.find(participant_id);
  if (it == inputs_.end()) return;
  Input input = std::move(it->second);
  inputs_.erase(it);
  // Someone who leaves: the compositor's pads go first. Releasing one
  // flushes it, so a push or a serialized query of the participant waiting
  // inside the compositor returns, and so does every thread waiting behind
  // it (a branch queue's, the participant's own in the tee). Only then can
  // the tee and the branches stop without waiting on a streaming thread.
  for (auto& branch : input.branches) release_mixer_pad(branch);
  leave_parent_state(input.tee);
  gst_element_set_state(input.tee, GST_STATE_NULL);
  for (auto& branch : input.branches) remove_branch(input.tee, branch);
  gst_bin_remove(pipeline_, input.tee);
}

void VideoMix::apply(const Composition& composition, const Layout& layout) {
  std::map<std::string, std::vector<const Tile*>> placed;
  for (const auto& tile : composition.tiles)
    if (!tile.placeholder) placed[tile.participant_id].push_back(&tile);
  for (auto& [id, input] : inputs_) {
    const auto& tiles = placed[id];
    // One branch per tile (at least one, so that the stream keeps flowing).
    while (input.branches.size() < tiles.size())
      input.branches.push_back(add_branch(id, input.tee));
    while (input.branches.size() > std::max<size_t>(1, tiles.size())) {
      remove_branch(input.tee, input.branches.back());
      input.branches.pop_back();
    }
    for (size_t i = 0; i < input.branches.size(); ++i) {
      Branch& branch = input.branches[i];
      if (i >= tiles.size()) {
        g_object_set(branch.mixer_pad.get(), "alpha", 0.0, nullptr);
        continue;
      }
      const Tile& tile = *tiles[i];
      if (!(tile.crop == branch.crop)) {
        set_crop_before_next_frame(branch, tile.crop);
        branch.crop = tile.crop;
      }
      g_object_set(branch.mixer_pad.get(), "xpos", tile.rect.x, "ypos", tile.rect.y, "width",
                   tile.rect.width, "height", tile.rect.height, "zorder", guint(tile.z + 1),
                   "alpha", 1.0, nullptr);
    }
  }
  painter_->set_plan(planner_.plan(composition, layout));
}

}  // namespace mixcast
