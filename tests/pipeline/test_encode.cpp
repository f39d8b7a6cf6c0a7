// What the room puts around its encoder, with a real x264enc.
// - The keyframe limiter at the encode's tee: a request that arrives before
//   the encoder's first frame reaches the tee (an output starting with the
//   room, a viewer joining a fresh encode) must not force a second keyframe
//   right behind the first (a one-frame HLS segment), and a request after
//   it must still give a keyframe at once.
// - The pacer at the encoder's queue (overload): at a divisor of 2 the
//   encoded programme has one frame in two, evenly spaced.
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "media/encode_pacer.h"
#include "media/gst_ptr.h"
#include "media/keyframe_limiter.h"

using namespace mixcast;

namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 180;
constexpr int kFps = 30;

class Encode {
 public:
  Encode() {
    static const bool initialised = [] {
      gst_init(nullptr, nullptr);
      return true;
    }();
    (void)initialised;
    GError* raw_error = nullptr;
    pipeline_ = gst_parse_launch(
        "appsrc name=src format=time caps=video/x-raw,format=I420,width=320,height=180,"
        "framerate=30/1 ! queue name=queue ! x264enc name=encoder tune=zerolatency "
        "speed-preset=ultrafast key-int-max=300 "
        "bframes=0 option-string=scenecut=0 ! h264parse name=parse ! tee name=tee "
        "! queue ! fakesink name=sink sync=false",
        &raw_error);
    GErrorPtr error(raw_error);
    if (error) ADD_FAILURE() << error->message;
    source_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
    GstPtr<GstElement> tee(gst_bin_get_by_name(GST_BIN(pipeline_), "tee"));
    GstPtr<GstPad> tee_sink(gst_element_get_static_pad(tee.get(), "sink"));
    limit_keyframe_requests(tee_sink.get(), 1.0);
    GstPtr<GstElement> sink(gst_bin_get_by_name(GST_BIN(pipeline_), "sink"));
    sink_pad_ = gst_element_get_static_pad(sink.get(), "sink");
    gst_pad_add_probe(sink_pad_, GST_PAD_PROBE_TYPE_BUFFER, &Encode::on_frame, this, nullptr);
    GstPtr<GstElement> parse(gst_bin_get_by_name(GST_BIN(pipeline_), "parse"));
    parse_src_ = gst_element_get_static_pad(parse.get(), "src");
    GstPtr<GstElement> queue(gst_bin_get_by_name(GST_BIN(pipeline_), "queue"));
    GstPtr<GstElement> encoder(gst_bin_get_by_name(GST_BIN(pipeline_), "encoder"));
    pacer_.attach(queue.get(), encoder.get());
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  }
  ~Encode() {
    release_first_frame();
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(parse_src_);
    gst_object_unref(sink_pad_);
    gst_object_unref(source_);
    gst_object_unref(pipeline_);
  }

  // Holds the encoder's first frame just before the tee, until released.
  void hold_first_frame() {
    hold_probe_ = gst_pad_add_probe(parse_src_, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
                                    &Encode::on_held, this, nullptr);
  }
  bool wait_first_frame_held() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return held_; });
  }
  void release_first_frame() {
    if (hold_probe_ == 0) return;
    gst_pad_remove_probe(parse_src_, hold_probe_);
    hold_probe_ = 0;
  }

  void push_frames(int count) {
    for (int i = 0; i < count; ++i, ++pushed_) {
      const gsize size = kWidth * kHeight * 3 / 2;
      GstBuffer* buffer = gst_buffer_new_allocate(nullptr, size, nullptr);
      // A moving grey ramp, so that the encoder has something to code.
      GstMapInfo map;
      gst_buffer_map(buffer, &map, GST_MAP_WRITE);
      for (gsize b = 0; b < size; ++b) map.data[b] = static_cast<guint8>((b + pushed_ * 7) & 0xff);
      gst_buffer_unmap(buffer, &map);
      GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(pushed_, GST_SECOND, kFps);
      GST_BUFFER_DURATION(buffer) = GST_SECOND / kFps;
      gst_app_src_push_buffer(GST_APP_SRC(source_), buffer);
    }
  }

  // What a new receiver does: asks upstream from its own pad.
  void request_keyframe() {
    gst_pad_push_event(sink_pad_,
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  }

  bool wait_frames(size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20),
                             [&] { return keyframes_.size() >= count; });
  }

  EncodePacer& pacer() { return pacer_; }

  // The gaps between the received frames' timestamps, in ms.
  std::vector<double> gaps_ms() {
    std::lock_guard lock(mutex_);
    std::vector<double> gaps;
    for (size_t i = 1; i < pts_.size(); ++i)
      gaps.push_back(static_cast<double>(pts_[i] - pts_[i - 1]) / GST_MSECOND);
    return gaps;
  }

  // Which of the received frames were keyframes, in order.
  std::vector<size_t> keyframe_indexes() {
    std::lock_guard lock(mutex_);
    std::vector<size_t> indexes;
    for (size_t i = 0; i < keyframes_.size(); ++i)
      if (keyframes_[i]) indexes.push_back(i);
    return indexes;
  }

 private:
  static GstPadProbeReturn on_frame(GstPad*, GstPadProbeInfo* info, gpointer data) {
    auto* self = static_cast<Encode*>(data);
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    std::lock_guard lock(self->mutex_);
    self->keyframes_.push_back(!GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT));
    self->pts_.push_back(GST_BUFFER_PTS(buffer));
    self->changed_.notify_all();
    return GST_PAD_PROBE_OK;
  }
  static GstPadProbeReturn on_held(GstPad*, GstPadProbeInfo* info, gpointer data) {
    if (!(GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER)) return GST_PAD_PROBE_PASS;
    auto* self = static_cast<Encode*>(data);
    std::lock_guard lock(self->mutex_);
    self->held_ = true;
    self->changed_.notify_all();
    return GST_PAD_PROBE_OK;  // blocks here until release_first_frame()
  }

  GstElement* pipeline_ = nullptr;
  GstElement* source_ = nullptr;
  GstPad* sink_pad_ = nullptr;
  GstPad* parse_src_ = nullptr;
  gulong hold_probe_ = 0;
  int pushed_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  std::vector<bool> keyframes_;
  std::vector<GstClockTime> pts_;
  EncodePacer pacer_;
};

