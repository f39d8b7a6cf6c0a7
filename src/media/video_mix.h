// The room's video mix: a live compositor with a permanent background input
// (see GSTREAMER-NOTES: a live aggregator must never start empty), fixed I420
// output caps, and per participant a tee with one branch per tile showing
// them (videocrop ! queue into a compositor pad: a layout may show the same
// person twice, as speaker and in their own seat). The CanvasPainter draws
// labels and borders on top.
#pragma once

#include <gst/gst.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/layout.h"
#include "media/canvas_painter.h"
#include "media/gst_ptr.h"

namespace mixcast {

struct CanvasSpec {
  int width = 1280;
  int height = 720;
  int fps = 30;
  Color background{0, 0, 0, 255};
  std::string background_image;  // PNG or JPEG; empty = the plain colour
  int latency_ms = 100;
};

class VideoMix {
 public:
  VideoMix(GstBin* pipeline, const CanvasSpec& spec);
  ~VideoMix();
  VideoMix(const VideoMix&) = delete;
  VideoMix& operator=(const VideoMix&) = delete;

  // The fixed-caps canvas, ready to link to the encoder.
  GstPad* src_pad() const { return src_pad_; }

  // Links a participant's raw video pad into the mix (hidden until the next
  // apply()).
  void add_input(const std::string& participant_id, GstPad* video_src);
  // Unlinks and releases the participant's compositor input. The participant's
  // own elements must already be stopped.
  void remove_input(const std::string& participant_id);
  // Places every input where the composition says; inputs without a tile are hidden.
  void apply(const Composition& composition, const Layout& layout);

  const CanvasSpec& spec() const { return spec_; }

 private:
  GstElement* make_background(bool timing_only);

  struct Branch {
    GstElement* bin = nullptr;  // videocrop ! queue, owned by the pipeline
    // Our references to the request pads: released (and dropped) when the
    // branch goes, dropped with the mix when the room's core is torn down.
    GstPtr<GstPad> tee_pad;
    GstPtr<GstPad> mixer_pad;
    Crop crop;
  };
  struct Input {
    GstElement* tee = nullptr;
    std::vector<Branch> branches;  // at least one, hidden when not shown
  };
  Branch add_branch(const std::string& participant_id, GstElement* tee);
  void remove_branch(GstElement* tee, Branch& branch);
  // New crop values for a branch, set by its streaming thread before its next frame.
  static void set_crop_before_next_frame(Branch& branch, const Crop& crop);
  void release_mixer_pad(Branch& branch);

  GstBin* pipeline_;
  CanvasSpec spec_;
  GstElement* compositor_ = nullptr;
  GstElement* capsfilter_ = nullptr;
  GstPad* src_pad_ = nullptr;
  PaintPlanner planner_;
  std::unique_ptr<CanvasPainter> painter_;
  std::map<std::string, Input> inputs_;
};

}  // namespace mixcast
