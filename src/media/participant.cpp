#include "media/participant.h"

#include <gst/audio/audio.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cstring>

#include "core/i420.h"
#include "core/log.h"
#include "media/decoder_tuning.h"

namespace mixcast {

Participant::Participant(std::string id, std::string display_name, std::string identity,
                         Listener& listener)
    : id_(std::move(id)),
      display_name_(std::move(display_name)),
      identity_(std::move(identity)),
      listener_(listener) {}

void Participant::stop() {
  if (bin_) gst_element_set_state(bin_, GST_STATE_NULL);
}

Participant::~Participant() {
  if (!bin_) return;
  leave_parent_state(bin_);
  gst_element_set_state(bin_, GST_STATE_NULL);
  if (pipeline_ && GST_OBJECT_PARENT(bin_) == GST_OBJECT(pipeline_))
    gst_bin_remove(pipeline_, bin_);
  gst_object_unref(bin_);
}

GstPtr<GstElement> Participant::detach() {
  ended_ = true;
  if (!bin_) return {};
  for_each_object<GstPad>(gst_element_iterate_pads(bin_), unlink_from_peer);
  auto held = ref(bin_);
  leave_parent_state(bin_);  // the reaper sets it to NULL
  if (pipeline_ && GST_OBJECT_PARENT(bin_) == GST_OBJECT(pipeline_))
    gst_bin_remove(pipeline_, bin_);
  return held;
}

void Participant::start(GstBin* pipeline) {
  pipeline_ = pipeline;
  bin_ = gst_bin_new(("participant-" + id_).c_str());
  gst_object_ref_sink(bin_);
  tune_decoders_inside(GST_BIN(bin_));
  build();
  gst_bin_add(pipeline_, bin_);
  // A source that cannot start (missing file, bad URI) posts an error on the
  // bus, which the room routes back here through fail().
  gst_element_sync_state_with_parent(bin_);
}

GstPtr<GstPad> Participant::stream_pad(Stream stream) const {
  if (!bin_) return {};
  return GstPtr<GstPad>(
      gst_element_get_static_pad(bin_, stream == Stream::Video ? "video" : "audio"));
}

bool Participant::owns(GstObject* object) const {
  return bin_ && object &&
         (object == GST_OBJECT(bin_) || gst_object_has_as_ancestor(object, GST_OBJECT(bin_)));
}

void Participant::fail(const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  listener_.on_participant_ended(*this, reason);
}

void Participant::expose(Stream stream, GstPad* inner_src) {
  // Until the room has linked the stream, data must wait here: an unlinked
  // pad would fail the source with not-linked.
  const gulong block =
      gst_pad_add_probe(inner_src, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, nullptr, nullptr, nullptr);
  gst_pad_add_probe(inner_src, GST_PAD_PROBE_TYPE_BUFFER, &Participant::on_first_buffer, this,
                    nullptr);
  const char* name = stream == Stream::Video ? "video" : "audio";
  GstPad* ghost = gst_ghost_pad_new(name, inner_src);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(bin_, ghost);  // the bin takes the floating ref
  gst_pad_add_probe(ghost, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &Participant::on_event, this,
                    nullptr);
  auto inner = ref(inner_src);
  auto ghost_ref = ref(ghost);
  post_to_main(
      [this, t = token(), stream, g = std::move(ghost_ref), i = std::move(inner), block]() mutable {
        if (!Lifetime::alive(t)) return;
        finish_expose(stream, g.get());
        gst_pad_remove_probe(i.get(), block);
      });
}

void Participant::finish_expose(Stream stream, GstPad* ghost) {
  if (ended_) return;
  listener_.on_participant_stream(*this, stream, ghost);
}

void Participant::streams_complete() {
  post_to_main([this, t = token()] {
    if (!Lifetime::alive(t) || ended_) return;
    listener_.on_participant_streams_complete(*this);
  });
}

GstPadProbeReturn Participant::on_first_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Participant*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstElement* element = self->bin_;
  GstClock* clock = gst_element_get_clock(element);
  if (!clock || !GST_BUFFER_PTS_IS_VALID(buffer)) {
    if (clock) gst_object_unref(clock);
    return GST_PAD_PROBE_REMOVE;
  }
  const GstClockTime now = gst_clock_get_time(clock) - gst_element_get_base_time(element);
  gst_object_unref(clock);
  GstClockTime buffer_rt = GST_BUFFER_PTS(buffer);
  if (GstEvent* seg_event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0)) {
    const GstSegment* segment;
    gst_event_parse_segment(seg_event, &segment);
    buffer_rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, buffer_rt);
    gst_event_unref(seg_event);
  }
  gint64 offset;
  {
    std::lock_guard lock(self->offset_mutex_);
    if (!self->offset_known_) {
      // Only move streams forward: a live source is already on time.
      self->offset_ =
          std::max<gint64>(0, static_cast<gint64>(now) - static_cast<gint64>(buffer_rt));
      self->offset_known_ = true;
    }
    offset = self->offset_;
  }
  // The ghost pad pushes this same buffer next, with the new offset applied.
  GstPad* peer = gst_pad_get_peer(pad);
  if (peer) {
    if (GST_IS_PROXY_PAD(peer)) {
      GstProxyPad* internal = GST_PROXY_PAD(peer);
      GstPad* ghost = GST_PAD(gst_proxy_pad_get_internal(internal));
      if (ghost) {
        gst_pad_set_offset(ghost, offset);
        gst_object_unref(ghost);
      }
    }
    gst_object_unref(peer);
  }
  return GST_PAD_PROBE_REMOVE;
}

