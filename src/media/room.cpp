#include "media/room.h"

#include "media/heap_return.h"
#include "media/keyframe_limiter.h"
#include "media/reaper.h"

#include <gio/gio.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/log.h"
#include "core/source_uri.h"

namespace mixcast {

namespace {

GstElement* build_encoder_or_throw(const EncoderProfile& profile, const EncodeSettings& settings) {
  try {
    return build_encoder(profile, settings);
  } catch (const std::exception& e) {
    throw std::runtime_error(profile.file + ": launch: " + e.what());
  }
}

constexpr double kFirstOutputGraceS = 10.0;

double monotonic_s() {
  return g_get_monotonic_time() / 1e6;
}

// Participant ids: the source name made URL-safe, plus a counter.
std::string make_id(const std::string& name, int n) {
  std::string id;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!id.empty() && id.back() != '-')
      id += '-';
  }
  if (id.empty()) id = "p";
  return id + "-" + std::to_string(n);
}

}  // namespace

Room::Room(RoomSetup setup, Listener* listener) : setup_(std::move(setup)), listener_(listener) {
  const auto& room = setup_.room;
  const auto& media = setup_.media;
  const auto& canvas = setup_.layout.canvas;
  // Room setting first, then the layout's design size, then media defaults.
  canvas_.width = room.width ? room.width : canvas.width ? canvas.width : media.width;
  canvas_.height = room.height ? room.height : canvas.height ? canvas.height : media.height;
  canvas_.fps = room.fps ? room.fps : canvas.fps ? canvas.fps : media.fps;
  canvas_.background = canvas.background;
  canvas_.background_image = canvas.background_image;
  canvas_.latency_ms = media.mixer_latency_ms;
  FrameGovernor::Options governor;
  governor.fps = canvas_.fps;
  governor_ = FrameGovernor(governor);

  pipeline_ = gst_pipeline_new(("room-" + room.name).c_str());
  gst_object_ref_sink(pipeline_);

  EncodeSettings& settings = encode_settings_;
  settings.width = canvas_.width;
  settings.height = canvas_.height;
  settings.fps = canvas_.fps;
  settings.video_bitrate_kbps = media.video_bitrate_kbps;
  settings.audio_bitrate_kbps = media.audio_bitrate_kbps;
  settings.audio_rate = media.audio_rate;
  settings.audio_channels = media.audio_channels;
  settings.keyframe_interval_s = media.keyframe_interval_s;
  build_core(false);

  GstPtr<GstBus> bus(gst_element_get_bus(pipeline_));
  bus_watch_ = SourceId(gst_bus_add_watch(bus.get(), &Room::on_bus, this));
  relayout();
}

Room::~Room() {
  schedule_.clear();
  leave_timers_.clear();
  // Every streaming thread stops at once first: a participant stopped on its
  // own while the rest runs could wait on a query that a stalled mixer holds.
  if (pipeline_) gst_element_set_state(pipeline_, GST_STATE_NULL);
  if (vp8_) {
    for (auto& [id, member] : members_) vp8_->detach(std::exchange(member.return_vp8_pad, nullptr));
    for (auto& [id, v] : viewers_) vp8_->detach(std::exchange(v.vp8_pad, nullptr));
    vp8_.reset();
  }
  outputs_.clear();
  retiring_outputs_.clear();  // before the fanout they unsubscribe from
  members_.clear();
  viewers_.clear();
  fanout_.reset();
  video_mix_.reset();
  audio_mix_.reset();
  bus_watch_.reset();
  if (pipeline_) gst_object_unref(pipeline_);
  heap_return::soon();  // what the room's threads freed, back to the system
}

// GStreamer 1.22.0's GstVideoEncoder stops forcing keyframes after the first
// one when min-force-key-unit-interval is set: it is switched off on every
// encoder of the room, and the rate is bounded at the tee instead
// (limit_keyframe_requests).
static void disable_encoder_keyframe_limit(GstElement* encoder) {
  auto disable = [](GstElement* element) {
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "min-force-key-unit-interval"))
      g_object_set(element, "min-force-key-unit-interval", guint64(0), nullptr);
  };
  if (!GST_IS_BIN(encoder)) {
    disable(encoder);
    return;
  }
  for_each_object<GstElement>(gst_bin_iterate_recurse(GST_BIN(encoder)), disable);
}

void Room::build_core(bool rebuilt) {
  GstBin* bin = GST_BIN(pipeline_);
  video_mix_ = std::make_unique<VideoMix>(bin, canvas_);
  const auto& media = setup_.media;
  AudioSpec audio_spec{media.audio_rate, media.audio_channels, media.mixer_latency_ms};
  audio_spec.joins_running_room = rebuilt;
  audio_mix_ = std::make_unique<AudioMix>(bin, audio_spec);
  build_encoders(encode_settings_);
}

