#include "media/output.h"

#include "media/reaper.h"
#include "media/text_stream.h"

#include <gst/app/gstappsrc.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/hls_playlist.h"
#include "core/log.h"
#include "core/url.h"

namespace mixcast {

namespace {

// A handover holds back audio until the cut is known (the forced keyframe
// comes within about a second): at most this much, then it goes on to the
// running pipeline as if there were no handover.
constexpr size_t kMaxHeldAudio = 250;  // ~5 s of AAC at 48 kHz
// A handed-over pipeline gets the audio before the cut and then EOS; audio
// that stops coming ends it here, and a pipeline that never drains is given
// up (its file not reported) here.
constexpr double kHandoverAudioS = 2.0;
constexpr double kHandoverDrainS = 10.0;

// `sample` into `src`, its timestamps made relative to `base` if valid.
void push_sample(GstElement* src, GstSample* sample, GstClockTime base) {
  if (!GST_CLOCK_TIME_IS_VALID(base) || base == 0) {
    gst_app_src_push_sample(GST_APP_SRC(src), sample);
    return;
  }
  GstBuffer* buffer = gst_buffer_copy(gst_sample_get_buffer(sample));  // metadata only
  auto rebase = [base](GstClockTime t) { return t > base ? t - base : 0; };
  if (GST_BUFFER_PTS_IS_VALID(buffer)) GST_BUFFER_PTS(buffer) = rebase(GST_BUFFER_PTS(buffer));
  if (GST_BUFFER_DTS_IS_VALID(buffer)) GST_BUFFER_DTS(buffer) = rebase(GST_BUFFER_DTS(buffer));
  MiniPtr<GstSample> rebased(gst_sample_new(buffer, gst_sample_get_caps(sample), nullptr, nullptr));
  gst_buffer_unref(buffer);
  gst_app_src_push_sample(GST_APP_SRC(src), rebased.get());
}

}  // namespace

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
  while (!draining_.empty()) {
    auto run = std::move(draining_.back());
    draining_.pop_back();
    drop_run(std::move(run));
  }
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

std::unique_ptr<Output::Run> Output::make_run(std::string& error) {
  auto run = std::make_unique<Run>();
  run->output = this;
  run->pipeline = gst_pipeline_new(("output-" + room_ + "-" + name_).c_str());
  gst_object_ref_sink(run->pipeline);
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
  gst_bin_add_many(GST_BIN(run->pipeline), video, audio, nullptr);
  run->video_src = GST_ELEMENT(gst_object_ref(video));
  run->audio_src = GST_ELEMENT(gst_object_ref(audio));
  try {
    build(GST_BIN(run->pipeline), video, audio);
  } catch (const std::exception& e) {
    error = e.what();
    drop_run(std::move(run));
    return nullptr;
  }
  GstPtr<GstBus> bus(gst_element_get_bus(run->pipeline));
  run->bus_watch = SourceId(gst_bus_add_watch(bus.get(), &Output::on_bus, run.get()));
  if (gst_element_set_state(run->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "cannot start the output pipeline";
    drop_run(std::move(run));
    return nullptr;
  }
  return run;
}

// The run's pipeline stops off the main loop: a sink that blocks (rtmp2sink
// while it connects, a write to a stalled disk) must not hold every room with
// it. Nothing of ours refers to it afterwards.
void Output::drop_run(std::unique_ptr<Run> run) {
  if (!run) return;
  {
    std::lock_guard lock(push_mutex_);
    if (push_ == run.get()) push_ = nullptr;
    if (next_push_ == run.get()) next_push_ = nullptr;
    if (old_audio_ == run.get()) old_audio_ = nullptr;
    if (run->video_src) gst_object_unref(run->video_src);
    if (run->audio_src) gst_object_unref(run->audio_src);
    run->video_src = run->audio_src = nullptr;
  }
  run->bus_watch.reset();
  run->audio_deadline.reset();
  run->drain_deadline.reset();
  forget(GST_BIN(run->pipeline));
  reaper::stop_in_background(GstPtr<GstElement>(std::exchange(run->pipeline, nullptr)),
                             "room " + room_ + ": output " + name_, nullptr);
}

void Output::drop_draining(Run* run) {
  auto it = std::find_if(draining_.begin(), draining_.end(),
                         [run](const auto& r) { return r.get() == run; });
  if (it == draining_.end()) return;
  auto gone = std::move(*it);
  draining_.erase(it);
  drop_run(std::move(gone));
  // A stop that waited for this one ends now.
  if (stop_waits_for_drains_ && draining_.empty()) finish_stop();
}

void Output::build_pipeline() {
  retry_timer_.reset();
  set_state(OutputState::Starting);
  std::string error;
  auto run = make_run(error);
  if (!run) {
    fail(error);
    return;
  }
  current_ = std::move(run);
  {
    std::lock_guard lock(push_mutex_);
    push_ = current_.get();
    waiting_keyframe_ = true;
    pushed_bytes_ = 0;
  }
  became_current(GST_BIN(current_->pipeline));
  fanout_.request_keyframe();
}

void Output::teardown() {
  cancel_handover();
  if (!current_) return;
  bytes_before_ = bytes_;
  drop_run(std::move(current_));
}

bool Output::hand_over() {
  complete_handover();
  if (stopping_ || !current_ || next_) return false;
  {
    std::lock_guard lock(push_mutex_);
    if (push_ != current_.get() || waiting_keyframe_) return false;  // not streaming yet
  }
  std::string error;
  auto run = make_run(error);
  if (!run) {
    LOG_ERROR << "room " << room_ << ": output " << name_ << ": no handover: " << error;
    return false;
  }
  next_ = std::move(run);
  {
    std::lock_guard lock(push_mutex_);
    next_push_ = next_.get();
  }
  fanout_.request_keyframe();
  return true;
}

// Main loop: the streaming side may have cut over to next_ (cut_over); the
// main loop's view follows before it handles anything of either pipeline.
void Output::complete_handover() {
  {
    std::lock_guard lock(push_mutex_);
    if (!next_ || !next_->cut) return;
  }
  std::unique_ptr<Run> old = std::exchange(current_, std::move(next_));
  if (old) {
    Run* draining = old.get();
    draining->audio_deadline = run_after(kHandoverAudioS, [this, draining, t = lifetime_.token()] {
      if (!Lifetime::alive(t)) return;
      std::lock_guard lock(push_mutex_);
      if (old_audio_ != draining) return;
      gst_app_src_end_of_stream(GST_APP_SRC(draining->audio_src));
      old_audio_ = nullptr;
    });
    draining->drain_deadline = run_after(kHandoverDrainS, [this, draining, t = lifetime_.token()] {
      if (!Lifetime::alive(t)) return;
      LOG_WARN << "room " << room_ << ": output " << name_
               << ": a pipeline handed over did not finish in time";
      drop_draining(draining);
    });
    draining_.push_back(std::move(old));
  }
  became_current(GST_BIN(current_->pipeline));
}

void Output::cancel_handover() {
  complete_handover();
  if (!next_) return;
  {
    // The held audio was the running pipeline's all along.
    std::lock_guard lock(push_mutex_);
    next_push_ = nullptr;
    for (auto& sample : held_audio_) route_audio(sample.get());
    held_audio_.clear();
  }
  drop_run(std::move(next_));
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
  live_since_us_ = state == OutputState::Live ? g_get_monotonic_time() : 0;
  if (state == OutputState::Live) {
    LOG_INFO << "room " << room_ << ": output " << name_ << " (" << kind_ << " " << target()
             << ") is live";
    backoff_.reset();
  }
  listener_.on_output_state(*this);
}

void Output::restart_uptime() {
  if (state_ == OutputState::Live) live_since_us_ = g_get_monotonic_time();
}

void Output::poll() {
  if (!current_) return;
  const guint64 now = poll_bytes(GST_BIN(current_->pipeline));
  if (now > 0) {
    bytes_ = bytes_before_ + now;
    if (state_ == OutputState::Starting) set_state(OutputState::Live);
  }
}

size_t Output::element_count() const {
  size_t count = 0;
  for (const Run* run : {current_.get(), next_.get()})
    if (run) count += count_elements(run->pipeline);
  for (const auto& run : draining_) count += count_elements(run->pipeline);
  return count;
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
  if (live_since_us_) s.uptime_s = double(g_get_monotonic_time() - live_since_us_) / G_USEC_PER_SEC;
  s.file = current_file();
  s.open_files = open_files();
  return s;
}

void Output::on_encoded(MediaKind kind, GstSample* sample) {
  std::lock_guard lock(push_mutex_);
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (kind == MediaKind::Audio) {
    if (next_push_) {
      // Which pipeline this belongs to is known once the cut is.
      if (held_audio_.size() < kMaxHeldAudio) {
        held_audio_.emplace_back(gst_sample_ref(sample));
        return;
      }
      for (auto& held : held_audio_) route_audio(held.get());
      held_audio_.clear();
    }
    route_audio(sample);
    return;
  }
  const bool keyframe = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  // A rebased pipeline starts at its first keyframe's decoding time (no
  // timestamp of it goes below 0, with or without B-frames).
  const GstClockTime start =
      GST_BUFFER_DTS_IS_VALID(buffer) ? std::min(GST_BUFFER_DTS(buffer), pts) : pts;
  if (next_push_ && keyframe && GST_CLOCK_TIME_IS_VALID(pts)) cut_over(pts, start);
  Run* run = push_;
  if (!run || !run->video_src) return;
  if (waiting_keyframe_) {
    // An output must begin with a keyframe (and SPS/PPS, which h264parse
    // repeats before every keyframe).
    if (!keyframe) return;
    waiting_keyframe_ = false;
    run->base = rebase_timestamps_ ? start : GST_CLOCK_TIME_NONE;
  }
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    if (!GST_CLOCK_TIME_IS_VALID(run->first)) run->first = pts;
    run->end = pts + (GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : 0);
  }
  pushed_bytes_ += gst_buffer_get_size(buffer);
  push_sample(run->video_src, sample, run->base);
}

// The keyframe at `pts` (decoded from `start`) is the first of next_push_'s
// pipeline.
void Output::cut_over(GstClockTime pts, GstClockTime start) {
  Run* old = push_;
  Run* next = std::exchange(next_push_, nullptr);
  next->cut = true;
  next->base = rebase_timestamps_ ? start : GST_CLOCK_TIME_NONE;
  push_ = next;
  waiting_keyframe_ = false;
  // A pipeline handed over before still waiting for its audio to pass its
  // cut (back-to-back splits) has had all it will get.
  if (old_audio_) gst_app_src_end_of_stream(GST_APP_SRC(old_audio_->audio_src));
  old_audio_ = nullptr;
  cut_pts_ = pts;
  if (old && old->video_src) {
    gst_app_src_end_of_stream(GST_APP_SRC(old->video_src));
    old_audio_ = old->audio_src ? old : nullptr;
  }
  for (auto& held : held_audio_) route_audio(held.get());
  held_audio_.clear();
  post_to_main([this, t = lifetime_.token()] {
    if (Lifetime::alive(t)) complete_handover();
  });
}

// Audio goes where its timestamp belongs: to the pipeline handed over until
// the cut, then (that one ended) to the current one.
void Output::route_audio(GstSample* sample) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (old_audio_) {
    if (GST_CLOCK_TIME_IS_VALID(pts) && pts < cut_pts_) {
      pushed_bytes_ += gst_buffer_get_size(buffer);
      push_sample(old_audio_->audio_src, sample, old_audio_->base);
      return;
    }
    gst_app_src_end_of_stream(GST_APP_SRC(old_audio_->audio_src));
    old_audio_ = nullptr;
  }
  Run* run = push_;
  if (!run || !run->audio_src || waiting_keyframe_) return;
  // Audio from before a rebased pipeline's first keyframe has no place in it.
  if (GST_CLOCK_TIME_IS_VALID(run->base) && GST_CLOCK_TIME_IS_VALID(pts) && pts < run->base) return;
  pushed_bytes_ += gst_buffer_get_size(buffer);
  push_sample(run->audio_src, sample, run->base);
}

