// One room: one GstPipeline on the main loop that owns the participants, the
// video and audio mix, the one shared encode and the outputs. Children report
// to the room through their Listener interfaces; the room reports to its
// owner (the server) through Room::Listener.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/lifetime.h"
#include "core/active_speaker.h"
#include "core/api_error.h"
#include "core/config.h"
#include "core/frame_governor.h"
#include "core/layout.h"
#include "core/participant_controls.h"
#include "core/profile.h"
#include "core/room_status.h"
#include "media/audio_mix.h"
#include "media/encode_pacer.h"
#include "media/encoded_fanout.h"
#include "media/encoder.h"
#include "media/gst_ptr.h"
#include "media/input_guard.h"
#include "media/output.h"
#include "media/participant.h"
#include "media/shared_encode.h"
#include "media/tee_feed.h"
#include "media/video_mix.h"
#include "media/webrtc_participant.h"
#include "media/webrtc_viewer.h"

namespace mixcast {

// Everything a room needs from the server's configuration.
struct RoomSetup {
  RoomConfig room;
  MediaConfig media;
  Layout layout;
  std::string layout_file;  // watched for live edits when not empty
  EncoderProfile video_profile;
  EncoderProfile audio_profile;
  std::string hls_dir;                   // this room's directory
  std::string recordings_dir;            // this room's directory
  std::string sources_base_dir;          // relative source paths resolve here
  double keyframe_min_interval_s = 1.0;  // forced keyframes of the shared encode, at most
  EncoderProfile vp8_profile;            // for WebRTC peers without H.264 (empty launch: none)
};

class Room : public Participant::Listener, public Output::Listener {
 public:
  class Listener {
   public:
    virtual void on_room_event(const std::string& room, const RoomEvent& event) = 0;

   protected:
    ~Listener() = default;
  };

  // Builds the pipeline; throws std::runtime_error when it cannot.
  Room(RoomSetup setup, Listener* listener);
  virtual ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  // Starts the pipeline, the outputs and the source schedule.
  void start();
  // Ends every output cleanly (recordings finalized, HLS ENDLIST), then stops
  // the pipeline; `done` runs on the main loop.
  void stop(std::function<void()> done);

  // Adds a participant from a source config now; returns its id, or "" with
  // `error` set when the URI is bad.
  std::string add_source(const SourceConfig& source, std::string& error);
  // A WebRTC publisher (WHIP): `on_answer` gets the SDP answer on the main
  // loop once ICE gathering is complete. Returns the participant id.
  std::string add_webrtc_publisher(const std::string& name, std::string offer_sdp, SdpOffer offer,
                                   WebRtcSettings settings, WebRtcSession::Callbacks callbacks,
                                   std::string& error);
  WebRtcParticipant* webrtc_participant(const std::string& id);
  // A WHEP viewer of the full mix. Returns its id, or "" with `error` set.
  std::string add_webrtc_viewer(std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                                WebRtcSession::Callbacks callbacks, std::string& error);
  WebRtcViewer* webrtc_viewer(const std::string& id);
  void remove_viewer(const std::string& id, const std::string& reason);
  // What participant `id` hears: everyone but themselves (F32, limited). A
  // new reference; the feed lives until the participant leaves.
  GstPad* mix_minus_feed(const std::string& id) { return audio_mix_->mix_minus_pad(id); }
  void remove_participant(const std::string& id, const std::string& reason);

  // Operator controls of participants (REST API). Main loop only. Each is
  // visible or audible in the programme at once, survives a core rebuild and
  // emits ParticipantUpdated when something changed. NotFound for an unknown
  // participant, BadRequest (with `field`) for a bad value; nullopt: done.
  // The display name, and so the label drawn in their tiles (field "name").
  ApiResult rename_participant(const std::string& id, const std::string& name);
  // Audio: out of the mix and of everyone's mix-minus (gain 0 before the
  // sum). Video: their tiles show the placeholder.
  ApiResult set_muted(const std::string& id, Participant::Stream stream, bool muted);
  // Gain before the sum, -60..+20 dB (field "volume_db").
  ApiResult set_volume_db(const std::string& id, double gain_db);
  // Into the layout's speaker (focus) region; at most one per room, so
  // pinning someone unpins whoever was pinned.
  ApiResult set_pinned(const std::string& id, bool pinned);

  // Applies a layout at once. The canvas size stays what the room started with.
  void set_layout(Layout layout);
  // The same, and from now on the room follows edits of `file` instead of
  // its previous layout file ("" for a layout that has none: sent inline).
  void switch_layout(Layout layout, std::string file);
  const std::string& layout_file() const { return setup_.layout_file; }
  const Layout& layout() const { return setup_.layout; }
  Composition composition() const { return composition_; }