GstPadProbeReturn Participant::on_event(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<Participant*>(data);
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      GstVideoInfo vinfo;
      if (g_str_equal(GST_PAD_NAME(pad), "video") && gst_video_info_from_caps(&vinfo, caps)) {
        const int w = GST_VIDEO_INFO_WIDTH(&vinfo), h = GST_VIDEO_INFO_HEIGHT(&vinfo);
        post_to_main([self, t = self->token(), w, h] {
          if (Lifetime::alive(t) && !self->ended_)
            self->listener_.on_participant_video_size(*self, w, h);
        });
      }
      return GST_PAD_PROBE_OK;
    }
    case GST_EVENT_EOS:
      // The mixers must never see EOS from one participant (it would end that
      // pad for good); the room removes the participant instead.
      post_to_main([self, t = self->token()] {
        if (Lifetime::alive(t)) self->fail("end of stream");
      });
      return GST_PAD_PROBE_DROP;
    default:
      return GST_PAD_PROBE_OK;
  }
}

// ---------------------------------------------------------------------------
// test:// participants

namespace {

class TestParticipant final : public Participant {
 public:
  TestParticipant(std::string id, std::string name, std::string identity, const TestSource& spec,
                  Listener& listener)
      : Participant(std::move(id), std::move(name), std::move(identity), listener), spec_(spec) {}

 protected:
  void build() override {
    if (spec_.video) build_video();
    if (spec_.audio) build_audio();
    streams_complete();
  }

 private:
  void build_video() {
    GstElement* src = make_element("videotestsrc");
    g_object_set(src, "is-live", TRUE, nullptr);
    switch (spec_.mode) {
      case TestSource::Mode::Color:
        gst_util_set_object_arg(G_OBJECT(src), "pattern", "solid-color");
        g_object_set(src, "foreground-color", spec_.color.argb(), nullptr);
        break;
      case TestSource::Mode::Bars:
        gst_util_set_object_arg(G_OBJECT(src), "pattern", "smpte");
        break;
      case TestSource::Mode::Sync:
        gst_util_set_object_arg(G_OBJECT(src), "pattern", "black");
        break;
    }
    GstElement* caps = make_element("capsfilter");
    MiniPtr<GstCaps> filter(gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, spec_.width, "height",
        G_TYPE_INT, spec_.height, "framerate", GST_TYPE_FRACTION, spec_.fps, 1, nullptr));
    g_object_set(caps, "caps", filter.get(), nullptr);
    gst_bin_add_many(bin(), src, caps, nullptr);
    gst_element_link(src, caps);
    GstPad* pad = gst_element_get_static_pad(caps, "src");
    if (spec_.mode == TestSource::Mode::Sync)
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &TestParticipant::flash, nullptr, nullptr);
    expose(Stream::Video, pad);
    gst_object_unref(pad);
  }

  void build_audio() {
    GstElement* src = make_element("audiotestsrc");
    g_object_set(src, "is-live", TRUE, "freq", spec_.tone_hz, "volume", spec_.volume,
                 "samplesperbuffer", 480, nullptr);
    gst_util_set_object_arg(G_OBJECT(src), "wave", spec_.tone_hz > 0 ? "sine" : "silence");
    GstElement* caps = make_element("capsfilter");
    MiniPtr<GstCaps> filter(gst_caps_new_simple(
        "audio/x-raw", "format", G_TYPE_STRING, "F32LE", "rate", G_TYPE_INT, 48000, "channels",
        G_TYPE_INT, 1, "layout", G_TYPE_STRING, "interleaved", nullptr));
    g_object_set(caps, "caps", filter.get(), nullptr);
    gst_bin_add_many(bin(), src, caps, nullptr);
    gst_element_link(src, caps);
    GstPad* pad = gst_element_get_static_pad(caps, "src");
    if (spec_.mode == TestSource::Mode::Sync)
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &TestParticipant::beep, nullptr, nullptr);
    expose(Stream::Audio, pad);
    gst_object_unref(pad);
  }

  static bool in_pulse(GstClockTime t) { return t % GST_SECOND < kSyncPulseSeconds * GST_SECOND; }

  // test://sync: white frames during the first 100 ms of every second.
  static GstPadProbeReturn flash(GstPad* pad, GstPadProbeInfo* info, gpointer) {
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!GST_BUFFER_PTS_IS_VALID(buffer) || !in_pulse(GST_BUFFER_PTS(buffer)))
      return GST_PAD_PROBE_OK;
    buffer = gst_buffer_make_writable(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    MiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
    GstVideoInfo vinfo;
    GstVideoFrame frame;
    if (caps && gst_video_info_from_caps(&vinfo, caps.get()) &&
        gst_video_frame_map(&frame, &vinfo, buffer, GST_MAP_WRITE)) {
      I420Frame f;
      for (int i = 0; i < 3; ++i) {
        f.planes[i] = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, i));
        f.strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, i);
      }
      f.width = GST_VIDEO_FRAME_WIDTH(&frame);
      f.height = GST_VIDEO_FRAME_HEIGHT(&frame);
      fill_frame(f, Color{255, 255, 255, 255});
      gst_video_frame_unmap(&frame);
    }
    return GST_PAD_PROBE_OK;
  }

  // test://sync: the tone sounds only during the first 100 ms of every second.
  static GstPadProbeReturn beep(GstPad*, GstPadProbeInfo* info, gpointer) {
    GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (!GST_BUFFER_PTS_IS_VALID(buffer)) return GST_PAD_PROBE_OK;
    buffer = gst_buffer_make_writable(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READWRITE)) return GST_PAD_PROBE_OK;
    auto* samples = reinterpret_cast<float*>(map.data);
    const size_t count = map.size / sizeof(float);  // mono
    const GstClockTime start = GST_BUFFER_PTS(buffer);
    for (size_t i = 0; i < count; ++i) {
      if (!in_pulse(start + gst_util_uint64_scale(i, GST_SECOND, 48000))) samples[i] = 0.f;
    }
    gst_buffer_unmap(buffer, &map);
    return GST_PAD_PROBE_OK;
  }

  TestSource spec_;
};

