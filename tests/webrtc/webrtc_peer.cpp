#include "webrtc_peer.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace mixcast::testing {

WebRtcPeer::WebRtcPeer(unsigned argb, int tone_hz, const std::string& codec)
    : WebRtcPeer(PublisherOptions{.argb = argb, .tone_hz = tone_hz, .codec = codec}) {}

WebRtcPeer::WebRtcPeer(const PublisherOptions& options) : options_(options) {
  const std::string video_encode =
      options.codec == "h264"
          ? "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! "
            "video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 ! "
            "application/x-rtp,media=video,encoding-name=H264,payload=102,"
            "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true ! w. "
          : "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay picture-id-mode=15-bit ! "
            "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w. ";
  // A flipping colour is painted onto I420 frames by a probe after "paint".
  const bool flips = options.flip_argb != 0;
  const std::string raw = std::string(flips ? "video/x-raw,format=I420," : "video/x-raw,") +
                          "width=" + std::to_string(options.width) +
                          ",height=" + std::to_string(options.height) + ",framerate=30/1 ! " +
                          (flips ? "identity name=paint ! " : "");
  const std::string launch =
      !options.file.empty()
          ? "webrtcbin name=w bundle-policy=max-bundle filesrc location=\"" + options.file +
                "\" ! matroskademux name=d "
                "d.video_0 ! queue ! h264parse ! identity sync=true ! "
                "rtph264pay config-interval=-1 ! "
                "application/x-rtp,media=video,encoding-name=H264,payload=102,"
                "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true ! w. "
                "d.audio_0 ! queue ! opusparse ! identity sync=true ! rtpopuspay ! "
                "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! w."
          : "webrtcbin name=w bundle-policy=max-bundle "
            "videotestsrc is-live=true pattern=solid-color foreground-color=" +
                std::to_string(options.argb) + " ! " + raw + video_encode +
                "audiotestsrc is-live=true wave=sine volume=0.3 freq=" +
                std::to_string(options.tone_hz) +
                " ! audioconvert ! audioresample ! opusenc ! rtpopuspay ! "
                "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! w.";
  GError* error = nullptr;
  pipeline_ = gst_parse_launch(launch.c_str(), &error);
  if (!pipeline_) {
    std::string message = error ? error->message : "?";
    if (error) g_error_free(error);
    throw std::runtime_error("publisher pipeline: " + message);
  }
  webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "w");
  if (options.latency_ms >= 0) g_object_set(webrtc_, "latency", guint(options.latency_ms), nullptr);
  if (flips) {
    GstElement* paint = gst_bin_get_by_name(GST_BIN(pipeline_), "paint");
    GstPad* src = gst_element_get_static_pad(paint, "src");
    flip_start_ = Clock::now();
    gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, &WebRtcPeer::on_raw_frame, this, nullptr);
    gst_object_unref(src);
    gst_object_unref(paint);
  }
  watch_pads();
}

// Streaming thread: paints the whole frame in this period's colour.
GstPadProbeReturn WebRtcPeer::on_raw_frame(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  const auto now = Clock::now();
  const auto period = std::chrono::milliseconds(self->options_.flip_period_ms);
  const bool flipped = ((now - self->flip_start_) / period) % 2 == 1;
  const unsigned argb = flipped ? self->options_.flip_argb : self->options_.argb;
  GstCaps* caps = gst_pad_get_current_caps(pad);
  GstVideoInfo video;
  const bool ok = caps && gst_video_info_from_caps(&video, caps);
  if (caps) gst_caps_unref(caps);
  if (!ok) return GST_PAD_PROBE_OK;
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &video, buffer, GST_MAP_WRITE)) return GST_PAD_PROBE_OK;
  // BT.601 limited range, as videotestsrc paints.
  const double r = (argb >> 16) & 0xff, g = (argb >> 8) & 0xff, b = argb & 0xff;
  const uint8_t yuv[3] = {uint8_t(16 + 0.257 * r + 0.504 * g + 0.098 * b),
                          uint8_t(128 - 0.148 * r - 0.291 * g + 0.439 * b),
                          uint8_t(128 + 0.439 * r - 0.368 * g - 0.071 * b)};
  for (guint plane = 0; plane < 3; ++plane) {
    auto* pixels = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, plane));
    const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, plane);
    const int rows = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, plane);
    const int cols = GST_VIDEO_FRAME_COMP_WIDTH(&frame, plane);
    for (int row = 0; row < rows; ++row) std::fill_n(pixels + row * stride, cols, yuv[plane]);
  }
  gst_video_frame_unmap(&frame);
  if (argb != self->painted_) {
    self->painted_ = argb;
    std::lock_guard lock(self->mutex_);
    self->flips_.push_back({now, argb});
  }
  return GST_PAD_PROBE_OK;
}

