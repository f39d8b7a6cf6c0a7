// An encode of the room's raw canvas shared by every receiver that needs it
// (VP8 for WebRTC peers that take no H.264): queue -> encoder -> tee, built
// when the first receiver attaches and torn down when the last detaches, so
// the encoder costs nothing while nobody needs it. One encode for all such
// receivers, never one per peer. Main loop only. Owner: Room.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <string>

namespace mixcast {

class SharedEncode {
 public:
  // `make_encoder` builds the encoder element (throws std::runtime_error).
  // Forced keyframes are granted at most once per `keyframe_min_interval_s`.
  SharedEncode(std::string name, GstBin* pipeline, GstElement* source_tee,
               std::function<GstElement*()> make_encoder, double keyframe_min_interval_s);
  ~SharedEncode();
  SharedEncode(const SharedEncode&) = delete;
  SharedEncode& operator=(const SharedEncode&) = delete;

  // Links `sink` to a new pad of the shared tee (building the encode first
  // if needed) and asks for a keyframe. Returns that tee pad, or nullptr
  // with `error` set.
  GstPad* attach(GstPad* sink, std::string& error);
  // Unlinks and frees a pad from attach(); the last one tears the encode down.
  void detach(GstPad* tee_pad);
  int receivers() const { return receivers_; }
  bool running() const { return tee_ != nullptr; }
  void request_keyframe();

 private:
  void build();
  void teardown();

  std::string name_;
  GstBin* pipeline_;
  GstElement* source_tee_;
  std::function<GstElement*()> make_encoder_;
  double keyframe_min_interval_s_;
  GstPad* source_pad_ = nullptr;  // request pad on source_tee_
  GstElement* queue_ = nullptr;   // owned by pipeline_
  GstElement* encoder_ = nullptr;
  GstElement* tee_ = nullptr;
  int receivers_ = 0;
};

}  // namespace mixcast
