// Hands the room's one encoded video stream and one encoded audio stream to
// every output. The encoders feed tees; this takes one appsink branch of each
// (never blocking: appsink drops when full) and calls the subscribers from the
// streaming threads. Each output pushes into its own pipeline, so a dead CDN
// or a full disk stays inside that output.
#pragma once

#include <gst/gst.h>

#include <mutex>
#include <vector>

namespace mixcast {

enum class MediaKind { Video, Audio };

class EncodedSubscriber {
 public:
  // Streaming thread; must not block.
  virtual void on_encoded(MediaKind kind, GstSample* sample) = 0;

 protected:
  ~EncodedSubscriber() = default;
};

class EncodedFanout {
 public:
  // Adds "queue ! appsink" branches to the two tees (in `pipeline`).
  EncodedFanout(GstBin* pipeline, GstElement* video_tee, GstElement* audio_tee);
  // The room rebuilt its encoders: new branches on the new tees, the same
  // subscribers (the outputs go on). The old branches are already out of the
  // pipeline; anything they still deliver is ignored.
  void attach(GstBin* pipeline, GstElement* video_tee, GstElement* audio_tee);
  ~EncodedFanout();
  EncodedFanout(const EncodedFanout&) = delete;
  EncodedFanout& operator=(const EncodedFanout&) = delete;

  void subscribe(EncodedSubscriber* subscriber);
  // After this returns, the subscriber is never called again.
  void unsubscribe(EncodedSubscriber* subscriber);
  // Asks the shared video encoder for a keyframe (a new output must start on
  // one). The keyframe limiter at the encoded tee bounds the rate.
  void request_keyframe();

  guint64 video_frames() const;
  guint64 audio_buffers() const;

 private:
  static GstFlowReturn on_sample(GstElement* appsink, gpointer self);
  void dispatch(GstElement* appsink, GstSample* sample);

  GstElement* video_sink_ = nullptr;  // guarded by mutex_ (replaced by attach())
  GstElement* audio_sink_ = nullptr;
  // Held while dispatching, so unsubscribe() waits out a call in flight.
  // Lock order: this mutex, then a subscriber's own (Output::push_mutex_);
  // subscribers never call back into the fanout while holding theirs.
  mutable std::mutex mutex_;
  std::vector<EncodedSubscriber*> subscribers_;
  guint64 video_frames_ = 0;
  guint64 audio_buffers_ = 0;
};

}  // namespace mixcast
