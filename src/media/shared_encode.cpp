#include "media/shared_encode.h"

#include <gst/video/video.h>

#include "core/log.h"
#include "media/gst_ptr.h"
#include "media/keyframe_limiter.h"

namespace mixcast {

SharedEncode::SharedEncode(std::string name, GstBin* pipeline, GstElement* source_tee,
                           std::function<GstElement*()> make_encoder,
                           double keyframe_min_interval_s)
    : name_(std::move(name)),
      pipeline_(pipeline),
      source_tee_(source_tee),
      make_encoder_(std::move(make_encoder)),
      keyframe_min_interval_s_(keyframe_min_interval_s) {}

SharedEncode::~SharedEncode() {
  if (tee_) teardown();
}

void SharedEncode::build() {
  GstElement* encoder = make_encoder_();  // may throw: nothing is added yet
  queue_ = add_element(pipeline_, "queue", (name_ + "-queue").c_str());
  // Leaky: a slow encoder drops frames instead of holding the canvas back.
  g_object_set(queue_, "max-size-buffers", 3u, "max-size-bytes", 0u, "max-size-time", guint64(0),
               nullptr);
  gst_util_set_object_arg(G_OBJECT(queue_), "leaky", "downstream");
  encoder_ = encoder;
  gst_element_set_name(encoder_, (name_ + "-encoder").c_str());
  gst_bin_add(pipeline_, encoder_);
  tee_ = add_element(pipeline_, "tee", (name_ + "-tee").c_str());
  g_object_set(tee_, "allow-not-linked", TRUE, nullptr);
  GstPad* tee_sink = gst_element_get_static_pad(tee_, "sink");
  limit_keyframe_requests(tee_sink, keyframe_min_interval_s_);
  gst_object_unref(tee_sink);
  link_or_throw(queue_, encoder_);
  link_or_throw(encoder_, tee_);
  for (GstElement* e : {tee_, encoder_, queue_}) gst_element_sync_state_with_parent(e);
  source_pad_ = gst_element_request_pad_simple(source_tee_, "src_%u");
  GstPad* queue_sink = gst_element_get_static_pad(queue_, "sink");
  gst_pad_link(source_pad_, queue_sink);
  gst_object_unref(queue_sink);
  LOG_INFO << name_ << ": shared encode started";
}

void SharedEncode::teardown() {
  // Unlink first: the canvas tee skips the pad from now on, so releasing it
  // cannot wait on a push in flight.
  unlink_from_peer(source_pad_);
  gst_element_release_request_pad(source_tee_, source_pad_);
  gst_object_unref(source_pad_);
  source_pad_ = nullptr;
  for (GstElement* e : {queue_, encoder_, tee_}) {
    // After a rebuild of the room's core they are already out of the
    // pipeline (and stopped elsewhere).
    if (GST_OBJECT_PARENT(e) != GST_OBJECT(pipeline_)) continue;
    stop_and_remove(pipeline_, e);
  }
  queue_ = encoder_ = tee_ = nullptr;
  LOG_INFO << name_ << ": shared encode stopped (no receivers)";
}

GstPad* SharedEncode::attach(GstPad* sink, std::string& error) {
  if (!tee_) {
    try {
      build();
    } catch (const std::exception& e) {
      error = e.what();
      return nullptr;
    }
  }
  GstPad* pad = gst_element_request_pad_simple(tee_, "src_%u");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
    gst_element_release_request_pad(tee_, pad);
    gst_object_unref(pad);
    error = "cannot link to the shared " + name_ + " stream";
    if (receivers_ == 0) teardown();
    return nullptr;
  }
  ++receivers_;
  request_keyframe();  // a new receiver starts on a keyframe
  return pad;
}

void SharedEncode::detach(GstPad* tee_pad) {
  if (!tee_pad || !tee_) return;
  unlink_from_peer(tee_pad);
  gst_element_release_request_pad(tee_, tee_pad);
  gst_object_unref(tee_pad);
  if (--receivers_ == 0) teardown();
}

void SharedEncode::request_keyframe() {
  if (!tee_) return;
  // Pushed upstream from the tee's sink, through its keyframe limiter.
  GstPad* sink = gst_element_get_static_pad(tee_, "sink");
  gst_pad_push_event(sink,
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref(sink);
}

}  // namespace mixcast
