#include "media/output.h"

#include "media/reaper.h"

#include <gst/app/gstappsrc.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/log.h"
#include "core/url.h"

namespace mixcast {

Output::Output(std::string room, std::string name, std::string kind, Backoff backoff,
               EncodedFanout& fanout, Listener& listener)
    : room_(std::move(room)),
      name_(std::move(name)),
      kind_(std::move(kind)),
      backoff_(backoff),
      fanout_(fanout),
      listener_(listener) {}

Output::~Output() {
  fanout_.unsubscribe(this);
  teardown();
}

void Output::start() {
  fanout_.subscribe(this);
  build_pipeline();
  poll_timer_ = SourceId(g_timeout_add_seconds(
      1,
      [](gpointer self) -> gboolean {
        static_cast<Output*>(self)->poll();
        return G_SOURCE_CONTINUE;
      },
      this));
}

void Output::build_pipeline() {
  retry_timer_.reset();
  set_state(OutputState::Starting);
  pipeline_ = gst_pipeline_new(("output-" + room_ + "-" + name_).c_str());
  gst_object_ref_sink(pipeline_);
  GstElement* video = make_element("appsrc", "video");
  GstElement* audio = make_element("appsrc", "audio");
  for (GstElement* src : {video, audio}) {
    // Never block the fanout: keep at most queue_s of media, dropping the
    // oldest when the destination is slower than real time.
    g_object_set(src, "format", GST_FORMAT_TIME, "is-live", FALSE, "block", FALSE, "max-bytes",
                 guint64(0), "max-buffers", guint64(0), "max-time", guint64(queue_s_ * GST_SECOND),
                 nullptr);
    gst_util_set_object_arg(G_OBJECT(src), "leaky-type", "downstream");
  }
  gst_bin_add_many(GST_BIN(pipeline_), video, audio, nullptr);
  try {
    build(GST_BIN(pipeline_), video, audio);
  } catch (const std::exception& e) {
    teardown();
    fail(e.what());
    return;
  }
  GstBus* bus = gst_element_get_bus(pipeline_);
  bus_watch_ = SourceId(gst_bus_add_watch(bus, &Output::on_bus, this));
  gst_object_unref(bus);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    teardown();
    fail("cannot start the output pipeline");
    return;
  }
  {
    std::lock_guard lock(push_mutex_);
    video_src_ = GST_ELEMENT(gst_object_ref(video));
    audio_src_ = GST_ELEMENT(gst_object_ref(audio));
    waiting_keyframe_ = true;
    pushed_bytes_ = 0;
  }
  fanout_.request_keyframe();
}

void Output::teardown() {
  {
    std::lock_guard lock(push_mutex_);
    if (video_src_) gst_object_unref(video_src_);
    if (audio_src_) gst_object_unref(audio_src_);
    video_src_ = audio_src_ = nullptr;
  }
  bus_watch_.reset();
  if (pipeline_) {
    bytes_before_ = bytes_;
    // Stopped off the main loop: a sink that blocks (rtmp2sink while it
    // connects, a write to a stalled disk) must not hold every room with it.
    // Nothing of ours refers to the old pipeline any more.
    reaper::stop_in_background(GstPtr<GstElement>(std::exchange(pipeline_, nullptr)),
                               "room " + room_ + ": output " + name_, nullptr);
  }
}

void Output::fail(const std::string& error) {
  last_error_ = error;
  LOG_ERROR << "room " << room_ << ": output " << name_ << " (" << kind_ << " " << target()
            << "): " << error;
  teardown();
  if (stopping_) {
    finish_stop();
    return;
  }
  const auto delay = backoff_.next_delay();
  if (!delay) {
    LOG_ERROR << "room " << room_ << ": output " << name_ << " gave up after "
              << backoff_.attempts() << " attempts";
    set_state(OutputState::Failed);
    return;
  }
  LOG_INFO << "room " << room_ << ": output " << name_ << " retries in " << *delay << " s (attempt "
           << backoff_.attempts() << ")";
  set_state(OutputState::Retrying);
  retry_timer_ = run_after(*delay, [this, t = lifetime_.token()] {
    if (Lifetime::alive(t) && !stopping_) build_pipeline();
  });
}