void WebRtcPeer::watch_pads() {
  // A PLI/FIR from the server reaches our video encoder as an upstream
  // force-key-unit event.
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* element = GST_ELEMENT(g_value_get_object(&item));
    const gchar* factory = GST_OBJECT_NAME(gst_element_get_factory(element));
    if (g_str_equal(factory, "x264enc") || g_str_equal(factory, "vp8enc")) {
      GstPad* src = gst_element_get_static_pad(element, "src");
      gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, &WebRtcPeer::on_upstream_event,
                        this, nullptr);
      gst_object_unref(src);
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  g_signal_connect(webrtc_, "pad-added", G_CALLBACK(&WebRtcPeer::on_pad_added), this);
  g_signal_connect(webrtc_, "on-ice-candidate", G_CALLBACK(&WebRtcPeer::on_ice_candidate), this);
  gst_element_set_state(pipeline_, GST_STATE_PLAYING);
}

std::unique_ptr<WebRtcPeer> WebRtcPeer::viewer() {
  return viewer(-1);
}

std::unique_ptr<WebRtcPeer> WebRtcPeer::viewer(int latency_ms) {
  std::unique_ptr<WebRtcPeer> peer(new WebRtcPeer());
  peer->pipeline_ = gst_pipeline_new(nullptr);
  peer->webrtc_ = gst_element_factory_make("webrtcbin", "w");
  gst_util_set_object_arg(G_OBJECT(peer->webrtc_), "bundle-policy", "max-bundle");
  if (latency_ms >= 0) g_object_set(peer->webrtc_, "latency", guint(latency_ms), nullptr);
  gst_bin_add(GST_BIN(peer->pipeline_), peer->webrtc_);
  gst_object_ref(peer->webrtc_);
  for (const char* caps_text :
       {"application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
        "packetization-mode=(string)1,profile-level-id=(string)42e01f,"
        "rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true",
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"
        "encoding-params=(string)2"}) {
    GstCaps* caps = gst_caps_from_string(caps_text);
    GstWebRTCRTPTransceiver* transceiver = nullptr;
    g_signal_emit_by_name(peer->webrtc_, "add-transceiver",
                          GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
    gst_caps_unref(caps);
    if (transceiver) gst_object_unref(transceiver);
  }
  peer->watch_pads();
  return peer;
}

WebRtcPeer::~WebRtcPeer() {
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(webrtc_);
  gst_object_unref(pipeline_);
}

std::string WebRtcPeer::create_offer(bool wait_for_gathering) {
  // Offer once the encoders have fixed their caps: the offer's fmtp lines
  // (H.264 packetization-mode, profile-level-id) come from them.
  wait_until(
      [this] {
        bool all = true;
        GstIterator* it = gst_element_iterate_sink_pads(webrtc_);
        GValue item = G_VALUE_INIT;
        while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
          GstCaps* caps = gst_pad_get_current_caps(GST_PAD(g_value_get_object(&item)));
          all = all && caps;
          if (caps) gst_caps_unref(caps);
          g_value_reset(&item);
        }
        g_value_unset(&item);
        gst_iterator_free(it);
        return all;
      },
      5);
  // A publisher takes the mix back on both m-lines, as a browser publishing
  // with sendrecv transceivers does; a viewer's are recvonly already.
  GArray* transceivers = nullptr;
  g_signal_emit_by_name(webrtc_, "get-transceivers", &transceivers);
  for (guint i = 0; transceivers && i < transceivers->len; ++i) {
    GObject* t = G_OBJECT(g_array_index(transceivers, GstWebRTCRTPTransceiver*, i));
    GstWebRTCRTPTransceiverDirection direction;
    g_object_get(t, "direction", &direction, nullptr);
    if (direction != GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY)
      gst_util_set_object_arg(t, "direction", "sendrecv");
  }
  if (transceivers) g_array_unref(transceivers);
  GstPromise* promise = gst_promise_new();
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr, promise);
  gst_promise_wait(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  gst_structure_get(gst_promise_get_reply(promise), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                    &offer, nullptr);
  gst_promise_unref(promise);
  if (!offer) throw std::runtime_error("publisher: no offer");
  GstPromise* set = gst_promise_new();
  g_signal_emit_by_name(webrtc_, "set-local-description", offer, set);
  gst_promise_wait(set);  // local-description is set once this returns
  gst_promise_unref(set);
  gst_webrtc_session_description_free(offer);
  if (wait_for_gathering) {
    // Without trickle every candidate goes in the offer.
    wait_until(
        [this] {
          GstWebRTCICEGatheringState state;
          g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
          return state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
        },
        10);
  }
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(webrtc_, "local-description", &local, nullptr);
  gchar* text = gst_sdp_message_as_text(local->sdp);
  offer_ = text;
  g_free(text);
  gst_webrtc_session_description_free(local);
  return offer_;
}

