#include "room_harness.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <span>

#include "core/audio_math.h"
#include "core/log.h"
#include "test_support.h"

namespace mixcast::testing {

namespace {
GstElement* add_tap(GstBin* bin, GstElement* tee, const char* caps, GCallback cb, gpointer self) {
  GstElement* queue = gst_element_factory_make("queue", nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  GstCaps* c = gst_caps_from_string(caps);
  // async=false like the server's own appsinks: a live room never prerolls.
  g_object_set(sink, "emit-signals", TRUE, "sync", FALSE, "async", FALSE, "caps", c, "max-buffers",
               4u, "drop", TRUE, nullptr);
  gst_caps_unref(c);
  g_signal_connect(sink, "new-sample", cb, self);
  gst_bin_add_many(bin, queue, sink, nullptr);
  // Running before the tee feeds it (a tap of a rebuilt core joins a live
  // tee): a push into an element in NULL returns FLUSHING, and a tee passes
  // that up and stops the whole mix.
  gst_element_sync_state_with_parent(sink);
  gst_element_sync_state_with_parent(queue);
  gst_element_link_many(tee, queue, sink, nullptr);
  return sink;
}
}  // namespace

RoomHarness::RoomHarness(const std::string& layout, int width, int height) {
  static bool initialised = [] {
    gst_init(nullptr, nullptr);
    log::set_level(getenv("MIXCAST_TEST_LOG_INFO") ? log::Level::Info : log::Level::Warning);
    return true;
  }();
  (void)initialised;
  const std::string root = source_root();
  setup_.room.name = "test";
  setup_.room.width = width;
  setup_.room.height = height;
  setup_.room.fps = 30;
  setup_.room.outputs.hls.enabled = false;
  setup_.room.outputs.recording.enabled = false;
  setup_.media.video_bitrate_kbps = 600;
  setup_.media.mixer_latency_ms = 60;
  setup_.layout = load_layout_file(root + "/config/layouts/" + layout + ".yaml");
  auto profiles = load_profiles(root + "/pipelines");
  setup_.video_profile = profiles.at("x264-ultrafast");
  setup_.audio_profile = profiles.at("aac");
}

RoomHarness::~RoomHarness() {
  room_.reset();
  std::lock_guard lock(mutex_);
  if (last_video_) gst_sample_unref(last_video_);
}

void RoomHarness::start() {
  room_ = std::make_unique<Room>(setup_, this);
  add_taps();
  // A rebuilt core has new tees (the taps went with the old core).
  room_->set_on_rebuilt([this] { add_taps(); });
  room_->start();
}

void RoomHarness::add_taps() {
  GstBin* bin = GST_BIN(room_->pipeline());
  add_tap(bin, room_->video_tee(), "video/x-raw,format=I420", G_CALLBACK(&RoomHarness::on_video),
          this);
  add_tap(bin, room_->audio_tee(), "audio/x-raw,format=F32LE,channels=2",
          G_CALLBACK(&RoomHarness::on_audio), this);
}

void RoomHarness::run_for(double seconds) {
  run_until([] { return false; }, seconds);
}

bool RoomHarness::run_until(const std::function<bool()>& condition, double timeout_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    while (g_main_context_iteration(nullptr, FALSE)) {
    }
    if (condition()) return true;
    g_usleep(10000);
  }
  return condition();
}

std::string uri_for(const Guest& guest) {
  return "test://color?color=%23" + Color(guest.colour).to_hex().substr(1) +
         "&tone=" + std::to_string(int(guest.tone));
}

std::string RoomHarness::join(const std::string& name, const std::string& uri) {
  SourceConfig source;
  source.name = name;
  source.uri = uri;
  std::string error;
  std::string id = room_->add_source(source, error);
  if (id.empty()) ADD_FAILURE_AT(__FILE__, __LINE__) << error;
  return id;
}

GstFlowReturn RoomHarness::on_video(GstElement* sink, gpointer data) {
  auto* self = static_cast<RoomHarness*>(data);
  GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
  if (!sample) return GST_FLOW_OK;
  const GstClockTime pts = GST_BUFFER_PTS(gst_sample_get_buffer(sample));
  std::lock_guard lock(self->mutex_);
  if (self->last_video_) gst_sample_unref(self->last_video_);
  self->last_video_ = sample;
  ++self->frames_;
  if (GST_CLOCK_TIME_IS_VALID(self->last_pts_) && pts > self->last_pts_)
    self->largest_gap_ = std::max(self->largest_gap_, pts - self->last_pts_);
  self->last_pts_ = pts;
  return GST_FLOW_OK;
}

// Keeps the last two seconds (stereo) of an audio tap. Caller holds mutex_.
size_t RoomHarness::append(std::deque<float>& to, GstSample* sample) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  GstMapInfo map;
  size_t frames = 0;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    const auto* samples = reinterpret_cast<const float*>(map.data);
    to.insert(to.end(), samples, samples + map.size / sizeof(float));
    while (to.size() > 48000 * 2 * 2) to.pop_front();
    frames = map.size / sizeof(float) / 2;
    gst_buffer_unmap(buffer, &map);
  }
  return frames;
}

void RoomHarness::on_room_event(const std::string& room, const RoomEvent& event) {
  events_.push_back(event);
  // A test's own listener hears every event too.
  if (listener_) listener_->on_room_event(room, event);
}