void Output::stop(std::function<void()> done, double timeout_s) {
  stopping_ = true;
  stop_done_ = std::move(done);
  retry_timer_.reset();
  fanout_.unsubscribe(this);  // nothing more comes: on_encoded never runs again
  cancel_handover();
  GstPtr<GstElement> video, audio;
  {
    std::lock_guard lock(push_mutex_);
    if (push_ && current_ && push_ == current_.get()) {
      video = ref(push_->video_src);
      audio = ref(push_->audio_src);
    }
    push_ = nullptr;
    if (old_audio_) {
      gst_app_src_end_of_stream(GST_APP_SRC(old_audio_->audio_src));
      old_audio_ = nullptr;
    }
  }
  stop_timer_ = run_after(timeout_s, [this, t = lifetime_.token()] {
    if (!Lifetime::alive(t)) return;
    LOG_WARN << "room " << room_ << ": output " << name_ << " did not finish in time";
    stop_timed_out_ = true;
    finish_stop();
  });
  if (!video) {
    finish_stop();
    return;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(video.get()));
  gst_app_src_end_of_stream(GST_APP_SRC(audio.get()));
}

void Output::finish_stop() {
  poll_timer_.reset();
  if (current_) {
    poll();
    teardown();
  }
  // Pipelines handed over before the stop finish too, within the stop's time.
  stop_waits_for_drains_ = !draining_.empty() && !stop_timed_out_;
  if (stop_waits_for_drains_) return;
  stop_timer_.reset();
  while (!draining_.empty()) {
    auto run = std::move(draining_.back());
    draining_.pop_back();
    drop_run(std::move(run));
  }
  if (state_ != OutputState::Failed) set_state(OutputState::Stopped);
  if (auto done = std::move(stop_done_)) {
    stop_done_ = nullptr;
    done();
  }
}