std::string listed(const std::vector<size_t>& indexes) {
  std::string text;
  for (size_t i : indexes) text += std::to_string(i) + " ";
  return text;
}

TEST(Keyframes, ARequestBeforeTheFirstFrameIsAnsweredByItAndALaterOneAtOnce) {
  Encode encode;
  encode.hold_first_frame();
  encode.push_frames(1);
  ASSERT_TRUE(encode.wait_first_frame_held()) << "the encoder gave no first frame";
  // The encoder has taken frame 0 in; without the limiter this request would
  // make frame 1 a keyframe too.
  encode.request_keyframe();
  encode.release_first_frame();
  encode.push_frames(kFps - 1);
  ASSERT_TRUE(encode.wait_frames(kFps));
  EXPECT_EQ(encode.keyframe_indexes(), std::vector<size_t>{0})
      << "keyframes at " << listed(encode.keyframe_indexes());

  // Once encoding, a request is served on one of the next frames.
  encode.request_keyframe();
  encode.push_frames(kFps);
  ASSERT_TRUE(encode.wait_frames(2 * kFps));
  const auto keyframes = encode.keyframe_indexes();
  ASSERT_EQ(keyframes.size(), 2u) << "keyframes at " << listed(keyframes);
  EXPECT_GE(keyframes[1], size_t(kFps));
  EXPECT_LE(keyframes[1], size_t(kFps + 3)) << "keyframes at " << listed(keyframes);
}

TEST(EncodePacer, AtADivisorOfTwoTheProgrammeHasEveryOtherFrameEvenly) {
  Encode encode;
  encode.push_frames(kFps);
  ASSERT_TRUE(encode.wait_frames(kFps));
  encode.pacer().set_divisor(2);
  encode.push_frames(2 * kFps);
  ASSERT_TRUE(encode.wait_frames(2 * kFps));
  const auto gaps = encode.gaps_ms();
  ASSERT_EQ(gaps.size(), size_t(2 * kFps - 1));
  const double frame_ms = 1000.0 / kFps;
  for (size_t i = 0; i < gaps.size(); ++i) {
    // The first second at the full rate, then one frame in two (frame 30,
    // the first after the switch, is kept: no longer gap at the switch).
    const double want = i < size_t(kFps) ? frame_ms : 2 * frame_ms;
    EXPECT_NEAR(gaps[i], want, 1.0) << "gap " << i;
  }
  const EncodePacer::Totals totals = encode.pacer().totals();
  EXPECT_EQ(totals.offered, uint64_t(2 * kFps));
  EXPECT_EQ(totals.thinned, uint64_t(kFps));
  EXPECT_EQ(totals.encoded, uint64_t(2 * kFps));
  EXPECT_GT(totals.encode_s, 0);
  EXPECT_LT(totals.encode_s / static_cast<double>(totals.encoded), 0.5) << "a frame in 500 ms?";

  // Back to every frame.
  encode.pacer().set_divisor(1);
  encode.push_frames(10);
  ASSERT_TRUE(encode.wait_frames(2 * kFps + 10));
  const auto after = encode.gaps_ms();
  for (size_t i = after.size() - 9; i < after.size(); ++i) EXPECT_NEAR(after[i], frame_ms, 1.0);
}

}  // namespace