  // Operator controls of outputs (REST API). Main loop; every one answers at
  // once (nullopt: done or under way) and never makes the mix or another
  // output wait. Output names are unique in the room: "hls" and "recording"
  // are the room's HLS and recording, RTMP destinations have their own. An
  // output that is stopping has left the status already and keeps its name
  // until it has stopped (`done`); a room that is stopping answers
  // Unavailable. Definitions: room_outputs.cpp.
  //
  // A new RTMP destination, pushing at once (starting on a keyframe asked of
  // the shared encode). BadRequest (field "url", "name", ...) for a bad
  // config, Conflict for a name in use; no name: "rtmp<N>".
  ApiResult add_rtmp_output(RtmpConfig rtmp);
  // Ends output `name` cleanly (EOS: the CDN sees the stream end, a file is
  // finalized, a playlist gets ENDLIST) on its own pipeline, bounded as
  // Output::stop is; `done` on the main loop once it has. NotFound.
  ApiResult remove_output(const std::string& name, std::function<void()> done);
  // HLS on again continues the room's playlist: the media sequence goes on
  // and the new run is a discontinuity (core/hls_playlist.h). Conflict when
  // already in that state (or still stopping).
  ApiResult start_hls();
  ApiResult stop_hls(std::function<void()> done);
  // A new file each time (never an existing name, core/recording_files.h).
  ApiResult start_recording();
  ApiResult stop_recording(std::function<void()> done);
  // Finalizes the current file and continues in a new one at the next
  // keyframe, asked for now (a RecordingFinished event follows). Conflict
  // when no file is being written.
  ApiResult split_recording();
  // A config reload: from now on the room's outputs start with these
  // settings (an RTMP destination added, HLS or the recording started again)
  // and its limits and layout name are these. Starts and stops nothing: the
  // caller applies the difference with the controls above.
  void update_live_config(const RoomConfig& next);

 private:
  // An output that left outputs_ and is ending its stream; freed once it
  // has, then its `done` callbacks run (the remover's, a room stop's).
  struct RetiringOutput {
    std::unique_ptr<Output> output;
    std::vector<std::function<void()>> done;
  };
  std::vector<RetiringOutput> retiring_outputs_;
  Output* find_output(const std::string& name) const;
  bool output_name_taken(const std::string& name) const;
  void start_output(std::unique_ptr<Output> output);
  void retire_output(std::unique_ptr<Output> output, std::function<void()> done);
  void on_recording_finished(const Output& output, const FinishedRecording& file) override;

 public:
  RoomStatus status() const;
  size_t viewer_count() const { return viewers_.size(); }
  size_t participant_count() const { return members_.size(); }
  // GStreamer elements in the room's pipeline and its outputs' (also those
  // still ending), for the leak checks of /metrics.
  size_t element_count() const;
  // stop() was called: the room takes nobody new.
  bool stopping() const { return stopping_; }
  // Nobody in the room: no participant (of any kind) and no viewer.
  bool deserted() const { return members_.empty() && viewers_.empty(); }
  const std::string& name() const { return setup_.room.name; }
  const RoomConfig& config() const { return setup_.room; }
  int width() const { return canvas_.width; }
  int height() const { return canvas_.height; }
  GstElement* pipeline() const { return pipeline_; }
  // Rebuilds the mixing core (mixers, painter, encoders, their tees) and
  // re-attaches every participant, viewer and output. Called on a core error
  // and when the programme stops advancing (media.stall_timeout_s).
  void rebuild_core(const std::string& why);
  // Runs after a rebuild (tests re-attach their taps of the raw mix here).
  void set_on_rebuilt(std::function<void()> on_rebuilt) { on_rebuilt_ = std::move(on_rebuilt); }
  // For tests: the raw mixed canvas and audio mix can be tapped here.
  GstElement* video_tee() const { return raw_video_tee_; }
  GstElement* audio_tee() const { return raw_audio_tee_; }

 private:
  struct Member {
    std::unique_ptr<Participant> participant;
    int slot = 0;
    int video_width = 0;
    int video_height = 0;
    bool video_linked = false;
    bool audio_linked = false;
    bool streams_known = false;               // all of the participant's streams have appeared
    std::unique_ptr<InputGuard> video_guard;  // between their streams and the mixers
    std::unique_ptr<InputGuard> audio_guard;
    std::unique_ptr<InputGuard>& guard(Participant::Stream s) {
      return s == Participant::Stream::Video ? video_guard : audio_guard;
    }
    bool& linked(Participant::Stream s) {
      return s == Participant::Stream::Video ? video_linked : audio_linked;
    }
    TeeFeed return_video;              // WebRTC return path, on encoded_video_tee_
    GstPad* return_vp8_pad = nullptr;  // or on the shared VP8 encode
    std::string source_uri;
    SourceConfig source;           // to rejoin looping files
    double audio_level_db = -127;  // loudest channel, last level report
    ParticipantControls controls;  // the operator's; re-applied on every link and relayout
  };

  // Participant::Listener
  void on_participant_stream(Participant& p, Participant::Stream stream, GstPad* pad) override;
  void on_participant_streams_complete(Participant& p) override;
  void on_participant_video_size(Participant& p, int width, int height) override;
  void on_participant_ended(Participant& p, const std::string& reason) override;
  // Output::Listener
  void on_output_state(const Output& output) override;