gboolean Output::on_bus(GstBus*, GstMessage* message, gpointer data) {
  auto* run = static_cast<Run*>(data);
  Output* self = run->output;
  // Handlers below may free `run` (and this watch, which GLib allows).
  self->complete_handover();
  if (run == self->current_.get()) {
    self->on_current_message(message);
  } else if (run == self->next_.get()) {
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
      LOG_ERROR << "room " << self->room_ << ": output " << self->name_
                << ": the pipeline prepared for a handover failed";
      self->cancel_handover();
    }
  } else {
    self->on_draining_message(run, message);
  }
  return G_SOURCE_CONTINUE;
}

void Output::on_current_message(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      GError* raw = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(message, &raw, &debug);
      GErrorPtr error(raw);
      GCharPtr debug_text(debug);
      LOG_DEBUG << "output " << name_ << " error detail: " << (debug ? debug : "");
      fail(error ? error->message : "unknown error");
      break;
    }
    case GST_MESSAGE_EOS:
      if (stopping_) {
        double media_s = 0;
        {
          std::lock_guard lock(push_mutex_);
          if (GST_CLOCK_TIME_IS_VALID(current_->first))
            media_s = double(current_->end - current_->first) / GST_SECOND;
        }
        finished(GST_BIN(current_->pipeline), media_s);
        finish_stop();
      }
      break;
    default:
      break;
  }
}