void WebRtcPeer::apply_answer(const std::string& sdp_text) {
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new(&sdp);
  gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(sdp_text.data()),
                               static_cast<guint>(sdp_text.size()), sdp);
  GstWebRTCSessionDescription* answer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name(webrtc_, "set-remote-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
}

void WebRtcPeer::add_remote_candidate(int mline, const std::string& candidate) {
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", guint(mline), candidate.c_str());
}

void WebRtcPeer::request_keyframe() {
  GstPad* pad = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (incoming_video_) pad = GST_PAD(gst_object_ref(incoming_video_));
  }
  if (!pad) return;
  gst_pad_send_event(pad,
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref(pad);
}

int WebRtcPeer::keyframes_received() {
  std::lock_guard<std::mutex> lock(mutex_);
  return keyframes_;
}

int WebRtcPeer::keyframe_requests_received() {
  std::lock_guard<std::mutex> lock(mutex_);
  return keyframe_requests_;
}

// H.264 over RTP (RFC 6184): an IDR slice alone, inside a STAP-A, or starting
// an FU-A. Counted once per RTP timestamp (a frame may have several slices).
GstPadProbeReturn WebRtcPeer::on_incoming_rtp(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  if (!gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  const auto* p = static_cast<const guint8*>(gst_rtp_buffer_get_payload(&rtp));
  const guint size = gst_rtp_buffer_get_payload_len(&rtp);
  bool idr = false;
  if (size >= 2) {
    const int type = p[0] & 0x1f;
    if (type == 5) idr = true;
    if (type == 28) idr = (p[1] & 0x80) && (p[1] & 0x1f) == 5;
    for (guint o = 1; type == 24 && o + 2 < size;) {
      const guint length = (guint(p[o]) << 8) | p[o + 1];
      if ((p[o + 2] & 0x1f) == 5) idr = true;
      o += 2 + length;
    }
  }
  const guint32 timestamp = gst_rtp_buffer_get_timestamp(&rtp);
  gst_rtp_buffer_unmap(&rtp);
  if (idr) {
    std::lock_guard<std::mutex> lock(self->mutex_);
    if (!self->seen_idr_ || timestamp != self->last_idr_timestamp_) ++self->keyframes_;
    self->seen_idr_ = true;
    self->last_idr_timestamp_ = timestamp;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn WebRtcPeer::on_upstream_event(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  if (gst_video_event_is_force_key_unit(GST_PAD_PROBE_INFO_EVENT(info))) {
    std::lock_guard<std::mutex> lock(self->mutex_);
    ++self->keyframe_requests_;
  }
  return GST_PAD_PROBE_OK;
}

std::map<std::string, unsigned> WebRtcPeer::received_ssrcs() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ssrcs_;
}

std::vector<std::pair<int, std::string>> WebRtcPeer::take_local_candidates() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(local_candidates_, {});
}

void WebRtcPeer::on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  std::lock_guard<std::mutex> lock(self->mutex_);
  self->local_candidates_.emplace_back(int(mline), candidate);
}