  static gboolean on_bus(GstBus* bus, GstMessage* message, gpointer self);
  void handle_error(GstMessage* message);
  void handle_level(GstMessage* message);
  void relayout();
  void schedule_source(const SourceConfig& source, double first_join_s);
  void watch_layout_file();
  static void on_layout_file_changed(GFileMonitor*, GFile*, GFile*, GFileMonitorEvent event,
                                     gpointer self);
  void reload_layout_file();
  void emit(RoomEvent event);
  Member* find(const Participant& p);
  // The participant whose element `object` is (a bus message's source).
  Member* member_owning(GstObject* object);
  // Forces a keyframe of the shared encode of `codec`.
  void force_keyframe(ReturnVideo codec);
  // The participant's raw `stream` (its guarded pad) into its mixer.
  void link_stream(const std::string& id, Participant::Stream stream, GstPad* pad);
  void link_return_feeds(Member& member, WebRtcParticipant& participant);
  // After the participant's bin is in NULL: frees what fed its return path.
  void release_return_feeds(const std::string& id, Member& member);
  std::string admit(std::unique_ptr<Participant> participant, const std::string& described,
                    const SourceConfig& source, std::string& error);
  // The mixers and encoders; `rebuilt`: into a pipeline already running.
  void build_core(bool rebuilt);
  void build_encoders(const EncodeSettings& settings);
  // Main loop, twice a second: the programme advances, or the core is rebuilt.
  bool watch_programme();
  void build_outputs();

  RoomSetup setup_;
  Listener* listener_;
  CanvasSpec canvas_;
  GstElement* pipeline_ = nullptr;
  SourceId bus_watch_;
  std::unique_ptr<VideoMix> video_mix_;
  std::unique_ptr<AudioMix> audio_mix_;
  GstElement* raw_video_tee_ = nullptr;
  GstElement* raw_audio_tee_ = nullptr;
  GstElement* encoded_video_tee_ = nullptr;  // the shared H.264 stream
  std::unique_ptr<EncodedFanout> fanout_;
  std::vector<std::unique_ptr<Output>> outputs_;

  std::map<std::string, Member> members_;
  struct Viewer {
    std::unique_ptr<WebRtcViewer> viewer;
    TeeFeed video;              // on encoded_video_tee_
    GstPad* vp8_pad = nullptr;  // or on the shared VP8 encode
    TeeFeed audio;              // on the shared Opus tee
  };
  std::map<std::string, Viewer> viewers_;
  bool link_viewer_feeds(Viewer& v, std::string& error);
  // What a rebuild took out, freed once its elements are in NULL.
  struct OldCore {
    std::unique_ptr<VideoMix> video;
    std::unique_ptr<AudioMix> audio;
    std::unique_ptr<SharedEncode> vp8;
    std::vector<TeeFeed> feeds;
    std::vector<GstPtr<GstPad>> pads;
  };
  EncodeSettings encode_settings_;
  struct Progress {
    guint64 count = 0;
    gint64 since_us = 0;
  };
  Progress video_progress_;
  Progress audio_progress_;
  Progress fps_window_;  // frames encoded at the start of the current second
  double encoder_fps_ = 0;
  // Frames dropped before the encoder because it was behind; shared with
  // the queue's signal handler, which may outlive a replaced core.
  std::shared_ptr<std::atomic<std::uint64_t>> video_frames_skipped_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  Progress skip_report_;  // skipped frames at the last warning
  static constexpr int kSkipReportIntervalS = 10;
  // Persistent skipping: the programme at an even, lower rate instead.
  FrameGovernor governor_{FrameGovernor::Options{}};
  EncodePacer pacer_;               // on the current core's encoder
  EncodePacer::Totals pacer_seen_;  // its totals at the governor's last tick
  guint64 skipped_seen_ = 0;        // video_frames_skipped_ then
  void govern_frame_rate();
  SourceId programme_watchdog_;
  int rebuilds_ = 0;
  std::string last_core_error_;
  gint64 last_rebuild_us_ = 0;
  double rebuild_backoff_s_ = 0;
  std::function<void()> on_rebuilt_;
  int next_viewer_ = 1;
  // The full mix in Opus, encoded once for every viewer; built on first use.
  GstElement* opus_tee_ = nullptr;
  // VP8 of the canvas for peers that take no H.264: one encode, only while
  // such peers are there.
  std::unique_ptr<SharedEncode> vp8_;
  GstElement* shared_opus_tee();
  SlotTable slots_;
  ActiveSpeaker speaker_;
  Composition composition_;
  int next_participant_ = 1;
  std::vector<SourceId> schedule_;
  std::map<std::string, SourceId> leave_timers_;  // by participant id
  GObjectPtr<GFileMonitor> layout_monitor_;
  SourceId layout_reload_;
  bool stopping_ = false;
  // What the input guards of participants who left counted (metrics).
  InputCounters departed_video_input_;
  InputCounters departed_audio_input_;
  Lifetime lifetime_;
};

}  // namespace mixcast