void Output::set_state(OutputState state) {
  if (state == state_) return;
  state_ = state;
  if (state == OutputState::Live) {
    LOG_INFO << "room " << room_ << ": output " << name_ << " (" << kind_ << " " << target()
             << ") is live";
    backoff_.reset();
  }
  listener_.on_output_state(*this);
}

void Output::poll() {
  if (!pipeline_) return;
  const guint64 now = poll_bytes(GST_BIN(pipeline_));
  if (now > 0) {
    bytes_ = bytes_before_ + now;
    if (state_ == OutputState::Starting) set_state(OutputState::Live);
  }
}

OutputStatus Output::status() const {
  OutputStatus s;
  s.name = name_;
  s.kind = kind_;
  s.target = target();
  s.state = state_;
  s.attempt = backoff_.attempts();
  s.last_error = last_error_;
  s.bytes = bytes_;
  return s;
}

void Output::on_encoded(MediaKind kind, GstSample* sample) {
  std::lock_guard lock(push_mutex_);
  if (!video_src_) return;
  if (kind == MediaKind::Video) {
    GstBuffer* buffer = gst_sample_get_buffer(sample);
    if (waiting_keyframe_) {
      // An output must begin with a keyframe (and SPS/PPS, which h264parse
      // repeats before every keyframe).
      if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) return;
      waiting_keyframe_ = false;
    }
    pushed_bytes_ += gst_buffer_get_size(buffer);
    gst_app_src_push_sample(GST_APP_SRC(video_src_), sample);
  } else {
    if (waiting_keyframe_) return;
    pushed_bytes_ += gst_buffer_get_size(gst_sample_get_buffer(sample));
    gst_app_src_push_sample(GST_APP_SRC(audio_src_), sample);
  }
}

void Output::stop(std::function<void()> done, double timeout_s) {
  stopping_ = true;
  stop_done_ = std::move(done);
  retry_timer_.reset();
  fanout_.unsubscribe(this);
  GstElement* video = nullptr;
  GstElement* audio = nullptr;
  {
    std::lock_guard lock(push_mutex_);
    video = video_src_;
    audio = audio_src_;
    video_src_ = audio_src_ = nullptr;
  }
  if (!pipeline_ || !video) {
    if (video) gst_object_unref(video);
    if (audio) gst_object_unref(audio);
    finish_stop();
    return;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(video));
  gst_app_src_end_of_stream(GST_APP_SRC(audio));
  gst_object_unref(video);
  gst_object_unref(audio);
  stop_timer_ = run_after(timeout_s, [this, t = lifetime_.token()] {
    if (!Lifetime::alive(t)) return;
    LOG_WARN << "room " << room_ << ": output " << name_ << " did not finish in time";
    finish_stop();
  });
}

void Output::finish_stop() {
  stop_timer_.reset();
  poll_timer_.reset();
  if (pipeline_) {
    poll();
    teardown();
  }
  if (state_ != OutputState::Failed) set_state(OutputState::Stopped);
  if (auto done = std::move(stop_done_)) {
    stop_done_ = nullptr;
    done();
  }
}

gboolean Output::on_bus(GstBus*, GstMessage* message, gpointer data) {
  auto* self = static_cast<Output*>(data);
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      GError* raw = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(message, &raw, &debug);
      GErrorPtr error(raw);
      GCharPtr debug_text(debug);
      LOG_DEBUG << "output " << self->name_ << " error detail: " << (debug ? debug : "");
      // fail() tears the pipeline down; destroying this watch from its own
      // callback is allowed.
      self->fail(error ? error->message : "unknown error");
      return G_SOURCE_CONTINUE;
    }
    case GST_MESSAGE_EOS:
      if (self->stopping_) {
        self->finished();
        self->finish_stop();
      }
      return G_SOURCE_CONTINUE;
    default:
      return G_SOURCE_CONTINUE;
  }
}