void Output::on_draining_message(Run* run, GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      GError* raw = nullptr;
      gst_message_parse_error(message, &raw, nullptr);
      GErrorPtr error(raw);
      LOG_ERROR << "room " << room_ << ": output " << name_
                << ": a pipeline handed over failed while ending: "
                << (error ? error->message : "unknown error");
      drop_draining(run);
      break;
    }
    case GST_MESSAGE_EOS: {
      double media_s = 0;
      {
        std::lock_guard lock(push_mutex_);
        if (GST_CLOCK_TIME_IS_VALID(run->first))
          media_s = double(run->end - run->first) / GST_SECOND;
      }
      finished(GST_BIN(run->pipeline), media_s);
      drop_draining(run);
      break;
    }
    default:
      break;
  }
}

// ---------------------------------------------------------------------------
// The three kinds of output.

namespace {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
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
            EncodedFanout& fanout, Listener& listener, bool continue_playlist)
      : Output(room, "hls", "hls", Backoff(1.0, 30.0, -1), fanout, listener),
        config_(config),
        dir_(directory),
        continue_playlist_(continue_playlist) {}

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
    // A restart, or a new attempt after a failure: the same playlist goes on.
    const bool continuing = continue_playlist_ || attempts_ > 0;
    std::optional<HlsContinuation> continuation;
    if (continuing) continuation = continuation_after(previous_playlist());
    if (continuation) continue_stream(GST_BIN(sink), *continuation);
    // Every playlist goes to the disk through us, so that the last one
    // written is also known here (the playlist the next attempt continues).
    auto* rewrite = new PlaylistRewrite{room(), playlist(), continuation, written_};
    g_signal_connect_data(
        sink, "get-playlist-stream", G_CALLBACK(&HlsOutput::on_get_playlist_stream), rewrite,
        [](gpointer data, GClosure*) { delete static_cast<PlaylistRewrite*>(data); },
        GConnectFlags(0));
    ++attempts_;
    link_or_throw(video, vparse);
    link_or_throw(audio, aparse);
    if (!gst_element_link_pads(vparse, "src", sink, "video") ||
        !gst_element_link_pads(aparse, "src", sink, "audio"))
      throw std::runtime_error("cannot link to hlssink2");
  }

  std::string target() const override { return playlist(); }
  guint64 poll_bytes(GstBin*) override { return pushed_bytes(); }

  // A finished stream says so, so players stop polling and can seek the whole.
  void finished(GstBin*, double) override {
    const std::string text = read_text_file(playlist());
    if (text.find("#EXT-X-ENDLIST") != std::string::npos || text.empty()) return;
    std::ofstream out(playlist(), std::ios::app);
    out << "#EXT-X-ENDLIST\n";
  }

 private:
  // hlssink2 numbers its segments and its playlist from 0 on every start.
  // Continuing (core/hls_playlist.h): its segment files are numbered from
  // the next media sequence number (its splitmuxsink's start-index), so no
  // name of the previous run is reused and a file's number is its media
  // sequence number; every playlist it writes is renumbered on its way to
  // the disk (written whole and renamed into place, as hlssink2 does).
  void continue_stream(GstBin* sink, const HlsContinuation& continuation) {
    LOG_INFO << "room " << room() << ": HLS continues " << playlist() << " at media sequence "
             << continuation.media_sequence << " (discontinuity sequence "
             << continuation.discontinuity_sequence << ")";
    for_each_object<GstElement>(gst_bin_iterate_elements(sink), [&](GstElement* child) {
      GstElementFactory* factory = gst_element_get_factory(child);
      if (factory && std::string(GST_OBJECT_NAME(factory)) == "splitmuxsink")
        g_object_set(child, "start-index", guint(continuation.media_sequence), nullptr);
    });
  }

  // The playlist a new run continues: the one on disk, or, when it is gone
  // (the HLS directory was removed under the live room), the last one this
  // output wrote, so that the media sequence still only goes up.
  std::string previous_playlist() const {
    std::string text = read_text_file(playlist());
    if (!text.empty()) return text;
    std::lock_guard lock(written_->mutex);
    return written_->text;
  }

  // The last playlist written, shared with the streaming thread that writes.
  struct WrittenPlaylist {
    std::mutex mutex;
    std::string text;
  };

  struct PlaylistRewrite {
    std::string room;
    std::string path;
    std::optional<HlsContinuation> continuation;  // none: written as rendered
    std::shared_ptr<WrittenPlaylist> written;
  };

  // hlssink2's streaming thread: the stream for the next playlist it writes.
  static GOutputStream* on_get_playlist_stream(GstElement*, const gchar*, gpointer data) {
    const PlaylistRewrite rewrite = *static_cast<PlaylistRewrite*>(data);
    return text_stream_new([rewrite](std::string text) {
      GError* raw = nullptr;
      const std::string out =
          rewrite.continuation ? continue_playlist(text, *rewrite.continuation) : std::move(text);
      {
        std::lock_guard lock(rewrite.written->mutex);
        rewrite.written->text = out;
      }
      if (!g_file_set_contents(rewrite.path.c_str(), out.data(), gssize(out.size()), &raw)) {
        GErrorPtr error(raw);
        LOG_ERROR << "room " << rewrite.room << ": output hls: cannot write " << rewrite.path
                  << ": " << (error ? error->message : "?");
      }
    });
  }

  std::string playlist() const { return dir_ + "/index.m3u8"; }
  HlsConfig config_;
  std::string dir_;
  bool continue_playlist_;
  int attempts_ = 0;
  std::shared_ptr<WrittenPlaylist> written_ = std::make_shared<WrittenPlaylist>();
};