HttpResponse WebRtcPeer::publish(int port, const std::string& path) {
  create_offer(true);
  post_time_ = Clock::now();
  HttpResponse response = http_request("POST", port, path, offer_, "application/sdp");
  if (response.status == 201) apply_answer(response.body);
  return response;
}

void WebRtcPeer::on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  auto* self = static_cast<WebRtcPeer*>(data);
  if (GstCaps* caps = gst_pad_get_current_caps(pad)) {
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    guint ssrc = 0;
    const gchar* media = gst_structure_get_string(s, "media");
    if (media && gst_structure_get_uint(s, "ssrc", &ssrc)) {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->ssrcs_[media] = ssrc;
    }
    const gchar* encoding = gst_structure_get_string(s, "encoding-name");
    if (media && g_str_equal(media, "video") && encoding && g_str_equal(encoding, "H264")) {
      {
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->incoming_video_ = pad;
      }
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &WebRtcPeer::on_incoming_rtp, self,
                        nullptr);
    }
    gst_caps_unref(caps);
  }
  if (!self->options_.decode) {
    GstElement* sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add(GST_BIN(self->pipeline_), sink);
    gst_element_sync_state_with_parent(sink);
    GstPad* sink_pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sink_pad);
    gst_object_unref(sink_pad);
    return;
  }
  GstElement* decode = gst_element_factory_make("decodebin", nullptr);
  g_signal_connect(decode, "pad-added", G_CALLBACK(&WebRtcPeer::on_decoded), self);
  gst_bin_add(GST_BIN(self->pipeline_), decode);
  gst_element_sync_state_with_parent(decode);
  GstPad* sink = gst_element_get_static_pad(decode, "sink");
  gst_pad_link(pad, sink);
  gst_object_unref(sink);
}

void WebRtcPeer::on_decoded(GstElement*, GstPad* pad, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  GstCaps* caps = gst_pad_get_current_caps(pad);
  const bool video =
      g_str_has_prefix(gst_structure_get_name(gst_caps_get_structure(caps, 0)), "video/");
  gst_caps_unref(caps);
  const std::string chain =
      video ? "videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false "
              "emit-signals=true max-buffers=2 drop=true"
            : "audioconvert ! audioresample ! audio/x-raw,format=F32LE,channels=1,rate=48000 ! "
              "appsink name=sink sync=false emit-signals=true";
  GstElement* bin = gst_parse_bin_from_description(chain.c_str(), TRUE, nullptr);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(bin), "sink");
  g_signal_connect(sink, "new-sample",
                   video ? G_CALLBACK(&WebRtcPeer::on_video) : G_CALLBACK(&WebRtcPeer::on_audio),
                   self);
  gst_object_unref(sink);
  gst_bin_add(GST_BIN(self->pipeline_), bin);
  gst_element_sync_state_with_parent(bin);
  GstPad* bin_sink = gst_element_get_static_pad(bin, "sink");
  gst_pad_link(pad, bin_sink);
  gst_object_unref(bin_sink);
}

