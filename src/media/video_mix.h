// The room's video mix: a live compositor with a permanent black background
// input (see GSTREAMER-NOTES: a live aggregator must never start empty),
// fixed I420 output caps, one input branch per participant (queue ! videocrop
// into a compositor pad), and the CanvasPainter for labels and borders.
#pragma once

#include <gst/gst.h>

#include <map>
#include <memory>
#include <string>

#include "core/layout.h"
#include "media/canvas_painter.h"
#include "media/gst_ptr.h"

namespace mixcast {

struct CanvasSpec {
  int width = 1280;
  int height = 720;
  int fps = 30;
  Color background{0, 0, 0, 255};
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

  // Links a participant's raw video pad into a new compositor input (hidden
  // until the next apply()).
  void add_input(const std::string& participant_id, GstPad* video_src);
  // Unlinks and releases the participant's compositor input. The participant's
  // own elements must already be stopped.
  void remove_input(const std::string& participant_id);
  // Places every input where the composition says; inputs without a tile are hidden.
  void apply(const Composition& composition, const Layout& layout);

  const CanvasSpec& spec() const { return spec_; }

 private:
  struct Input {
    GstElement* bin = nullptr;   // queue ! videocrop, owned by the pipeline
    GstPad* mixer_pad = nullptr; // compositor request pad (we hold a ref)
    Crop crop;
  };

  GstBin* pipeline_;
  CanvasSpec spec_;
  GstElement* compositor_ = nullptr;
  GstElement* capsfilter_ = nullptr;
  GstPad* src_pad_ = nullptr;
  std::unique_ptr<CanvasPainter> painter_;
  std::map<std::string, Input> inputs_;
};

}  // namespace mixcast
