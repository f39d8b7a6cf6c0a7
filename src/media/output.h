// Outputs: RTMP pushes, live HLS and the recording. Each output is its own
// GstPipeline fed by two appsrcs from the room's EncodedFanout, so that its
// failure (a dead CDN, a full disk) or its slowness never reaches the mixer
// or another output. A failed output is rebuilt with exponential backoff.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/lifetime.h"
#include "core/backoff.h"
#include "core/config.h"
#include "core/recording_files.h"
#include "core/room_status.h"
#include "media/encoded_fanout.h"
#include "media/gst_ptr.h"

namespace mixcast {

class Output : public EncodedSubscriber {
 public:
  class Listener {
   public:
    virtual void on_output_state(const Output& output) = 0;  // main loop
    // A recording finalized a file: stop, split, timed split (main loop).
    virtual void on_recording_finished(const Output& /*output*/,
                                       const FinishedRecording& /*file*/) {}

   protected:
    ~Listener() = default;
  };

  Output(std::string room, std::string name, std::string kind, Backoff backoff,
         EncodedFanout& fanout, Listener& listener);
  virtual ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void start();
  // Ends the stream cleanly (EOS through the output: playlists get ENDLIST,
  // files get finalized), then calls `done` on the main loop. At most
  // `timeout_s` is spent waiting (also for a pipeline handed over before).
  void stop(std::function<void()> done, double timeout_s = 5.0);

  OutputStatus status() const;
  const std::string& name() const { return name_; }
  // Elements in this output's pipelines (running, prepared, draining).
  size_t element_count() const;

  void on_encoded(MediaKind kind, GstSample* sample) override;

 protected:
  // Builds the output's elements in `pipeline` after the two appsrcs (which
  // carry H.264 byte-stream and raw AAC). Throws std::runtime_error on failure.
  virtual void build(GstBin* pipeline, GstElement* video_src, GstElement* audio_src) = 0;
  virtual std::string target() const = 0;
  // Polled once a second while running: bytes delivered so far (0 if unknown).
  virtual guint64 poll_bytes(GstBin* pipeline) = 0;
  // `pipeline` is the one the stream goes to now: a new attempt's, or the
  // one a handover moved to (main loop).
  virtual void became_current(GstBin* /*pipeline*/) {}
  // `pipeline` reached EOS cleanly: after stop(), or after a handover moved
  // the stream on. `media_s`: the span of video it was given.
  virtual void finished(GstBin* /*pipeline*/, double /*media_s*/) {}
  // `pipeline` is gone (after finished(), or failed, or given up).
  virtual void forget(GstBin* /*pipeline*/) {}
  // The file being written now, for the status ("" if none).
  virtual std::string current_file() const { return {}; }
  // Every file still open: the current one, the next one a handover
  // prepared and the previous ones still being finished.
  virtual std::vector<std::string> open_files() const { return {}; }

  // Builds the next pipeline (build() again) next to the running one and
  // moves the stream to it at the next keyframe, asked for now: the running
  // pipeline gets everything before that keyframe (audio by timestamp) and
  // then EOS, the new one everything from it on. Nothing is lost or doubled
  // and the mix never waits. False when the output is not streaming, is
  // stopping, or a handover is under way.
  bool hand_over();

  const std::string& room() const { return room_; }
  bool stopping() const { return stopping_; }
  Listener& listener() { return listener_; }
  // The uptime counts from now while live (a recording's new file).
  void restart_uptime();
  // Bytes pushed into this attempt's pipelines so far.
  guint64 pushed_bytes() const { return pushed_bytes_; }
  double queue_s_ = 2.0;
  // Each pipeline's media starts at 0 (files), not at the room's running
  // time (constant after construction).
  bool rebase_timestamps_ = false;