// filesink batches writes (64 kB by default): at a low bitrate that is seconds
// of media that a crash loses on top of the unfinished fragment. The muxers
// write whole fragments (mp4) or frames (mkv), so unbuffered costs little.
void make_unbuffered(GstElement* file_sink) {
  gst_util_set_object_arg(G_OBJECT(file_sink), "buffer-mode", "unbuffered");
}

// Names the recording's files: "<room>-<UTC time>.<ext>", never the name of
// an existing file or one given before (core/recording_files.h).
class FileNamer {
 public:
  FileNamer(std::string dir, std::string room, std::string ext)
      : dir_(std::move(dir)), room_(std::move(room)), ext_(std::move(ext)) {}

  std::string next() {
    std::string path = new_recording_path(
        dir_, room_, recording_timestamp(std::time(nullptr)), ext_, [this](const std::string& p) {
          std::error_code ec;
          return given_.count(p) > 0 || std::filesystem::exists(p, ec);
        });
    given_.insert(path);
    return path;
  }

 private:
  std::string dir_;
  std::string room_;
  std::string ext_;
  std::set<std::string> given_;  // named already, maybe not created yet
};

// One file per pipeline: appsrcs -> parsers -> mp4mux (fragmented) or
// matroskamux -> filesink, which writes each fragment (mp4) or frame (mkv)
// as it comes, so a crash loses at most fragment_s. A split is a handover
// (Output::hand_over): the next file's pipeline starts next to the running
// one and the stream moves to it at a keyframe, so the old file ends with
// the frame before it and the new one starts with it, nothing lost or twice.
// The timed split (split_s) is the same handover on a timer. (splitmuxsink,
// which did the timed split before, holds a whole GOP back before writing
// it: a crash lost up to a keyframe interval more than fragment_s.)
class RecordingOutput final : public Output, public Recording {
 public:
  RecordingOutput(const std::string& room, const RecordingConfig& config,
                  const std::string& directory, EncodedFanout& fanout, Listener& listener)
      : Output(room, "recording", "recording", Backoff(1.0, 30.0, -1), fanout, listener),
        config_(config),
        dir_(directory),
        namer_(directory, room, config.format == "mp4" ? ".mp4" : ".mkv") {
    queue_s_ = 5.0;
    rebase_timestamps_ = true;  // every file starts at 0
    // Before this room records again: the files an earlier crash (or a full
    // disk) cut off before their first fragment hold nothing to play.
    for (const auto& path : remove_recordings_without_media(dir_))
      LOG_WARN << "room " << room << ": recording: removed " << path
               << " (left by an earlier run before it held any media)";
    for (const auto& file : list_recordings(dir_)) trim(file.path, "an earlier run");
  }