void Room::build_encoders(const EncodeSettings& settings) {
  GstBin* bin = GST_BIN(pipeline_);
  // Raw canvas -> tee (tests, and later per-codec encoders) -> H.264 -> tee.
  raw_video_tee_ = add_element(bin, "tee", "canvas-tee");
  g_object_set(raw_video_tee_, "allow-not-linked", TRUE, nullptr);
  GstPtr<GstPad> canvas_sink(gst_element_get_static_pad(raw_video_tee_, "sink"));
  gst_pad_link(video_mix_->src_pad(), canvas_sink.get());
  GstElement* vqueue = add_element(bin, "queue", "video-encode-queue");
  g_object_set(vqueue, "max-size-buffers", 3u, "max-size-bytes", 0u, "max-size-time", guint64(0),
               nullptr);
  // An encoder that cannot keep up (an overloaded machine) must not hold up
  // the mixer, or the programme falls further behind real time every second
  // (bench/webrtc.sh --only rooms: 1.8 s after 30 s). The oldest frame
  // waiting is dropped instead: the programme stays live at a lower rate,
  // the audio is untouched, and every dropped frame is counted ("overrun" is
  // emitted once for each).
  gst_util_set_object_arg(G_OBJECT(vqueue), "leaky", "downstream");
  using Counter = std::shared_ptr<std::atomic<std::uint64_t>>;
  g_signal_connect_data(
      vqueue, "overrun", G_CALLBACK(+[](GstElement*, gpointer data) {
        (*static_cast<Counter*>(data))->fetch_add(1, std::memory_order_relaxed);
      }),
      new Counter(video_frames_skipped_),
      [](gpointer data, GClosure*) { delete static_cast<Counter*>(data); }, GConnectFlags(0));
  GstElement* venc = build_encoder_or_throw(setup_.video_profile, settings);
  gst_element_set_name(venc, "video-encoder");
  gst_bin_add(bin, venc);
  disable_encoder_keyframe_limit(venc);
  pacer_.attach(vqueue, venc);
  GstElement* vparse = add_element(bin, "h264parse", "video-parse");
  g_object_set(vparse, "config-interval", -1, nullptr);  // SPS/PPS before every keyframe
  GstElement* vcaps = add_element(bin, "capsfilter");
  MiniPtr<GstCaps> h264(
      gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au"));
  g_object_set(vcaps, "caps", h264.get(), nullptr);
  GstElement* video_tee = add_element(bin, "tee", "video-tee");
  g_object_set(video_tee, "allow-not-linked", TRUE, nullptr);
  encoded_video_tee_ = video_tee;
  GstPtr<GstPad> video_tee_sink(gst_element_get_static_pad(video_tee, "sink"));
  limit_keyframe_requests(video_tee_sink.get(), setup_.keyframe_min_interval_s);
  link_or_throw(raw_video_tee_, vqueue);
  link_or_throw(vqueue, venc);
  link_or_throw(venc, vparse);
  link_or_throw(vparse, vcaps);
  link_or_throw(vcaps, video_tee);

  raw_audio_tee_ = add_element(bin, "tee", "mix-tee");
  g_object_set(raw_audio_tee_, "allow-not-linked", TRUE, nullptr);
  GstPtr<GstPad> mix_sink(gst_element_get_static_pad(raw_audio_tee_, "sink"));
  gst_pad_link(audio_mix_->src_pad(), mix_sink.get());
  GstElement* aqueue = add_element(bin, "queue", "audio-encode-queue");
  GstElement* aconvert = add_element(bin, "audioconvert");
  GstElement* aenc = build_encoder_or_throw(setup_.audio_profile, settings);
  gst_element_set_name(aenc, "audio-encoder");
  gst_bin_add(bin, aenc);
  GstElement* aparse = add_element(bin, "aacparse", "audio-parse");
  GstElement* audio_tee = add_element(bin, "tee", "audio-tee");
  g_object_set(audio_tee, "allow-not-linked", TRUE, nullptr);
  link_or_throw(raw_audio_tee_, aqueue);
  link_or_throw(aqueue, aconvert);
  link_or_throw(aconvert, aenc);
  link_or_throw(aenc, aparse);
  link_or_throw(aparse, audio_tee);

  // The fanout outlives a rebuild of the core: the outputs stay subscribed.
  if (fanout_)
    fanout_->attach(bin, video_tee, audio_tee);
  else
    fanout_ = std::make_unique<EncodedFanout>(bin, video_tee, audio_tee);

  if (!setup_.vp8_profile.launch.empty()) {
    vp8_ = std::make_unique<SharedEncode>(
        "room " + name() + " vp8", bin, raw_video_tee_,
        [this, settings] {
          GstElement* encoder = build_encoder_or_throw(setup_.vp8_profile, settings);
          disable_encoder_keyframe_limit(encoder);
          return encoder;
        },
        setup_.keyframe_min_interval_s);
  }
}

void Room::build_outputs() {
  const auto& outputs = setup_.room.outputs;
  const std::string& room = setup_.room.name;
  if (outputs.hls.enabled)
    outputs_.push_back(make_hls_output(room, outputs.hls, setup_.hls_dir, *fanout_, *this));
  if (outputs.recording.enabled)
    outputs_.push_back(
        make_recording_output(room, outputs.recording, setup_.recordings_dir, *fanout_, *this));
  for (const auto& rtmp : outputs.rtmp)
    outputs_.push_back(make_rtmp_output(room, rtmp, *fanout_, *this));
}

void Room::start() {
  // The room's timeline starts now and never resets: every element gets this
  // base time from its first state change on. (Left to the pipeline, the
  // live mixers could start their clock waits before the base time was
  // distributed, with base 0, and stop their sources with EOS at once.)
  GstPtr<GstClock> clock(gst_system_clock_obtain());
  gst_pipeline_use_clock(GST_PIPELINE(pipeline_), clock.get());
  gst_element_set_start_time(pipeline_, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time(pipeline_, gst_clock_get_time(clock.get()));
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    throw std::runtime_error("room " + name() + ": the pipeline does not start");
  build_outputs();
  for (auto& output : outputs_) output->start();
  for (const auto& source : setup_.room.sources) schedule_source(source, source.join_at_s);
  watch_layout_file();
  const gint64 now = g_get_monotonic_time();
  video_progress_ = {0, now};
  audio_progress_ = {0, now};
  programme_watchdog_ = run_every(
      0.5, [this, t = lifetime_.token()] { return Lifetime::alive(t) && watch_programme(); });
  LOG_INFO << "room " << name() << ": started, " << canvas_.width << "x" << canvas_.height << "@"
           << canvas_.fps << ", layout " << setup_.layout.name;
}

void Room::stop(std::function<void()> done) {
  if (stopping_) return;
  stopping_ = true;
  programme_watchdog_.reset();
  schedule_.clear();
  leave_timers_.clear();
  layout_monitor_.reset();
  // Outputs still ending after a remove are waited for too.
  auto remaining = std::make_shared<size_t>(outputs_.size() + retiring_outputs_.size());
  auto finish = [this, t = lifetime_.token(), done = std::move(done)] {
    if (Lifetime::alive(t)) {
      gst_element_set_state(pipeline_, GST_STATE_NULL);
      LOG_INFO << "room " << name() << ": stopped";
    }
    if (done) done();
  };
  if (*remaining == 0) {
    finish();
    return;
  }
  auto one_done = [remaining, finish] {
    if (--*remaining == 0) finish();
  };
  for (auto& output : outputs_) output->stop(one_done);
  for (auto& retiring : retiring_outputs_) retiring.done.push_back(one_done);
}

void Room::schedule_source(const SourceConfig& source, double first_join_s) {
  auto join = [this, source] {
    std::string error;
    const std::string id = add_source(source, error);
    if (id.empty()) {
      LOG_ERROR << "room " << name() << ": source " << source.name << ": " << error;
      return;
    }
    if (source.leave_at_s >= 0) {
      leave_timers_[id] = run_after(source.leave_at_s - source.join_at_s, [this, id] {
        leave_timers_.erase(id);
        remove_participant(id, "left on schedule");
      });
    }
  };
  if (first_join_s <= 0) {
    join();
  } else {
    schedule_.push_back(run_after(first_join_s, join));
  }
  if (source.repeat_every_s > 0) {
    schedule_.push_back(run_after(first_join_s + source.repeat_every_s,
                                  [this, source] { schedule_source(source, 0); }));
  }
}

std::string Room::add_source(const SourceConfig& source, std::string& error) {
  if (stopping_) {
    error = "the room is stopping";
    return "";
  }
  auto uri = parse_source_uri(source.uri, setup_.sources_base_dir, error);
  if (!uri) return "";
  const std::string id = make_id(source.name, next_participant_++);
  const std::string identity = source.identity.empty() ? source.name : source.identity;
  std::unique_ptr<Participant> participant;
  try {
    participant = make_source_participant(id, source.name, identity, *uri, *this);
  } catch (const std::exception& e) {
    error = e.what();
    return "";
  }
  const std::string described = uri->kind == SourceUri::Kind::Uri ? uri->uri : source.uri;
  return admit(std::move(participant), described, source, error);
}

std::string Room::add_webrtc_publisher(const std::string& name, std::string offer_sdp,
                                       SdpOffer offer, WebRtcSettings settings,
                                       WebRtcSession::Callbacks callbacks, std::string& error) {
  if (stopping_) {
    error = "the room is stopping";
    return "";
  }
  const std::string id = make_id(name.empty() ? "guest" : name, next_participant_++);
  auto participant = std::make_unique<WebRtcParticipant>(
      id, name.empty() ? id : name, name, std::move(offer_sdp), std::move(offer),
      std::move(settings), std::move(callbacks), *this);
  SourceConfig described;
  described.name = name;
  return admit(std::move(participant), "webrtc", described, error);
}

WebRtcParticipant* Room::webrtc_participant(const std::string& id) {
  auto it = members_.find(id);
  if (it == members_.end()) return nullptr;
  return dynamic_cast<WebRtcParticipant*>(it->second.participant.get());
}

std::string Room::admit(std::unique_ptr<Participant> participant, const std::string& described,
                        const SourceConfig& source, std::string& error) {
  const std::string id = participant->id();
  Member member;
  member.source = source;
  member.source_uri = described;
  member.slot = slots_.join(id);
  member.participant = std::move(participant);
  Participant* p = member.participant.get();
  members_.emplace(id, std::move(member));
  try {
    p->start(GST_BIN(pipeline_));
  } catch (const std::exception& e) {
    members_.erase(id);
    slots_.leave(id);
    error = e.what();
    return "";
  }
  if (auto* webrtc = dynamic_cast<WebRtcParticipant*>(p))
    link_return_feeds(members_.at(id), *webrtc);
  LOG_INFO << "room " << name() << ": " << p->display_name() << " joined as " << id << " (slot "
           << members_.at(id).slot << ", " << described << ")";
  emit({RoomEventKind::ParticipantJoined, id, p->display_name(), {}, {}});
  relayout();
  return id;
}

void Room::remove_participant(const std::string& id, const std::string& reason) {
  auto it = members_.find(id);
  if (it == members_.end()) return;
  // Nothing here may wait on one of the participant's streaming threads:
  // one of them can itself be waiting (a push or a serialized query inside a
  // mixer, webrtcbin holding a send stream of a peer that never connected),
  // and the main loop serves every room. So the branch is unblocked first,
  // then taken out, and stopped on a thread of its own:
  // 1. the guards drop whatever the participant still sends, and the shared
  //    streams stop going to them (plain unlinks, no stream lock);
  // 2. their mixer inputs go, the mixers' pads first: a push or query of
  //    theirs waiting inside a mixer returns flushing, and so does every
  //    thread queued behind it;
  // 3. their bin leaves the pipeline and goes to NULL in the background
  //    (media/reaper); once it is there, the tee pads and the mix-minus that
  //    fed its return path are freed (nothing can be waiting in them now).
  auto gone = std::make_shared<Member>(std::move(it->second));
  members_.erase(it);
  for (auto* guard : {gone->video_guard.get(), gone->audio_guard.get()})
    if (guard) guard->close();
  if (gone->video_guard) departed_video_input_ += gone->video_guard->counters();
  if (gone->audio_guard) departed_audio_input_ += gone->audio_guard->counters();
  gone->return_video.unlink();
  unlink_from_peer(gone->return_vp8_pad);
  video_mix_->remove_input(id);
  audio_mix_->remove_input(id);
  const std::string participant_name = gone->participant->display_name();
  GstPtr<GstElement> bin = gone->participant->detach();
  reaper::stop_in_background(std::move(bin), "room " + name() + ": participant " + id,
                             [this, t = lifetime_.token(), id, gone] {
                               if (Lifetime::alive(t)) release_return_feeds(id, *gone);
                               gone->participant.reset();
                             });
  slots_.leave(id);
  leave_timers_.erase(id);
  if (speaker_.current() == id) emit({RoomEventKind::Speaking, "", "", {}, {}});
  speaker_.remove(id);
  LOG_INFO << "room " << name() << ": " << id << " left (" << reason << ")";
  emit({RoomEventKind::ParticipantLeft, id, participant_name, reason, {}});
  relayout();
  const SourceConfig& source = gone->source;
  if (source.loop && reason == "end of stream" && !stopping_) {
    std::string error;
    const std::string again = add_source(source, error);
    if (again.empty()) {
      LOG_ERROR << "room " << name() << ": cannot loop " << source.name << ": " << error;
    } else {
      // The clip starts over as the same seat for the operator: muted,
      // turned down, pinned or renamed as it was (its streams link later,
      // with these controls).
      Member& member = members_.at(again);
      member.controls = gone->controls;
      if (participant_name != source.name) member.participant->set_display_name(participant_name);
      relayout();
    }
  }
}

// The mix goes back to a WebRTC participant: the shared H.264 stream (one
// encode for everyone) and its own mix-minus.
void Room::force_keyframe(ReturnVideo codec) {
  if (codec == ReturnVideo::Vp8) {
    if (vp8_) vp8_->request_keyframe();
  } else if (codec == ReturnVideo::H264) {
    fanout_->request_keyframe();
  }
}

void Room::link_return_feeds(Member& member, WebRtcParticipant& participant) {
  // A peer starts decoding on a keyframe: force one when it can receive it.
  participant.set_on_connected(
      [this, t = lifetime_.token(), codec = participant.return_video_codec()] {
        if (Lifetime::alive(t)) force_keyframe(codec);
      });
  GstPad* video_sink = participant.return_video_sink();
  if (video_sink && participant.return_video_codec() == ReturnVideo::Vp8) {
    std::string error;
    if (vp8_) member.return_vp8_pad = vp8_->attach(video_sink, error);
    if (!member.return_vp8_pad)
      LOG_ERROR << "room " << name() << ": cannot send VP8 to " << participant.id() << ": "
                << (vp8_ ? error : "no VP8 encoder profile");
  } else if (video_sink) {
    std::string error;
    member.return_video = TeeFeed::link(encoded_video_tee_, video_sink, error);
    if (!member.return_video)
      LOG_ERROR << "room " << name() << ": cannot send video back to " << participant.id() << ": "
                << error;
    // A new receiver needs a keyframe to start decoding.
    fanout_->request_keyframe();
  }
  if (GstPad* sink = participant.return_audio_sink()) {
    GstPtr<GstPad> feed(mix_minus_feed(participant.id()));
    if (gst_pad_link(feed.get(), sink) != GST_PAD_LINK_OK)
      LOG_ERROR << "room " << name() << ": cannot send audio back to " << participant.id();
  }
}

void Room::release_return_feeds(const std::string& id, Member& member) {
  member.return_video.release();
  if (member.return_vp8_pad) vp8_->detach(std::exchange(member.return_vp8_pad, nullptr));
  audio_mix_->remove_mix_minus(id);
}

GstElement* Room::shared_opus_tee() {
  if (opus_tee_) return opus_tee_;
  GstBin* bin = GST_BIN(pipeline_);
  GstElement* queue = add_element(bin, "queue", "opus-queue");
  GstElement* convert = add_element(bin, "audioconvert");
  GstElement* resample = add_element(bin, "audioresample");
  GstElement* encode = add_element(bin, "opusenc", "opus-encoder");
  g_object_set(encode, "bitrate", 96000, nullptr);
  gst_util_set_object_arg(G_OBJECT(encode), "frame-size", "20");
  opus_tee_ = add_element(bin, "tee", "opus-tee");
  g_object_set(opus_tee_, "allow-not-linked", TRUE, nullptr);
  link_or_throw(queue, convert);
  link_or_throw(convert, resample);
  link_or_throw(resample, encode);
  link_or_throw(encode, opus_tee_);
  // Running before the live tee feeds it (a flushing pad would stop the tee).
  for (GstElement* e : {opus_tee_, encode, resample, convert, queue})
    gst_element_sync_state_with_parent(e);
  link_or_throw(raw_audio_tee_, queue);
  return opus_tee_;
}

std::string Room::add_webrtc_viewer(std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                                    WebRtcSession::Callbacks callbacks, std::string& error) {
  if (stopping_) {
    error = "the room is stopping";
    return "";
  }
  const std::string id = "viewer-" + std::to_string(next_viewer_++);
  Viewer v;
  v.viewer = std::make_unique<WebRtcViewer>(
      id, std::move(offer_sdp), std::move(offer), std::move(settings), std::move(callbacks),
      [this, t = lifetime_.token()](const std::string& gone, const std::string& reason) {
        // Never tear a viewer down inside its own callback.
        post_to_main([this, t, gone, reason] {
          if (Lifetime::alive(t)) remove_viewer(gone, reason);
        });
      });
  try {
    if (!v.viewer->start(GST_BIN(pipeline_), error)) return "";
  } catch (const std::exception& e) {
    // An offer we cannot build send branches for: a client error, not a crash.
    error = e.what();
    return "";
  }
  if (!link_viewer_feeds(v, error)) return "";
  v.viewer->set_on_connected([this, t = lifetime_.token(), codec = v.viewer->video_codec()] {
    if (Lifetime::alive(t)) force_keyframe(codec);
  });
  viewers_.emplace(id, std::move(v));
  LOG_INFO << "room " << name() << ": viewer " << id << " joined (" << viewers_.size()
           << " watching)";
  emit({RoomEventKind::ViewerJoined, id, "", {}, {}});
  return id;
}

bool Room::link_viewer_feeds(Viewer& v, std::string& error) {
  if (GstPad* sink = v.viewer->video_sink(); sink && v.viewer->video_codec() == ReturnVideo::Vp8) {
    if (vp8_) v.vp8_pad = vp8_->attach(sink, error);
    if (!v.vp8_pad) {
      if (!vp8_) error = "no VP8 encoder profile";
      return false;
    }
  } else if (sink) {
    v.video = TeeFeed::link(encoded_video_tee_, sink, error);
    if (!v.video) return false;
    fanout_->request_keyframe();  // a new receiver starts on a keyframe
  }
  if (GstPad* sink = v.viewer->audio_sink()) {
    v.audio = TeeFeed::link(shared_opus_tee(), sink, error);
    if (!v.audio) return false;
  }
  return true;
}

WebRtcViewer* Room::webrtc_viewer(const std::string& id) {
  auto it = viewers_.find(id);
  return it == viewers_.end() ? nullptr : it->second.viewer.get();
}

void Room::remove_viewer(const std::string& id, const std::string& reason) {
  auto it = viewers_.find(id);
  if (it == viewers_.end()) return;
  // As for a participant (remove_participant): the shared streams stop
  // going to the viewer at once, its bin stops off the main loop, and the
  // tee pads are freed once nothing of the viewer can be waiting in them.
  auto gone = std::make_shared<Viewer>(std::move(it->second));
  viewers_.erase(it);
  gone->video.unlink();
  gone->audio.unlink();
  unlink_from_peer(gone->vp8_pad);
  GstPtr<GstElement> bin = gone->viewer->detach();
  reaper::stop_in_background(std::move(bin), "room " + name() + ": viewer " + id,
                             [this, t = lifetime_.token(), gone] {
                               if (Lifetime::alive(t) && gone->vp8_pad)
                                 vp8_->detach(std::exchange(gone->vp8_pad, nullptr));
                               gone->video.release();
                               gone->audio.release();
                               gone->viewer.reset();
                             });
  LOG_INFO << "room " << name() << ": viewer " << id << " left (" << reason << ")";
  emit({RoomEventKind::ViewerLeft, id, "", reason, {}});
}

Room::Member* Room::member_owning(GstObject* object) {
  for (auto& [id, member] : members_)
    if (member.participant->owns(object)) return &member;
  return nullptr;
}

Room::Member* Room::find(const Participant& p) {
  auto it = members_.find(p.id());
  return it == members_.end() ? nullptr : &it->second;
}

void Room::on_participant_stream(Participant& p, Participant::Stream stream, GstPad* pad) {
  Member* member = find(p);
  if (!member) return;
  // The guard is in place before the first buffer can pass (the pad is
  // blocked until it is linked).
  const bool video = stream == Participant::Stream::Video;
  member->guard(stream) = std::make_unique<InputGuard>(
      "room " + name() + ": participant " + p.id() + (video ? " video" : " audio"),
      video ? InputTimeline::Kind::Video : InputTimeline::Kind::Audio, pad, pipeline_);
  link_stream(p.id(), stream, pad);
  member->linked(stream) = true;
  relayout();
}

void Room::link_stream(const std::string& id, Participant::Stream stream, GstPad* pad) {
  if (stream == Participant::Stream::Video)
    video_mix_->add_input(id, pad);
  else
    audio_mix_->add_input(id, pad, input_gain(members_.at(id).controls));
}

void Room::on_participant_streams_complete(Participant& p) {
  Member* member = find(p);
  if (!member) return;
  member->streams_known = true;
  if (!member->video_linked) relayout();  // placeholder from now on
}

void Room::on_participant_video_size(Participant& p, int width, int height) {
  Member* member = find(p);
  if (!member || (member->video_width == width && member->video_height == height)) return;
  member->video_width = width;
  member->video_height = height;
  relayout();
}

void Room::on_participant_ended(Participant& p, const std::string& reason) {
  // Never tear a participant down inside its own callback.
  post_to_main([this, t = lifetime_.token(), id = p.id(), reason] {
    if (Lifetime::alive(t)) remove_participant(id, reason);
  });
}

void Room::on_output_state(const Output& output) {
  const OutputStatus s = output.status();
  emit({RoomEventKind::OutputState, "", s.name, s.last_error, s});
}

void Room::relayout() {
  LayoutInput input;
  input.canvas_width = canvas_.width;
  input.canvas_height = canvas_.height;
  input.active_speaker = speaker_.current();
  for (const auto& [id, member] : members_) {
    ParticipantView view;
    view.id = id;
    view.identity = member.participant->identity();
    view.display_name = member.participant->display_name();
    view.slot = member.slot;
    view.has_video = member.video_linked && !member.controls.video_muted;
    view.video_width = member.video_width;
    view.video_height = member.video_height;
    view.pinned = member.controls.pinned;
    input.participants.push_back(view);
  }
  composition_ = compose(setup_.layout, input);
  // A participant whose streams are still appearing gets no placeholder flash.
  std::erase_if(composition_.tiles, [&](const Tile& tile) {
    auto it = members_.find(tile.participant_id);
    return tile.placeholder && it != members_.end() && !it->second.streams_known;
  });
  video_mix_->apply(composition_, setup_.layout);
}

void Room::set_layout(Layout layout) {
  if (layout.canvas.width &&
      (layout.canvas.width != canvas_.width || layout.canvas.height != canvas_.height)) {
    LOG_WARN << "room " << name() << ": layout " << layout.name << " is designed for "
             << layout.canvas.width << "x" << layout.canvas.height << "; the room stays "
             << canvas_.width << "x" << canvas_.height << " (pixel units are not rescaled)";
  }
  setup_.layout = std::move(layout);
  relayout();
  emit({RoomEventKind::LayoutChanged, "", setup_.layout.name, {}, {}});
}

void Room::switch_layout(Layout layout, std::string file) {
  layout_reload_.reset();
  layout_monitor_.reset();
  setup_.layout_file = std::move(file);
  watch_layout_file();
  set_layout(std::move(layout));
}

void Room::watch_layout_file() {
  if (setup_.layout_file.empty()) return;
  GObjectPtr<GFile> file(g_file_new_for_path(setup_.layout_file.c_str()));
  GError* raw = nullptr;
  layout_monitor_.reset(g_file_monitor_file(file.get(), G_FILE_MONITOR_NONE, nullptr, &raw));
  GErrorPtr error(raw);
  if (!layout_monitor_) {
    LOG_WARN << "room " << name() << ": cannot watch " << setup_.layout_file << ": "
             << (error ? error->message : "?");
    return;
  }
  g_signal_connect(layout_monitor_.get(), "changed", G_CALLBACK(&Room::on_layout_file_changed),
                   this);
}

void Room::on_layout_file_changed(GFileMonitor*, GFile*, GFile*, GFileMonitorEvent event,
                                  gpointer data) {
  auto* self = static_cast<Room*>(data);
  if (event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT && event != G_FILE_MONITOR_EVENT_CREATED &&
      event != G_FILE_MONITOR_EVENT_CHANGED)
    return;
  // Editors write in several steps: settle before reading.
  self->layout_reload_ = run_after(0.2, [self, t = self->lifetime_.token()] {
    if (Lifetime::alive(t)) self->reload_layout_file();
  });
}

void Room::reload_layout_file() {
  try {
    Layout layout = load_layout_file(setup_.layout_file);
    LOG_INFO << "room " << name() << ": layout " << setup_.layout_file << " reloaded";
    set_layout(std::move(layout));
  } catch (const FileError& e) {
    // A broken edit keeps the previous layout running.
    LOG_ERROR << "room " << name() << ": layout edit rejected, keeping the previous one:\n"
              << e.what();
    emit({RoomEventKind::LayoutError, "", setup_.layout.name, e.what(), {}});
  }
}

void Room::emit(RoomEvent event) {
  if (listener_) listener_->on_room_event(name(), event);
}

gboolean Room::on_bus(GstBus*, GstMessage* message, gpointer data) {
  auto* self = static_cast<Room*>(data);
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR:
      self->handle_error(message);
      break;
    case GST_MESSAGE_WARNING: {
      GError* raw = nullptr;
      gst_message_parse_warning(message, &raw, nullptr);
      GErrorPtr error(raw);
      LOG_WARN << "room " << self->name() << ": " << GST_OBJECT_NAME(GST_MESSAGE_SRC(message))
               << ": " << (error ? error->message : "?");
      // A decoder warning (a corrupt or missing frame): the publisher is
      // asked for a fresh keyframe rather than showing garbage until the next.
      if (error && error->domain == GST_STREAM_ERROR)
        if (Member* member = self->member_owning(GST_MESSAGE_SRC(message)))
          if (auto* webrtc = dynamic_cast<WebRtcParticipant*>(member->participant.get()))
            webrtc->on_decode_trouble();
      break;
    }
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency(GST_BIN(self->pipeline_));
      break;
    case GST_MESSAGE_ELEMENT:
      self->handle_level(message);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

void Room::handle_error(GstMessage* message) {
  GError* raw = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(message, &raw, &debug);
  GErrorPtr error(raw);
  GCharPtr debug_text(debug);
  const std::string text = error ? error->message : "unknown error";
  GstObject* src = GST_MESSAGE_SRC(message);
  if (Member* member = member_owning(src)) {
    if (member->participant->ended()) return;  // already on its way out
    LOG_ERROR << "room " << name() << ": participant " << member->participant->id() << " ("
              << member->source_uri << "): " << text;
    member->participant->fail(text);
    return;
  }
  // A further error from a participant already removed (its elements are
  // detached by now, but the debug text keeps the element's path).
  if (debug && std::strstr(debug, "/GstBin:participant-")) {
    LOG_DEBUG << "room " << name() << ": late error from a departed participant: " << text;
    return;
  }
  // From an element of a core already replaced (queued before it left).
  if (!gst_object_has_as_ancestor(src, GST_OBJECT(pipeline_))) {
    LOG_DEBUG << "room " << name() << ": late error from a replaced core: " << text;
    return;
  }
  // An error in the mix or the encoders: the room cannot go on as it is,
  // so its core is rebuilt.
  LOG_ERROR << "room " << name() << ": " << GST_OBJECT_NAME(src) << ": " << text << " ("
            << (debug ? debug : "") << ")";
  emit({RoomEventKind::RoomError, "", GST_OBJECT_NAME(src), text, {}});
  rebuild_core(std::string(GST_OBJECT_NAME(src)) + ": " + text);
}

bool Room::watch_programme() {
  const gint64 now = g_get_monotonic_time();
  const guint64 frames = fanout_->video_frames();
  const guint64 audio = fanout_->audio_buffers();
  if (frames != video_progress_.count) video_progress_ = {frames, now};
  // The encoder's rate over the last second or more.
  if (now - fps_window_.since_us >= G_USEC_PER_SEC) {
    if (fps_window_.since_us && frames >= fps_window_.count)
      encoder_fps_ = static_cast<double>(frames - fps_window_.count) * G_USEC_PER_SEC /
                     static_cast<double>(now - fps_window_.since_us);
    fps_window_ = {frames, now};
  }
  if (audio != audio_progress_.count) audio_progress_ = {audio, now};
  // Overload says so: frames the encoder had no time for, every 10 s at most.
  const guint64 skipped = video_frames_skipped_->load(std::memory_order_relaxed);
  if (now - skip_report_.since_us >= kSkipReportIntervalS * G_USEC_PER_SEC) {
    if (skipped > skip_report_.count)
      LOG_WARN << "room " << name()
               << ": the encoder could not keep up: " << skipped - skip_report_.count
               << " frames of the programme skipped in the last "
               << (now - skip_report_.since_us) / G_USEC_PER_SEC
               << " s (the machine is overloaded; the programme stays live at a lower rate)";
    skip_report_ = {skipped, now};
  }
  govern_frame_rate();
  const double timeout_s = std::max(setup_.media.stall_timeout_s, rebuild_backoff_s_);
  // Before its first frame a room gets longer (encoders start, a busy
  // machine): a slow start is not a stall.
  auto stalled = [&](const Progress& p) {
    const double limit_s = p.count == 0 ? std::max(timeout_s, kFirstOutputGraceS) : timeout_s;
    return now - p.since_us > static_cast<gint64>(limit_s * G_USEC_PER_SEC);
  };
  const bool video_stalled = stalled(video_progress_);
  const bool audio_stalled = stalled(audio_progress_);
  if (!video_stalled && !audio_stalled) {
    // Healthy for a while again: the next stall is handled at once.
    if (now - last_rebuild_us_ > 30 * G_USEC_PER_SEC) rebuild_backoff_s_ = 0;
    return true;
  }
  const std::string what = video_stalled && audio_stalled ? "video and audio"
                           : video_stalled                ? "video"
                                                          : "audio";
  const std::string why =
      "the programme's " + what + " stopped for " +
      std::to_string(static_cast<int>(
          (now - std::min(video_progress_.since_us, audio_progress_.since_us)) / G_USEC_PER_SEC)) +
      " s";
  emit({RoomEventKind::RoomError, "", "programme", why, {}});
  rebuild_core(why);
  return true;
}

// Everything but participants' and viewers' own bins is the room's core:
// the mixers, the painter, the encoders and their tees.
static bool is_core_element(GstElement* element) {
  const char* element_name = GST_OBJECT_NAME(element);
  return !g_str_has_prefix(element_name, "participant-") &&
         !g_str_has_prefix(element_name, "viewer-");
}

// The core elements of `bin` now.
static std::vector<GstPtr<GstElement>> core_elements(GstBin* bin) {
  std::vector<GstPtr<GstElement>> core;
  for_each_object<GstElement>(
      gst_bin_iterate_elements(bin),
      [&](GstElement* element) {
        if (is_core_element(element)) core.push_back(ref(element));
      },
      [&] { core.clear(); });
  return core;
}

void Room::rebuild_core(const std::string& why) {
  if (stopping_) return;
  const gint64 started = g_get_monotonic_time();
  ++rebuilds_;
  last_core_error_ = why;
  LOG_ERROR << "room " << name() << ": rebuilding the mixing core (" << why << ")";

  // 1. Whatever the core feeds or is fed by is cut loose: plain unlinks (no
  //    stream lock; the old core may be stuck, often that is why we are
  //    here). The guards keep each participant's data from an unlinked pad.
  auto old = std::make_shared<OldCore>();
  for (auto& [id, member] : members_) {
    for (auto stream : {Participant::Stream::Video, Participant::Stream::Audio}) {
      if (auto& guard = member.guard(stream)) guard->suspend();
      auto pad = member.participant->stream_pad(stream);
      if (!pad) continue;
      GstPtr<GstPad> input(gst_pad_get_peer(pad.get()));
      unlink_from_peer(pad.get());
      // A push of theirs may be waiting inside the old core (a full queue
      // in front of a stuck mixer): flushing the old input wakes it.
      if (input) gst_pad_send_event(input.get(), gst_event_new_flush_start());
    }
    member.return_video.unlink();
    old->feeds.push_back(std::move(member.return_video));
    if (member.return_vp8_pad)
      old->pads.emplace_back(std::exchange(member.return_vp8_pad, nullptr));
    if (auto* webrtc = dynamic_cast<WebRtcParticipant*>(member.participant.get()))
      for (GstPad* sink : {webrtc->return_video_sink(), webrtc->return_audio_sink()})
        unlink_from_peer(sink);
  }
  for (auto& [id, v] : viewers_) {
    v.video.unlink();
    v.audio.unlink();
    unlink_from_peer(v.vp8_pad);
    old->feeds.push_back(std::move(v.video));
    old->feeds.push_back(std::move(v.audio));
    if (v.vp8_pad) old->pads.emplace_back(std::exchange(v.vp8_pad, nullptr));
  }
  // 2. The old core leaves the pipeline and stops on a thread of its own.
  std::vector<GstPtr<GstElement>> core = core_elements(GST_BIN(pipeline_));
  GstPtr<GstElement> graveyard = adopt(gst_bin_new(("old-core-" + name()).c_str()));
  for (auto& element : core) {
    gst_bin_remove(GST_BIN(pipeline_), element.get());
    gst_bin_add(GST_BIN(graveyard.get()), element.get());
  }
  old->video = std::move(video_mix_);
  old->audio = std::move(audio_mix_);
  old->vp8 = std::move(vp8_);
  opus_tee_ = nullptr;
  reaper::stop_in_background(std::move(graveyard), "room " + name() + ": replaced mixing core",
                             [old] {});

  // 3. A new core on the same clock and timeline (the audio mix starts at
  //    its first input, now: see AudioMix).
  build_core(true);
  // Sinks first, so that no new source pushes into an element still in NULL
  // (a walk started over skips what already runs).
  for_each_object<GstElement>(gst_bin_iterate_sorted(GST_BIN(pipeline_)), [](GstElement* element) {
    if (is_core_element(element) && GST_STATE(element) != GST_STATE_PLAYING)
      gst_element_sync_state_with_parent(element);
  });
  for (auto& element : core_elements(GST_BIN(pipeline_))) {
    if (GST_STATE(element.get()) == GST_STATE_PLAYING) continue;
    LOG_WARN << "room " << name() << ": " << GST_OBJECT_NAME(element.get())
             << " of the new core was not running; starting it";
    gst_element_sync_state_with_parent(element.get());
  }

  // 4. Everyone back in.
  for (auto& [id, member] : members_) {
    for (auto stream : {Participant::Stream::Video, Participant::Stream::Audio}) {
      auto pad = member.participant->stream_pad(stream);
      if (!member.linked(stream) || !pad) continue;
      if (auto& guard = member.guard(stream)) guard->resume();
      link_stream(id, stream, pad.get());
    }
    if (auto* webrtc = dynamic_cast<WebRtcParticipant*>(member.participant.get()))
      link_return_feeds(member, *webrtc);
  }
  for (auto& [id, v] : viewers_) {
    std::string error;
    if (!link_viewer_feeds(v, error))
      LOG_ERROR << "room " << name() << ": viewer " << id << " not re-attached: " << error;
  }
  relayout();
  force_keyframe(ReturnVideo::H264);
  if (vp8_) force_keyframe(ReturnVideo::Vp8);
  const gint64 done = g_get_monotonic_time();
  video_progress_ = {fanout_->video_frames(), done};
  audio_progress_ = {fanout_->audio_buffers(), done};
  // A core that keeps failing is not rebuilt in a tight loop.
  rebuild_backoff_s_ = done - last_rebuild_us_ < 30 * G_USEC_PER_SEC
                           ? std::min(30.0, std::max(2.0, rebuild_backoff_s_ * 2))
                           : 0;
  last_rebuild_us_ = done;
  LOG_WARN << "room " << name() << ": mixing core rebuilt in " << (done - started) / 1000 << " ms; "
           << members_.size() << " participants and " << viewers_.size() << " viewers re-attached";
  emit({RoomEventKind::RoomRecovered, "", "", why, {}});
  if (on_rebuilt_) on_rebuilt_();
}

void Room::handle_level(GstMessage* message) {
  const GstStructure* s = gst_message_get_structure(message);
  if (!s || !gst_structure_has_name(s, "level")) return;
  const std::string element = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
  const std::string prefix = AudioMix::level_element_name("");
  if (element.rfind(prefix, 0) != 0) return;
  const std::string id = element.substr(prefix.size());
  if (!members_.count(id)) return;
  const GValue* rms = gst_structure_get_value(s, "rms");
  if (!rms) return;
  double loudest = -120;
  // "rms" is a GValueArray of per-channel dB values.
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GValueArray* channels = static_cast<GValueArray*>(g_value_get_boxed(rms));
  for (guint i = 0; channels && i < channels->n_values; ++i)
    loudest = std::max(loudest, g_value_get_double(g_value_array_get_nth(channels, i)));
  G_GNUC_END_IGNORE_DEPRECATIONS
  // What the participant sends (before their mute and volume): an operator
  // sees a guest talking while muted.
  members_.at(id).audio_level_db = loudest;
  loudest = heard_level_db(members_.at(id).controls, loudest);
  if (speaker_.update(id, loudest, monotonic_s())) {
    const std::string speaker = speaker_.current();
    auto it = members_.find(speaker);
    emit({RoomEventKind::Speaking,
          speaker,
          it == members_.end() ? "" : it->second.participant->display_name(),
          {},
          {}});
    relayout();
  }
}

// Main loop, every tick of the programme watchdog: what the encoder did since
// the last one, to the governor; its divisor, to the pacer.
void Room::govern_frame_rate() {
  const EncodePacer::Totals totals = pacer_.totals();
  const guint64 skipped = video_frames_skipped_->load(std::memory_order_relaxed);
  FrameGovernor::Tick tick;
  tick.now_s = static_cast<double>(g_get_monotonic_time()) / G_USEC_PER_SEC;
  tick.offered = totals.offered - pacer_seen_.offered;
  tick.skipped = skipped - skipped_seen_;
  const uint64_t encoded = totals.encoded - pacer_seen_.encoded;
  if (encoded)
    tick.encode_s = (totals.encode_s - pacer_seen_.encode_s) / static_cast<double>(encoded);
  pacer_seen_ = totals;
  skipped_seen_ = skipped;
  const int before = governor_.divisor();
  const int divisor = governor_.update(tick);
  if (divisor == before) return;
  pacer_.set_divisor(divisor);
  if (divisor > before)
    LOG_WARN << "room " << name() << ": the encoder cannot keep up: the programme goes to "
             << canvas_.fps / static_cast<double>(divisor) << " fps (one frame in " << divisor
             << ", evenly) until it can";
  else
    LOG_INFO << "room " << name() << ": the encoder has room again ("
             << static_cast<int>(tick.encode_s * 1000 + 0.5)
             << " ms a frame): the programme is back to " << canvas_.fps << " fps";
}

RoomStatus Room::status() const {
  RoomStatus s;
  s.name = name();
  s.layout = setup_.layout.name;
  s.width = canvas_.width;
  s.height = canvas_.height;
  s.fps = canvas_.fps;
  s.video_frames_encoded = fanout_ ? fanout_->video_frames() : 0;
  s.video_frames_skipped = video_frames_skipped_->load(std::memory_order_relaxed);
  s.video_frames_thinned = pacer_.totals().thinned;
  s.programme_fps = canvas_.fps / static_cast<double>(governor_.divisor());
  s.core_rebuilds = rebuilds_;
  s.tiles = composition_.tiles;
  s.last_core_error = last_core_error_;
  for (const auto& [id, member] : members_) {
    ParticipantStatus p;
    p.id = id;
    p.name = member.participant->display_name();
    p.identity = member.participant->identity();
    p.slot = member.slot;
    p.has_video = member.video_linked;
    p.speaking = speaker_.current() == id;
    p.source = member.source_uri;
    if (member.video_guard) p.video_input = member.video_guard->counters();
    if (member.audio_guard) p.audio_input = member.audio_guard->counters();
    p.audio_muted = member.controls.audio_muted;
    p.video_muted = member.controls.video_muted;
    p.volume_db = member.controls.volume_db;
    p.pinned = member.controls.pinned;
    p.audio_level_db = member.audio_level_db;
    if (auto* webrtc = dynamic_cast<const WebRtcParticipant*>(member.participant.get()))
      p.net = webrtc->net_stats();
    s.video_input_total += p.video_input;
    s.audio_input_total += p.audio_input;
    s.participants.push_back(p);
  }
  s.video_input_total += departed_video_input_;
  s.audio_input_total += departed_audio_input_;
  s.viewers = viewers_.size();
  s.encoder_fps = encoder_fps_;
  for (const auto& output : outputs_) s.outputs.push_back(output->status());
  return s;
}

}  // namespace mixcast