// ---------------------------------------------------------------------------
// The three kinds of output.

namespace {

std::string timestamp_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &tm);
  return text;
}

void make_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
}

class RtmpOutput final : public Output {
 public:
  RtmpOutput(const std::string& room, const RtmpConfig& config, EncodedFanout& fanout,
             Listener& listener)
      : Output(room, config.name, "rtmp",
               Backoff(config.backoff_initial_s, config.backoff_max_s, config.max_retries), fanout,
               listener),
        url_(config.url) {
    queue_s_ = config.queue_s;
  }

 protected:
  void build(GstBin* bin, GstElement* video, GstElement* audio) override {
    GstElement* vparse = add_element(bin, "h264parse");
    GstElement* aparse = add_element(bin, "aacparse");
    GstElement* mux = add_element(bin, "flvmux", "mux");
    g_object_set(mux, "streamable", TRUE, nullptr);
    GstElement* sink = add_element(bin, "rtmp2sink", "sink");
    g_object_set(sink, "location", url_.c_str(), "sync", FALSE, "async", FALSE, nullptr);
    link_or_throw(video, vparse);
    link_or_throw(vparse, mux);
    link_or_throw(audio, aparse);
    link_or_throw(aparse, mux);
    link_or_throw(mux, sink);
  }

  std::string target() const override { return redact_url(url_); }

  guint64 poll_bytes(GstBin* bin) override {
    // Live once media bytes flow past the handshake and publish commands.
    GstElement* sink = gst_bin_get_by_name(bin, "sink");
    if (!sink) return 0;
    GstStructure* stats = nullptr;
    g_object_get(sink, "stats", &stats, nullptr);
    gst_object_unref(sink);
    guint64 out = 0;
    if (stats) {
      gst_structure_get_uint64(stats, "out-bytes-total", &out);
      gst_structure_free(stats);
    }
    return out > 16384 ? out : 0;
  }

 private:
  std::string url_;
};

class HlsOutput final : public Output {
 public:
  HlsOutput(const std::string& room, const HlsConfig& config, const std::string& directory,
            EncodedFanout& fanout, Listener& listener)
      : Output(room, "hls", "hls", Backoff(1.0, 30.0, -1), fanout, listener),
        config_(config),
        dir_(directory) {}

 protected:
  void build(GstBin* bin, GstElement* video, GstElement* audio) override {
    make_directory(dir_);
    GstElement* vparse = add_element(bin, "h264parse");
    GstElement* aparse = add_element(bin, "aacparse");
    GstElement* sink = add_element(bin, "hlssink2", "sink");
    g_object_set(sink, "location", (dir_ + "/segment%05d.ts").c_str(), "playlist-location",
                 playlist().c_str(), "target-duration", guint(config_.segment_s + 0.5),
                 "playlist-length", guint(config_.playlist_length), "max-files",
                 guint(config_.max_files), "send-keyframe-requests", FALSE, nullptr);
    link_or_throw(video, vparse);
    link_or_throw(audio, aparse);
    if (!gst_element_link_pads(vparse, "src", sink, "video") ||
        !gst_element_link_pads(aparse, "src", sink, "audio"))
      throw std::runtime_error("cannot link to hlssink2");
  }

  std::string target() const override { return playlist(); }
  guint64 poll_bytes(GstBin*) override { return pushed_bytes(); }

  // A finished stream says so, so players stop polling and can seek the whole.
  void finished() override {
    std::ifstream in(playlist());
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("#EXT-X-ENDLIST") != std::string::npos || text.str().empty()) return;
    std::ofstream out(playlist(), std::ios::app);
    out << "#EXT-X-ENDLIST\n";
  }

 private:
  std::string playlist() const { return dir_ + "/index.m3u8"; }
  HlsConfig config_;
  std::string dir_;
};