GstFlowReturn WebRtcPeer::on_video(GstElement* sink, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_OK;
  const GstStructure* s = gst_caps_get_structure(gst_sample_get_caps(sample), 0);
  Frame frame;
  gst_structure_get_int(s, "width", &frame.width);
  gst_structure_get_int(s, "height", &frame.height);
  GstMapInfo map;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    // RGB rows are padded to 4 bytes; keep them tight.
    const size_t stride = (static_cast<size_t>(frame.width) * 3 + 3) & ~size_t(3);
    for (int row = 0; row < frame.height && row * stride + frame.width * 3 <= map.size; ++row)
      frame.rgb.insert(frame.rgb.end(), map.data + row * stride,
                       map.data + row * stride + frame.width * 3);
    gst_buffer_unmap(buffer, &map);
  }
  gst_sample_unref(sample);
  const auto now = Clock::now();
  std::lock_guard lock(self->mutex_);
  self->frame_ = std::move(frame);
  ++self->frames_;
  if (self->watching_) {
    Sample point{now};
    if (self->patch_colour(self->watch_x_, self->watch_y_, point.r, point.g, point.b)) {
      if (self->samples_.size() >= 20000) self->samples_.erase(self->samples_.begin());
      self->samples_.push_back(point);
    }
  }
  return GST_FLOW_OK;
}

GstFlowReturn WebRtcPeer::on_audio(GstElement* sink, gpointer data) {
  auto* self = static_cast<WebRtcPeer*>(data);
  GstSample* sample = nullptr;
  g_signal_emit_by_name(sink, "pull-sample", &sample);
  if (!sample) return GST_FLOW_OK;
  GstMapInfo map;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    const auto* samples = reinterpret_cast<const float*>(map.data);
    std::lock_guard lock(self->mutex_);
    self->audio_.insert(self->audio_.end(), samples, samples + map.size / sizeof(float));
    if (self->audio_.size() > 96000)
      self->audio_.erase(self->audio_.begin(), self->audio_.end() - 48000);
    gst_buffer_unmap(buffer, &map);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

WebRtcPeer::Frame WebRtcPeer::last_frame() {
  std::lock_guard lock(mutex_);
  return frame_;
}

int WebRtcPeer::frames_received() {
  std::lock_guard lock(mutex_);
  return frames_;
}

std::vector<float> WebRtcPeer::last_audio(double seconds) {
  std::lock_guard lock(mutex_);
  const size_t want = std::min(audio_.size(), static_cast<size_t>(seconds * 48000));
  return std::vector<float>(audio_.end() - static_cast<std::ptrdiff_t>(want), audio_.end());
}

bool WebRtcPeer::colour_at(int x, int y, int& r, int& g, int& b) {
  std::lock_guard lock(mutex_);
  return patch_colour(x, y, r, g, b);
}

void WebRtcPeer::watch_point(int x, int y) {
  std::lock_guard lock(mutex_);
  watching_ = true;
  watch_x_ = x;
  watch_y_ = y;
  samples_.clear();
}

std::vector<WebRtcPeer::Sample> WebRtcPeer::watched() {
  std::lock_guard lock(mutex_);
  return samples_;
}

std::vector<WebRtcPeer::Flip> WebRtcPeer::flips() {
  std::lock_guard lock(mutex_);
  return flips_;
}

// With mutex_ held.
bool WebRtcPeer::patch_colour(int x, int y, int& r, int& g, int& b) const {
  const Frame& frame = frame_;
  if (frame.rgb.empty()) return false;
  long sr = 0, sg = 0, sb = 0, n = 0;
  for (int row = y - 8; row < y + 8; ++row)
    for (int col = x - 8; col < x + 8; ++col) {
      if (row < 0 || col < 0 || row >= frame.height || col >= frame.width) continue;
      const uint8_t* p = frame.rgb.data() + (static_cast<size_t>(row) * frame.width + col) * 3;
      sr += p[0];
      sg += p[1];
      sb += p[2];
      ++n;
    }
  if (n == 0) return false;
  r = int(sr / n);
  g = int(sg / n);
  b = int(sb / n);
  return true;
}

bool WebRtcPeer::connected() const {
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc_, "connection-state", &state, nullptr);
  return state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
}

}  // namespace mixcast::testing