// ---------------------------------------------------------------------------
// Files, cameras and streams through uridecodebin.

class UriParticipant final : public Participant {
 public:
  UriParticipant(std::string id, std::string name, std::string identity, std::string uri,
                 Listener& listener)
      : Participant(std::move(id), std::move(name), std::move(identity), listener),
        uri_(std::move(uri)) {}

 protected:
  void build() override {
    GstElement* decode = make_element("uridecodebin");
    g_object_set(decode, "uri", uri_.c_str(), nullptr);
    prefer_cheaper_decoders(decode);
    g_signal_connect(decode, "pad-added", G_CALLBACK(&UriParticipant::on_pad_added), this);
    g_signal_connect(decode, "no-more-pads", G_CALLBACK(&UriParticipant::on_no_more_pads), this);
    gst_bin_add(bin(), decode);
  }

 private:
  // Streaming thread.
  static void on_pad_added(GstElement*, GstPad* pad, gpointer data) {
    auto* self = static_cast<UriParticipant*>(data);
    MiniPtr<GstCaps> caps = pad_caps(pad);
    const char* media = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
    std::lock_guard lock(self->mutex_);
    if (g_str_has_prefix(media, "video/x-raw") && !self->video_) {
      self->video_ = true;
      self->expose(Stream::Video, pad);
    } else if (g_str_has_prefix(media, "audio/x-raw") && !self->audio_) {
      self->audio_ = true;
      self->expose(Stream::Audio, pad);
    } else {
      LOG_DEBUG << "participant " << self->id() << ": ignoring extra stream " << media;
    }
  }

  static void on_no_more_pads(GstElement*, gpointer data) {
    static_cast<UriParticipant*>(data)->streams_complete();
  }

  std::string uri_;
  std::mutex mutex_;
  bool video_ = false;
  bool audio_ = false;
};

}  // namespace

std::unique_ptr<Participant> make_source_participant(std::string id, std::string display_name,
                                                     std::string identity, const SourceUri& uri,
                                                     Participant::Listener& listener) {
  if (uri.kind == SourceUri::Kind::Test)
    return std::make_unique<TestParticipant>(std::move(id), std::move(display_name),
                                             std::move(identity), uri.test, listener);
  return std::make_unique<UriParticipant>(std::move(id), std::move(display_name),
                                          std::move(identity), uri.uri, listener);
}

}  // namespace mixcast
