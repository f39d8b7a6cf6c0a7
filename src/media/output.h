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

#include "base/lifetime.h"
#include "core/backoff.h"
#include "core/config.h"
#include "core/room_status.h"
#include "media/encoded_fanout.h"
#include "media/gst_ptr.h"

namespace mixcast {

class Output : public EncodedSubscriber {
 public:
  class Listener {
   public:
    virtual void on_output_state(const Output& output) = 0;  // main loop

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
  // `timeout_s` is spent waiting.
  void stop(std::function<void()> done, double timeout_s = 5.0);

  OutputStatus status() const;
  const std::string& name() const { return name_; }

  void on_encoded(MediaKind kind, GstSample* sample) override;

 protected:
  // Builds the output's elements in `pipeline` after the two appsrcs (which
  // carry H.264 byte-stream and raw AAC). Throws std::runtime_error on failure.
  virtual void build(GstBin* pipeline, GstElement* video_src, GstElement* audio_src) = 0;
  virtual std::string target() const = 0;
  // Polled once a second while running: bytes delivered so far (0 if unknown).
  virtual guint64 poll_bytes(GstBin* pipeline) = 0;
  // Called after a clean stop (EOS reached).
  virtual void finished() {}
  const std::string& room() const { return room_; }
  // Bytes pushed into this attempt's pipeline so far.
  guint64 pushed_bytes() const { return pushed_bytes_; }
  double queue_s_ = 2.0;

 private:
  static gboolean on_bus(GstBus* bus, GstMessage* message, gpointer self);
  void build_pipeline();
  void teardown();
  void fail(const std::string& error);
  void set_state(OutputState state);
  void poll();
  void finish_stop();

  std::string room_;
  std::string name_;
  std::string kind_;
  Backoff backoff_;
  EncodedFanout& fanout_;
  Listener& listener_;

  GstElement* pipeline_ = nullptr;
  SourceId bus_watch_;
  SourceId retry_timer_;
  SourceId poll_timer_;
  SourceId stop_timer_;
  std::function<void()> stop_done_;
  bool stopping_ = false;

  OutputState state_ = OutputState::Starting;
  std::string last_error_;
  guint64 bytes_ = 0;
  guint64 bytes_before_ = 0;  // delivered by earlier attempts

  // Streaming-thread side: where samples go. Guarded by push_mutex_.
  std::mutex push_mutex_;
  GstElement* video_src_ = nullptr;
  GstElement* audio_src_ = nullptr;
  bool waiting_keyframe_ = true;
  std::atomic<guint64> pushed_bytes_{0};

  Lifetime lifetime_;
};

std::unique_ptr<Output> make_rtmp_output(const std::string& room, const RtmpConfig& config,
                                         EncodedFanout& fanout, Output::Listener& listener);
std::unique_ptr<Output> make_hls_output(const std::string& room, const HlsConfig& config,
                                        const std::string& directory, EncodedFanout& fanout,
                                        Output::Listener& listener);
std::unique_ptr<Output> make_recording_output(const std::string& room,
                                              const RecordingConfig& config,
                                              const std::string& directory, EncodedFanout& fanout,
                                              Output::Listener& listener);

}  // namespace mixcast