  // The files of failed attempts (a full disk may have cut them inside a
  // box) are made whole once the recording is over: trimming them while
  // the disk is full would free just enough for a few frames of the next
  // attempt, and then the next, each in a file of its own.
  ~RecordingOutput() override {
    for (const auto& path : failed_files_) trim(path, "a failed attempt");
  }

  bool split() override {
    if (!hand_over()) return false;
    LOG_INFO << "room " << room() << ": recording: splitting " << current_;
    return true;
  }

 protected:
  void build(GstBin* bin, GstElement* video, GstElement* audio) override {
    make_directory(dir_);
    const bool mp4 = config_.format == "mp4";
    const std::string file = namer_.next();
    GstElement* vparse = add_element(bin, "h264parse");
    GstElement* aparse = add_element(bin, "aacparse");
    GstElement* mux = add_element(bin, mp4 ? "mp4mux" : "matroskamux");
    if (mp4) {
      // Fragmented MP4: the moov goes first and every fragment is complete on
      // its own, so a SIGKILL loses at most the last fragment. On EOS mp4mux
      // appends an 'mfra' (how a finished file is known).
      g_object_set(mux, "fragment-duration", guint(config_.fragment_s * 1000), "streamable", TRUE,
                   nullptr);
    }
    GstElement* sink = add_element(bin, "filesink", "sink");
    g_object_set(sink, "location", file.c_str(), "sync", FALSE, "async", FALSE, nullptr);
    make_unbuffered(sink);
    link_or_throw(video, vparse);
    link_or_throw(audio, aparse);
    link_or_throw(vparse, mux);
    link_or_throw(aparse, mux);
    link_or_throw(mux, sink);
    files_[bin] = file;
  }

