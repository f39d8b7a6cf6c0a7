#include "media/encoded_fanout.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <algorithm>

#include "media/gst_ptr.h"

namespace mixcast {

namespace {
GstElement* add_branch(GstBin* pipeline, GstElement* tee, const char* name, GCallback on_sample,
                       gpointer self) {
  GstElement* queue = make_element("queue");
  g_object_set(queue, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time",
               guint64(GST_SECOND), nullptr);
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  GstElement* sink = make_element("appsink", name);
  g_object_set(sink, "emit-signals", TRUE, "sync", FALSE, "async", FALSE, "drop", TRUE,
               "max-buffers", 200u, nullptr);
  g_signal_connect(sink, "new-sample", on_sample, self);
  gst_bin_add_many(pipeline, queue, sink, nullptr);
  gst_element_link_many(tee, queue, sink, nullptr);
  return sink;
}
}  // namespace

EncodedFanout::EncodedFanout(GstBin* pipeline, GstElement* video_tee, GstElement* audio_tee) {
  attach(pipeline, video_tee, audio_tee);
}

void EncodedFanout::attach(GstBin* pipeline, GstElement* video_tee, GstElement* audio_tee) {
  GstElement* video =
      add_branch(pipeline, video_tee, "outputs-video", G_CALLBACK(&EncodedFanout::on_sample), this);
  GstElement* audio =
      add_branch(pipeline, audio_tee, "outputs-audio", G_CALLBACK(&EncodedFanout::on_sample), this);
  std::lock_guard lock(mutex_);
  video_sink_ = video;
  audio_sink_ = audio;
}

EncodedFanout::~EncodedFanout() {
  // The pipeline is stopped before this; make sure no late callback lands.
  std::lock_guard lock(mutex_);
  subscribers_.clear();
}

void EncodedFanout::subscribe(EncodedSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.push_back(subscriber);
}

void EncodedFanout::unsubscribe(EncodedSubscriber* subscriber) {
  std::lock_guard lock(mutex_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscriber),
                     subscribers_.end());
}

void EncodedFanout::request_keyframe() {
  GstElement* sink = nullptr;
  {
    std::lock_guard lock(mutex_);
    sink = video_sink_;
  }
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_push_event(pad,
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref(pad);
}

guint64 EncodedFanout::video_frames() const {
  std::lock_guard lock(mutex_);
  return video_frames_;
}

guint64 EncodedFanout::audio_buffers() const {
  std::lock_guard lock(mutex_);
  return audio_buffers_;
}

GstFlowReturn EncodedFanout::on_sample(GstElement* appsink, gpointer data) {
  auto* self = static_cast<EncodedFanout*>(data);
  MiniPtr<GstSample> sample(gst_app_sink_pull_sample(GST_APP_SINK(appsink)));
  if (!sample) return GST_FLOW_OK;
  // Outputs are separate pipelines that see timestamps, not our segments:
  // hand them running time. (x264enc, for one, shifts its segment by 1000 h.)
  GstBuffer* in = gst_sample_get_buffer(sample.get());
  const GstSegment* segment = gst_sample_get_segment(sample.get());
  GstBuffer* out = gst_buffer_copy(in);  // shares the memory, copies the metadata
  GST_BUFFER_PTS(out) = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(in));
  if (GST_BUFFER_DTS_IS_VALID(in)) {
    guint64 dts = 0;
    // A DTS before the segment start (B-frames) clamps to 0.
    GST_BUFFER_DTS(out) =
        gst_segment_to_running_time_full(segment, GST_FORMAT_TIME, GST_BUFFER_DTS(in), &dts) > 0
            ? dts
            : 0;
  }
  MiniPtr<GstSample> shifted(
      gst_sample_new(out, gst_sample_get_caps(sample.get()), nullptr, nullptr));
  gst_buffer_unref(out);
  self->dispatch(appsink, shifted.get());
  return GST_FLOW_OK;
}

void EncodedFanout::dispatch(GstElement* appsink, GstSample* sample) {
  std::lock_guard lock(mutex_);
  MediaKind kind;
  if (appsink == video_sink_) {
    kind = MediaKind::Video;
    ++video_frames_;
  } else if (appsink == audio_sink_) {
    kind = MediaKind::Audio;
    ++audio_buffers_;
  } else {
    return;  // a branch of the core before a rebuild
  }

  for (auto* subscriber : subscribers_) subscriber->on_encoded(kind, sample);
}

}  // namespace mixcast