// filesink batches writes (64 kB by default): at a low bitrate that is seconds
// of media that a crash loses on top of the unfinished fragment. The muxers
// write whole fragments (mp4) or frames (mkv), so unbuffered costs little.
void make_unbuffered(GstElement* file_sink) {
  gst_util_set_object_arg(G_OBJECT(file_sink), "buffer-mode", "unbuffered");
}

class RecordingOutput final : public Output {
 public:
  RecordingOutput(const std::string& room, const RecordingConfig& config,
                  const std::string& directory, EncodedFanout& fanout, Listener& listener)
      : Output(room, "recording", "recording", Backoff(1.0, 30.0, -1), fanout, listener),
        config_(config),
        dir_(directory) {
    queue_s_ = 5.0;
  }

 protected:
  void build(GstBin* bin, GstElement* video, GstElement* audio) override {
    make_directory(dir_);
    const bool mp4 = config_.format == "mp4";
    const std::string ext = mp4 ? ".mp4" : ".mkv";
    const std::string stem = dir_ + "/" + room() + "-" + timestamp_now();
    GstElement* vparse = add_element(bin, "h264parse");
    GstElement* aparse = add_element(bin, "aacparse");
    // Each new attempt writes a new file: a failure never overwrites what was saved.
    GstElement* mux = make_element(mp4 ? "mp4mux" : "matroskamux");
    if (mp4) {
      // Fragmented MP4: the moov goes first and every fragment is complete on
      // its own, so a SIGKILL loses at most the last fragment.
      g_object_set(mux, "fragment-duration", guint(config_.fragment_s * 1000), "streamable", TRUE,
                   nullptr);
    }
    link_or_throw(video, vparse);
    link_or_throw(audio, aparse);
    if (config_.split_s > 0) {
      file_ = stem + "-%03d" + ext;
      GstElement* split = add_element(bin, "splitmuxsink", "sink");
      GstElement* file_sink = make_element("filesink");
      make_unbuffered(file_sink);
      g_object_set(split, "location", file_.c_str(), "muxer", mux, "sink", file_sink,
                   "max-size-time", guint64(config_.split_s * GST_SECOND), "async-finalize", FALSE,
                   nullptr);
      if (!gst_element_link_pads(vparse, "src", split, "video") ||
          !gst_element_link_pads(aparse, "src", split, "audio_%u"))
        throw std::runtime_error("cannot link to splitmuxsink");
    } else {
      file_ = stem + ext;
      gst_bin_add(bin, mux);
      GstElement* sink = add_element(bin, "filesink", "sink");
      g_object_set(sink, "location", file_.c_str(), "sync", FALSE, "async", FALSE, nullptr);
      make_unbuffered(sink);
      link_or_throw(vparse, mux);
      link_or_throw(aparse, mux);
      link_or_throw(mux, sink);
    }
    LOG_INFO << "room " << room() << ": recording to " << file_;
  }

  std::string target() const override { return file_; }
  guint64 poll_bytes(GstBin*) override { return pushed_bytes(); }

 private:
  RecordingConfig config_;
  std::string dir_;
  std::string file_;
};

}  // namespace

std::unique_ptr<Output> make_rtmp_output(const std::string& room, const RtmpConfig& config,
                                         EncodedFanout& fanout, Output::Listener& listener) {
  return std::make_unique<RtmpOutput>(room, config, fanout, listener);
}

std::unique_ptr<Output> make_hls_output(const std::string& room, const HlsConfig& config,
                                        const std::string& directory, EncodedFanout& fanout,
                                        Output::Listener& listener) {
  return std::make_unique<HlsOutput>(room, config, directory, fanout, listener);
}

std::unique_ptr<Output> make_recording_output(const std::string& room,
                                              const RecordingConfig& config,
                                              const std::string& directory, EncodedFanout& fanout,
                                              Output::Listener& listener) {
  return std::make_unique<RecordingOutput>(room, config, directory, fanout, listener);
}

}  // namespace mixcast