  std::string target() const override { return current_.empty() ? dir_ : current_; }
  std::string current_file() const override { return current_; }
  std::vector<std::string> open_files() const override {
    std::vector<std::string> open;
    for (const auto& [bin, file] : files_)
      if (!finished_.count(bin)) open.push_back(file);
    return open;
  }
  guint64 poll_bytes(GstBin*) override { return pushed_bytes(); }

  void became_current(GstBin* bin) override {
    current_ = files_[bin];
    restart_uptime();
    LOG_INFO << "room " << room() << ": recording to " << current_;
    if (config_.split_s > 0) schedule_split(config_.split_s);
  }

  void finished(GstBin* bin, double media_s) override {
    auto it = files_.find(bin);
    if (it == files_.end()) return;
    finished_.insert(bin);
    FinishedRecording file;
    file.path = it->second;
    file.duration_s = media_s;
    std::error_code ec;
    file.size_bytes = std::filesystem::file_size(file.path, ec);
    if (current_ == file.path) current_.clear();
    LOG_INFO << "room " << room() << ": recording finished " << file.path << " (" << media_s
             << " s, " << file.size_bytes << " bytes)";
    listener().on_recording_finished(*this, file);
  }

  void forget(GstBin* bin) override {
    auto it = files_.find(bin);
    if (it == files_.end()) return;
    // An attempt that failed before it wrote a byte (a full disk) leaves no
    // empty file behind to be listed as a recording.
    std::error_code ec;
    if (!finished_.count(bin) && std::filesystem::file_size(it->second, ec) == 0 && !ec &&
        std::filesystem::remove(it->second, ec))
      LOG_INFO << "room " << room() << ": recording: removed " << it->second
               << " (its attempt failed before writing anything)";
    else if (!finished_.count(bin))
      failed_files_.push_back(it->second);
    if (current_ == it->second) current_.clear();
    files_.erase(it);
    finished_.erase(bin);
  }

 private:
  // A file cut off inside a box (a full disk) ends at its last whole one.
  void trim(const std::string& path, const char* whose) {
    if (const uint64_t cut = trim_cut_off_mp4(path))
      LOG_WARN << "room " << room() << ": recording: cut " << cut << " bytes off " << path << " ("
               << whose << " left a fragment unfinished)";
  }

  void schedule_split(double after_s) {
    split_timer_ = run_after(after_s, [this, t = lifetime_.token()] {
      if (!Lifetime::alive(t)) return;
      // Not streaming yet, or a split under way: try again shortly.
      if (!split() && !stopping()) schedule_split(1.0);
    });
  }

  RecordingConfig config_;
  std::string dir_;
  FileNamer namer_;
  std::map<GstBin*, std::string> files_;   // each pipeline's file
  std::set<GstBin*> finished_;             // those whose file is complete
  std::string current_;                    // the file being written
  std::vector<std::string> failed_files_;  // of failed attempts, trimmed at the end
  SourceId split_timer_;
  Lifetime lifetime_;
};

}  // namespace

std::unique_ptr<Output> make_rtmp_output(const std::string& room, const RtmpConfig& config,
                                         EncodedFanout& fanout, Output::Listener& listener) {
  return std::make_unique<RtmpOutput>(room, config, fanout, listener);
}

std::unique_ptr<Output> make_hls_output(const std::string& room, const HlsConfig& config,
                                        const std::string& directory, EncodedFanout& fanout,
                                        Output::Listener& listener, bool continue_playlist) {
  return std::make_unique<HlsOutput>(room, config, directory, fanout, listener, continue_playlist);
}

std::unique_ptr<Output> make_recording_output(const std::string& room,
                                              const RecordingConfig& config,
                                              const std::string& directory, EncodedFanout& fanout,
                                              Output::Listener& listener) {
  return std::make_unique<RecordingOutput>(room, config, directory, fanout, listener);
}

}  // namespace mixcast