 private:
  // One pipeline of this output: an attempt's, or one prepared for (or
  // handed over by) a handover. Owned by the output; the streaming threads
  // reach it only through push_, next_push_ and old_audio_, which the main
  // loop clears (under push_mutex_) before it lets a Run go.
  struct Run {
    Output* output = nullptr;
    GstElement* pipeline = nullptr;  // owned; to NULL through the reaper
    SourceId bus_watch;
    SourceId audio_deadline;  // handed over: its audio ends by then anyway
    SourceId drain_deadline;  // handed over: given up if no EOS by then
    // Guarded by push_mutex_:
    GstElement* video_src = nullptr;  // refs
    GstElement* audio_src = nullptr;
    GstClockTime base = GST_CLOCK_TIME_NONE;   // rebasing: PTS of its first keyframe
    GstClockTime first = GST_CLOCK_TIME_NONE;  // span of the video it got
    GstClockTime end = GST_CLOCK_TIME_NONE;
    bool cut = false;  // the stream moved on to it (handover)
  };

  static gboolean on_bus(GstBus* bus, GstMessage* message, gpointer run);
  void on_current_message(GstMessage* message);
  void on_draining_message(Run* run, GstMessage* message);
  std::unique_ptr<Run> make_run(std::string& error);
  void drop_run(std::unique_ptr<Run> run);
  void drop_draining(Run* run);
  void complete_handover();
  void cancel_handover();
  void build_pipeline();
  void teardown();
  void fail(const std::string& error);
  void set_state(OutputState state);
  void poll();
  void finish_stop();
  // Streaming side (push_mutex_ held).
  void cut_over(GstClockTime pts, GstClockTime start);
  void route_audio(GstSample* sample);

  std::string room_;
  std::string name_;
  std::string kind_;
  Backoff backoff_;
  EncodedFanout& fanout_;
  Listener& listener_;

  std::unique_ptr<Run> current_;
  std::unique_ptr<Run> next_;                   // prepared, waiting for the cut
  std::vector<std::unique_ptr<Run>> draining_;  // handed over, ending with EOS
  SourceId retry_timer_;
  SourceId poll_timer_;
  SourceId stop_timer_;
  std::function<void()> stop_done_;
  bool stopping_ = false;
  bool stop_timed_out_ = false;
  bool stop_waits_for_drains_ = false;

  OutputState state_ = OutputState::Starting;
  std::string last_error_;
  guint64 bytes_ = 0;
  guint64 bytes_before_ = 0;  // delivered by earlier attempts
  gint64 live_since_us_ = 0;  // monotonic; 0 while not live

  // Streaming-thread side: where samples go. Guarded by push_mutex_.
  std::mutex push_mutex_;
  Run* push_ = nullptr;       // the current run
  Run* next_push_ = nullptr;  // a handover waits for a keyframe to move here
  Run* old_audio_ = nullptr;  // handed over: still takes audio before cut_pts_
  GstClockTime cut_pts_ = GST_CLOCK_TIME_NONE;
  std::vector<MiniPtr<GstSample>> held_audio_;  // audio while a handover waits
  bool waiting_keyframe_ = true;
  std::atomic<guint64> pushed_bytes_{0};

  Lifetime lifetime_;
};

// What a recording can do besides what every output does.
class Recording {
 public:
  // Finalizes the current file and goes on in a new one, in the same
  // pipeline and with no gap: the cut is at a keyframe (one is requested
  // now), the old file gets everything before it and the new one starts with
  // it. False when no file is being written (between attempts, stopping).
  virtual bool split() = 0;

 protected:
  ~Recording() = default;
};

std::unique_ptr<Output> make_rtmp_output(const std::string& room, const RtmpConfig& config,
                                         EncodedFanout& fanout, Output::Listener& listener);
// `continue_playlist`: a playlist already in `directory` is continued (a
// restart by the operator, see core/hls_playlist.h); otherwise the stream
// starts afresh. Every new attempt after a failure continues it too.
std::unique_ptr<Output> make_hls_output(const std::string& room, const HlsConfig& config,
                                        const std::string& directory, EncodedFanout& fanout,
                                        Output::Listener& listener, bool continue_playlist = false);
// Each file is "<room>-<UTC start time>.<ext>" (core/recording_files.h): a
// new file never overwrites one. split_s > 0 starts a new file every split_s
// seconds (at a keyframe), as Recording::split() does on request.
std::unique_ptr<Output> make_recording_output(const std::string& room,
                                              const RecordingConfig& config,
                                              const std::string& directory, EncodedFanout& fanout,
                                              Output::Listener& listener);

}  // namespace mixcast