GstFlowReturn RoomHarness::on_audio(GstElement* sink, gpointer data) {
  auto* self = static_cast<RoomHarness*>(data);
  GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
  if (!sample) return GST_FLOW_OK;
  {
    std::lock_guard lock(self->mutex_);
    self->audio_frames_ += append(self->audio_, sample);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

GstFlowReturn RoomHarness::on_mix_minus(GstElement* sink, gpointer data) {
  auto* tap = static_cast<MixMinusTap*>(data);
  GstSample* sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
  if (!sample) return GST_FLOW_OK;
  {
    std::lock_guard lock(tap->harness->mutex_);
    tap->frames += append(tap->audio, sample);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

void RoomHarness::tap_mix_minus(const std::string& id) {
  MixMinusTap* tap = nullptr;
  {
    std::lock_guard lock(mutex_);
    mix_minus_taps_.push_back(std::make_unique<MixMinusTap>());
    tap = mix_minus_taps_.back().get();
    tap->harness = this;
    mix_minus_by_id_[id] = tap;
    last_mix_minus_ = id;
  }
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  g_object_set(sink, "emit-signals", TRUE, "sync", FALSE, "async", FALSE, nullptr);
  g_signal_connect(sink, "new-sample", G_CALLBACK(&RoomHarness::on_mix_minus), tap);
  gst_bin_add(GST_BIN(room_->pipeline()), sink);
  // Playing before it is linked: the feed's queue is already running, and
  // one push into a flushing sink would pause it for good.
  gst_element_sync_state_with_parent(sink);
  GstPad* feed = room_->mix_minus_feed(id);
  GstPad* sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(feed, sink_pad);
  gst_object_unref(sink_pad);
  gst_object_unref(feed);
}

double RoomHarness::mix_minus_tone_power(double freq, double seconds) {
  return mix_minus_tone_power(last_mix_minus_, freq, seconds);
}

double RoomHarness::mix_minus_tone_power(const std::string& id, double freq, double seconds) {
  std::vector<float> audio;
  {
    std::lock_guard lock(mutex_);
    auto it = mix_minus_by_id_.find(id);
    if (it == mix_minus_by_id_.end()) {
      ADD_FAILURE() << "no mix-minus tap of " << id;
      return 0;
    }
    const std::deque<float>& tapped = it->second->audio;
    const size_t want = std::min(tapped.size(), size_t(seconds * 48000) * 2);
    audio.assign(tapped.end() - static_cast<std::ptrdiff_t>(want), tapped.end());
  }
  return goertzel_power(audio, 2, 0, 48000, freq);
}

bool RoomHarness::wait_for_fresh_audio(double seconds, double timeout_s) {
  const guint64 want = guint64(seconds * 48000);
  auto counts = [this] {
    std::lock_guard lock(mutex_);
    std::vector<guint64> n{audio_frames_};
    for (const auto& [id, tap] : mix_minus_by_id_) n.push_back(tap->frames);
    return n;
  };
  const std::vector<guint64> start = counts();
  return run_until(
      [&] {
        const std::vector<guint64> now = counts();
        if (now.size() != start.size()) return false;
        for (size_t i = 0; i < now.size(); ++i)
          if (now[i] < start[i] + want) return false;
        return true;
      },
      timeout_s);
}

std::unique_ptr<RoomHarness::Frame> RoomHarness::latest_frame() {
  GstSample* sample = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!last_video_) return nullptr;
    sample = gst_sample_ref(last_video_);
  }
  auto frame = std::make_unique<Frame>();
  GstVideoInfo info;
  gst_video_info_from_caps(&info, gst_sample_get_caps(sample));
  GstVideoFrame vframe;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  frame->pts = GST_BUFFER_PTS(buffer);
  if (gst_video_frame_map(&vframe, &info, buffer, GST_MAP_READ)) {
    const int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    frame->data.resize(w * h + 2 * cw * ch);
    uint8_t* planes[3] = {frame->data.data(), frame->data.data() + w * h,
                          frame->data.data() + w * h + cw * ch};
    const int widths[3] = {w, cw, cw}, heights[3] = {h, ch, ch};
    for (int p = 0; p < 3; ++p) {
      const auto* src = static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&vframe, p));
      const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vframe, p);
      for (int row = 0; row < heights[p]; ++row)
        std::memcpy(planes[p] + row * widths[p], src + row * stride, widths[p]);
      frame->view.planes[p] = planes[p];
      frame->view.strides[p] = widths[p];
    }
    frame->view.width = w;
    frame->view.height = h;
    gst_video_frame_unmap(&vframe);
  }
  gst_sample_unref(sample);
  return frame;
}

Color RoomHarness::colour_at(const Frame& frame, const Rect& rect) const {
  const Rect centre{rect.x + rect.width * 3 / 8, rect.y + rect.height * 3 / 8, rect.width / 4,
                    rect.height / 4};
  return average_color(frame.view, centre);
}

guint64 RoomHarness::frames_seen() {
  std::lock_guard lock(mutex_);
  return frames_;
}

GstClockTime RoomHarness::take_largest_frame_gap() {
  std::lock_guard lock(mutex_);
  return std::exchange(largest_gap_, 0);
}

std::vector<float> RoomHarness::latest_audio(double seconds) {
  std::lock_guard lock(mutex_);
  const size_t want = std::min(audio_.size(), size_t(seconds * 48000) * 2);
  return std::vector<float>(audio_.end() - static_cast<std::ptrdiff_t>(want), audio_.end());
}

double RoomHarness::tone_power(double freq, double seconds) {
  const auto audio = latest_audio(seconds);
  return goertzel_power(audio, 2, 0, 48000, freq);
}

}  // namespace mixcast::testing
