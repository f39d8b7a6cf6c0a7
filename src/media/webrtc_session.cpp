#include "media/webrtc_session.h"

#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>

#include "core/log.h"

namespace mixcast {

namespace {

// Promise callbacks may outlive the session: they carry a token.
struct PromiseTarget {
  WebRtcSession* self;
  Lifetime::Token token;
};

// The RTP entries of webrtcbin's get-stats reply (gstwebrtcstats.c).
std::vector<RtpStreamStats> rtp_stream_stats(const GstStructure* reply) {
  std::vector<RtpStreamStats> out;
  const int n = gst_structure_n_fields(reply);
  for (int i = 0; i < n; ++i) {
    const GValue* value = gst_structure_get_value(reply, gst_structure_nth_field_name(reply, i));
    if (!value || !GST_VALUE_HOLDS_STRUCTURE(value)) continue;
    const GstStructure* entry = gst_value_get_structure(value);
    GstWebRTCStatsType type;
    if (!gst_structure_get(entry, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, nullptr)) continue;
    RtpStreamStats s;
    guint64 u64 = 0;
    gint64 i64 = 0;
    double d = 0;
    switch (type) {
      case GST_WEBRTC_STATS_INBOUND_RTP:
        s.direction = RtpStreamStats::Direction::Inbound;
        if (gst_structure_get_uint64(entry, "bytes-received", &u64)) s.bytes = u64;
        if (gst_structure_get_uint64(entry, "packets-received", &u64)) s.packets = u64;
        if (gst_structure_get_int64(entry, "packets-lost", &i64)) s.packets_lost = i64;
        if (gst_structure_get_double(entry, "jitter", &d)) s.jitter_s = d;
        break;
      case GST_WEBRTC_STATS_OUTBOUND_RTP:
        s.direction = RtpStreamStats::Direction::Outbound;
        if (gst_structure_get_uint64(entry, "bytes-sent", &u64)) s.bytes = u64;
        break;
      case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
        s.direction = RtpStreamStats::Direction::RemoteInbound;
        if (gst_structure_get_int64(entry, "packets-lost", &i64)) s.packets_lost = i64;
        if (gst_structure_get_double(entry, "jitter", &d)) s.jitter_s = d;
        if (gst_structure_get_double(entry, "round-trip-time", &d)) s.rtt_s = d;
        break;
      default:
        continue;
    }
    out.push_back(s);
  }
  return out;
}

// The fields of a send stream's caps that webrtcbin matches against the offer.
// Payloaders add sender-side details once media flows (Opus sprop-stereo,
// H.264 sprop-parameter-sets and profile-level-id): if such caps reach
// webrtcbin before the answer is made, they clash with the offer's own values
// and webrtcbin answers recvonly. The answer takes its format parameters from
// the offer instead.
constexpr const char* kSendCapsFields[] = {
    "media",           "encoding-name", "payload",          "clock-rate",
    "encoding-params", "ssrc",          "timestamp-offset", "seqnum-offset"};

// GStreamer's payloaders take only dynamic payload numbers (96-127), but a
// browser may offer a codec at 35-63 (Chrome does). Such a branch payloads at
// kInternalPayload and this probe renumbers every packet to the offered one.
constexpr int kInternalPayload = 96;
bool payloader_takes(int payload) {
  return payload >= 96 && payload <= 127;
}

GstPadProbeReturn renumber_payload(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  const auto payload = static_cast<guint8>(GPOINTER_TO_INT(data));
  auto renumber = [payload](GstBuffer* buffer) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (gst_rtp_buffer_map(buffer, GST_MAP_READWRITE, &rtp)) {
      gst_rtp_buffer_set_payload_type(&rtp, payload);
      gst_rtp_buffer_unmap(&rtp);
    }
  };
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
    renumber(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList* list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
    for (guint i = 0; i < gst_buffer_list_length(list); ++i) {
      GstBuffer* buffer = gst_buffer_make_writable(gst_buffer_list_get(list, i));
      renumber(buffer);
      gst_buffer_list_remove(list, i, 1);
      gst_buffer_list_insert(list, static_cast<gint>(i), buffer);
    }
    GST_PAD_PROBE_INFO_DATA(info) = list;
  } else if (info->type &
             (GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM | GST_PAD_PROBE_TYPE_QUERY_UPSTREAM)) {
    // Caps are answered here, each side in its own numbering: the payloader
    // (asking downstream) at the number it can take, webrtcbin (asking
    // upstream) at the offered one.
    GstQuery* query = GST_PAD_PROBE_INFO_QUERY(info);
    MiniPtr<GstCaps> ours(gst_pad_get_pad_template_caps(pad));
    if (GstElement* filter = gst_pad_get_parent_element(pad)) {
      GstCaps* filter_caps = nullptr;
      g_object_get(filter, "caps", &filter_caps, nullptr);
      if (filter_caps) ours.reset(filter_caps);
      gst_object_unref(filter);
    }
    if (info->type & GST_PAD_PROBE_TYPE_QUERY_UPSTREAM) {
      ours.reset(gst_caps_make_writable(ours.release()));
      gst_caps_set_simple(ours.get(), "payload", G_TYPE_INT, int(payload), nullptr);
    }
    if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
      GstCaps* wanted = nullptr;
      gst_query_parse_caps(query, &wanted);
      MiniPtr<GstCaps> result(wanted ? gst_caps_intersect(ours.get(), wanted)
                                     : gst_caps_ref(ours.get()));
      gst_query_set_caps_result(query, result.get());
      return GST_PAD_PROBE_HANDLED;
    }
    if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
      GstCaps* offered = nullptr;
      gst_query_parse_accept_caps(query, &offered);
      gst_query_set_accept_caps_result(query, gst_caps_can_intersect(ours.get(), offered));
      return GST_PAD_PROBE_HANDLED;
    }
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    MiniPtr<GstCaps> renumbered(gst_caps_copy(caps));
    gst_caps_set_simple(renumbered.get(), "payload", G_TYPE_INT, int(payload), nullptr);
    GST_PAD_PROBE_INFO_DATA(info) = gst_event_new_caps(renumbered.get());
    gst_event_unref(event);
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn keep_matching_caps(GstPad*, GstPadProbeInfo* info, gpointer) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* caps = nullptr;
  gst_event_parse_caps(event, &caps);
  MiniPtr<GstCaps> kept(gst_caps_new_empty());
  for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
    const GstStructure* from = gst_caps_get_structure(caps, i);
    GstStructure* to = gst_structure_new_empty(gst_structure_get_name(from));
    for (const char* field : kSendCapsFields)
      if (const GValue* value = gst_structure_get_value(from, field))
        gst_structure_set_value(to, field, value);
    gst_caps_append_structure(kept.get(), to);
  }
  GST_PAD_PROBE_INFO_DATA(info) = gst_event_new_caps(kept.get());
  gst_event_unref(event);
  return GST_PAD_PROBE_OK;
}

}  // namespace

WebRtcSession::WebRtcSession(std::string id, std::string offer_sdp, SdpOffer offer,
                             WebRtcSettings settings, Callbacks callbacks, Listener& listener)
    : id_(std::move(id)),
      offer_sdp_(std::move(offer_sdp)),
      offer_(std::move(offer)),
      settings_(std::move(settings)),
      on_answer_(std::move(callbacks.on_answer)),
      on_candidate_(std::move(callbacks.on_candidate)),
      listener_(listener) {}

WebRtcSession::~WebRtcSession() {
  // Gone before answering: the HTTP request still gets a reply.
  if (on_answer_) reply(false, "the session ended before the answer was ready");
}

void WebRtcSession::build(GstBin* bin) {
  bin_ = bin;
  webrtc_ = make_element("webrtcbin", "webrtc");
  // max-bundle: the default answers a bundle-only m-line with port 0.
  gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
  g_object_set(webrtc_, "latency", guint(settings_.jitterbuffer_latency_ms), nullptr);
  if (!settings_.stun_servers.empty())
    g_object_set(webrtc_, "stun-server", settings_.stun_servers.front().c_str(), nullptr);
  for (const auto& turn : settings_.turn_servers) {
    gboolean added = FALSE;
    g_signal_emit_by_name(webrtc_, "add-turn-server", turn.c_str(), &added);
  }
  if (GstElement* rtpbin = gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")) {
    g_signal_connect(rtpbin, "new-jitterbuffer", G_CALLBACK(&WebRtcSession::on_new_jitterbuffer),
                     nullptr);
    gst_object_unref(rtpbin);
  }
  GstObject* agent = nullptr;
  g_object_get(webrtc_, "ice-agent", &agent, nullptr);
  if (agent) {
    // Behind NAT or in a container: only these addresses are gathered.
    for (const auto& address : settings_.ice_addresses) {
      gboolean added = FALSE;
      g_signal_emit_by_name(agent, "add-local-ip-address", address.c_str(), &added);
      if (!added) LOG_WARN << "webrtc " << id_ << ": ICE cannot use address " << address;
    }
    if (settings_.udp_port_min > 0)
      g_object_set(agent, "min-rtp-port", guint(settings_.udp_port_min), "max-rtp-port",
                   guint(settings_.udp_port_max), nullptr);
    gst_object_unref(agent);
  }
  g_signal_connect(webrtc_, "pad-added", G_CALLBACK(&WebRtcSession::on_pad_added), this);
  g_signal_connect(webrtc_, "on-new-transceiver", G_CALLBACK(&WebRtcSession::on_new_transceiver),
                   this);
  g_signal_connect(webrtc_, "notify::ice-gathering-state",
                   G_CALLBACK(&WebRtcSession::on_gathering_state), this);
  g_signal_connect(webrtc_, "notify::connection-state",
                   G_CALLBACK(&WebRtcSession::on_connection_state), this);
  if (on_candidate_)
    g_signal_connect(webrtc_, "on-ice-candidate", G_CALLBACK(&WebRtcSession::on_ice_candidate),
                     this);
  gst_bin_add(bin_, webrtc_);
}

GstPad* WebRtcSession::add_send_branch(const char* name, const std::vector<const char*>& chain,
                                       const OfferedCodec& codec, const char* media) {
  GstElement* previous = nullptr;
  GstElement* first = nullptr;
  // One SSRC for the payloader, the caps and so the answer's a=ssrc: when
  // webrtcbin answers before the payloader's caps reach it, it announces an
  // SSRC of its own, and a browser then drops the stream it receives.
  const guint ssrc = g_random_int();
  const int payloader_pt = payloader_takes(codec.payload) ? codec.payload : kInternalPayload;
  GstElement* payloader = nullptr;
  for (const char* factory : chain) {
    GstElement* element = make_element(factory);
    gst_bin_add(bin_, element);
    if (g_str_equal(factory, "queue")) {
      // Never let a slow peer hold the room's shared stream back.
      g_object_set(element, "max-size-time", guint64(GST_SECOND / 2), "max-size-buffers", 0u,
                   "max-size-bytes", 0u, nullptr);
      gst_util_set_object_arg(G_OBJECT(element), "leaky", "downstream");
    } else if (g_str_equal(factory, "rtph264pay")) {
      g_object_set(element, "config-interval", -1, "pt", guint(payloader_pt), "ssrc", ssrc,
                   nullptr);
      payloader = element;
      gst_util_set_object_arg(G_OBJECT(element), "aggregate-mode", "zero-latency");
    } else if (g_str_equal(factory, "rtpvp8pay")) {
      g_object_set(element, "pt", guint(payloader_pt), "ssrc", ssrc, nullptr);
      gst_util_set_object_arg(G_OBJECT(element), "picture-id-mode", "15-bit");
      payloader = element;
    } else if (g_str_equal(factory, "rtpopuspay")) {
      g_object_set(element, "pt", guint(payloader_pt), "ssrc", ssrc, nullptr);
      payloader = element;
    } else if (g_str_equal(factory, "capsfilter") && g_str_equal(media, "audio")) {
      // The raw audio the peer asked to hear: stereo only with stereo=1.
      MiniPtr<GstCaps> raw(gst_caps_new_simple("audio/x-raw", "channels", G_TYPE_INT,
                                               opus_channels_wanted(codec), nullptr));
      g_object_set(element, "caps", raw.get(), nullptr);
    } else if (g_str_equal(factory, "opusenc")) {
      g_object_set(element, "bitrate", 64000, nullptr);
      gst_util_set_object_arg(G_OBJECT(element), "frame-size", "20");
    }
    if (previous) link_or_throw(previous, element);
    if (!first) first = element;
    previous = element;
  }
  // Caps that match the offer, payload number included.
  std::string encoding = codec.name;
  for (auto& c : encoding) c = static_cast<char>(g_ascii_toupper(c));
  MiniPtr<GstCaps> caps(gst_caps_new_simple(
      "application/x-rtp", "media", G_TYPE_STRING, media, "encoding-name", G_TYPE_STRING,
      encoding.c_str(), "payload", G_TYPE_INT, codec.payload, "clock-rate", G_TYPE_INT,
      codec.clock_rate, "ssrc", G_TYPE_UINT, ssrc, nullptr));
  // The filter holds the payloader to the offer, at the number it can take.
  MiniPtr<GstCaps> payloader_caps(gst_caps_copy(caps.get()));
  gst_caps_set_simple(payloader_caps.get(), "payload", G_TYPE_INT, payloader_pt, nullptr);
  GstElement* filter = make_element("capsfilter");
  g_object_set(filter, "caps", payloader_caps.get(), nullptr);
  gst_bin_add(bin_, filter);
  link_or_throw(previous, filter);
  // Requested with the caps, so that the transceiver knows its kind and codec
  // before any media flows (the mix-minus needs a moment to start): without
  // them webrtcbin may not match it to the offer and answer recvonly.
  GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc_), "sink_%u");
  // Named after the offer's m-line, so webrtcbin pairs this stream with it.
  const OfferedMedia* media_line = offer_.first(media);
  const std::string pad_name = "sink_" + std::to_string(media_line ? media_line->index : 0);
  GstPad* webrtc_sink = gst_element_request_pad(webrtc_, templ, pad_name.c_str(), caps.get());
  if (!webrtc_sink) webrtc_sink = gst_element_request_pad(webrtc_, templ, nullptr, caps.get());
  GstPad* filter_src = gst_element_get_static_pad(filter, "src");
  if (payloader && payloader_pt != codec.payload)
    gst_pad_add_probe(
        filter_src,
        GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_QUERY_BOTH),
        &renumber_payload, GINT_TO_POINTER(codec.payload), nullptr);
  gst_pad_add_probe(filter_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &keep_matching_caps, nullptr,
                    nullptr);
  gst_pad_link(filter_src, webrtc_sink);
  gst_object_unref(filter_src);
  GstWebRTCRTPTransceiver* transceiver = nullptr;
  g_object_get(webrtc_sink, "transceiver", &transceiver, nullptr);
  if (transceiver) {
    g_object_set(transceiver, "codec-preferences", caps.get(), nullptr);
    gst_util_set_object_arg(G_OBJECT(transceiver), "direction", "sendrecv");
    gst_object_unref(transceiver);
  }
  gst_object_unref(webrtc_sink);
  GstPad* target = gst_element_get_static_pad(first, "sink");
  GstPad* ghost = gst_ghost_pad_new(name, target);
  gst_object_unref(target);
  gst_element_add_pad(GST_ELEMENT(bin_), ghost);
  return ghost;
}

// NACK only real gaps. By default the jitterbuffer also guesses when the
// next packet is due and NACKs it when it is a little late: on a busy
// machine that was about 145 NACKs a second for packets that were not lost,
// and a browser answers each with a retransmission.
void WebRtcSession::on_new_jitterbuffer(GstElement*, GstElement* jitterbuffer, guint, guint,
                                        gpointer) {
  g_object_set(jitterbuffer, "rtx-next-seqnum", FALSE, nullptr);
}

void WebRtcSession::on_new_transceiver(GstElement*, GObject* transceiver, gpointer) {
  // Retransmissions for lossy links: webrtcbin leaves NACK off otherwise.
  g_object_set(transceiver, "do-nack", TRUE, nullptr);
}

void WebRtcSession::negotiate() {
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new(&sdp);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(offer_sdp_.data()),
                                   static_cast<guint>(offer_sdp_.size()), sdp) != GST_SDP_OK) {
    gst_sdp_message_free(sdp);
    reply(false, "the offer is not valid SDP");
    failed("bad offer");
    return;
  }
  GstWebRTCSessionDescription* offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  // webrtcbin rejects some offers only here: the client must hear why, at once.
  const std::string refused = apply_description("set-remote-description", offer);
  gst_webrtc_session_description_free(offer);
  if (!refused.empty()) {
    reply(false, "the offer was refused: " + refused);
    failed("bad offer");
    return;
  }

  auto* target = new PromiseTarget{this, lifetime_.token()};
  GstPromise* promise = gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer data) {
        auto* t = static_cast<PromiseTarget*>(data);
        gst_promise_ref(p);
        post_to_main([self = t->self, token = t->token, p] {
          if (Lifetime::alive(token)) self->on_answer_created(p);
          gst_promise_unref(p);
        });
      },
      target, [](gpointer data) { delete static_cast<PromiseTarget*>(data); });
  g_signal_emit_by_name(webrtc_, "create-answer", nullptr, promise);
  // webrtcbin holds its own reference until it replies, and the change
  // function takes one for the main loop: ours goes now, or every session
  // leaks its promise and the answer in it (LeakSanitizer, webrtc/whip).
  gst_promise_unref(promise);
  if (on_candidate_) return;  // trickle: the answer goes out as soon as it is made
  gathering_timeout_ = run_after(settings_.gathering_timeout_s, [this, t = lifetime_.token()] {
    if (!Lifetime::alive(t) || !on_answer_) return;
    LOG_WARN << "webrtc " << id_ << ": ICE gathering did not complete in time; answering "
             << "with the candidates found so far";
    send_answer();
  });
}

std::string WebRtcSession::apply_description(const char* signal,
                                             GstWebRTCSessionDescription* description) {
  GstPromise* applied = gst_promise_new();
  g_signal_emit_by_name(webrtc_, signal, description, applied);
  gst_promise_wait(applied);  // done on webrtcbin's own thread, quickly
  const GstStructure* result = gst_promise_get_reply(applied);
  GError* error = nullptr;
  if (result) gst_structure_get(result, "error", G_TYPE_ERROR, &error, nullptr);
  gst_promise_unref(applied);
  if (!error) return "";
  std::string message = error->message;
  g_error_free(error);
  return message;
}

void WebRtcSession::on_answer_created(GstPromise* promise) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
    reply(false, "no answer was created");
    failed("negotiation failed");
    return;
  }
  const GstStructure* s = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription* answer = nullptr;
  if (s) gst_structure_get(s, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  if (!answer) {
    GError* error = nullptr;
    if (s) gst_structure_get(s, "error", G_TYPE_ERROR, &error, nullptr);
    const std::string message =
        std::string("cannot answer the offer: ") + (error ? error->message : "unknown reason");
    if (error) g_error_free(error);
    reply(false, message);
    failed("negotiation failed");
    return;
  }
  const std::string refused = apply_description("set-local-description", answer);
  gst_webrtc_session_description_free(answer);
  if (!refused.empty()) {
    reply(false, "cannot answer the offer: " + refused);
    failed("negotiation failed");
    return;
  }
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
  if (on_candidate_ || state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) send_answer();
}

void WebRtcSession::on_gathering_state(GObject* webrtc, GParamSpec*, gpointer data) {
  auto* self = static_cast<WebRtcSession*>(data);
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  post_to_main([self, t = self->lifetime_.token()] {
    if (!Lifetime::alive(t)) return;
    if (self->on_answer_) self->send_answer();
    if (self->on_candidate_) self->on_candidate_(0, "");
  });
}

// webrtcbin's thread: a local candidate, handed to the main loop.
void WebRtcSession::on_ice_candidate(GstElement*, guint mline, gchar* candidate, gpointer data) {
  auto* self = static_cast<WebRtcSession*>(data);
  post_to_main([self, t = self->lifetime_.token(), mline, text = std::string(candidate)] {
    if (Lifetime::alive(t) && self->on_candidate_) self->on_candidate_(int(mline), text);
  });
}

void WebRtcSession::send_answer() {
  gathering_timeout_.reset();
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(webrtc_, "local-description", &local, nullptr);
  if (!local) return;  // the answer is not set yet; the promise path will come here
  gchar* text = gst_sdp_message_as_text(local->sdp);
  const std::string sdp = text ? text : "";
  g_free(text);
  gst_webrtc_session_description_free(local);
  reply(true, sdp);
}

void WebRtcSession::reply(bool ok, const std::string& text) {
  if (!on_answer_) return;
  AnswerCallback callback = std::move(on_answer_);
  on_answer_ = nullptr;
  callback(ok, text);
}

void WebRtcSession::on_connection_state(GObject* webrtc, GParamSpec*, gpointer data) {
  auto* self = static_cast<WebRtcSession*>(data);
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    post_to_main([self, t = self->lifetime_.token()] {
      if (Lifetime::alive(t)) self->listener_.on_session_connected();
    });
    return;
  }
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_FAILED &&
      state != GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    return;
  self->fail_later(state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ? "ICE failed"
                                                                    : "connection closed");
}

void WebRtcSession::fail_later(std::string reason) {
  post_to_main([this, t = lifetime_.token(), reason = std::move(reason)] {
    if (Lifetime::alive(t)) failed(reason);
  });
}

void WebRtcSession::watch_receiver_departure() {
  GstElement* rtpbin = gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin");
  if (!rtpbin) {
    LOG_WARN << "webrtc " << id_ << ": no rtpbin inside webrtcbin; RTCP departures not seen";
    return;
  }
  g_signal_connect(rtpbin, "on-bye-ssrc", G_CALLBACK(&WebRtcSession::on_remote_bye), this);
  g_signal_connect(rtpbin, "on-timeout", G_CALLBACK(&WebRtcSession::on_remote_timeout), this);
  // Emitted for every RTCP packet from a remote source: a heartbeat.
  g_signal_connect(rtpbin, "on-ssrc-active", G_CALLBACK(&WebRtcSession::on_remote_rtcp), this);
  gst_object_unref(rtpbin);
  watch_started_us_ = g_get_monotonic_time();
  receiver_watchdog_ = run_every(
      1.0, [this, t = lifetime_.token()] { return Lifetime::alive(t) && check_receiver_alive(); });
}

void WebRtcSession::on_remote_rtcp(GstElement*, guint, guint, gpointer data) {
  static_cast<WebRtcSession*>(data)->last_rtcp_us_.store(g_get_monotonic_time());
}

bool WebRtcSession::check_receiver_alive() {
  const gint64 now = g_get_monotonic_time();
  const gint64 last = last_rtcp_us_.load();
  const double timeout_s = 2 * settings_.departure_timeout_s;
  if (!last && now - watch_started_us_ > static_cast<gint64>(timeout_s * G_USEC_PER_SEC)) {
    failed("never connected");
    return false;
  }
  const double silence_s = std::max(timeout_s, 10.0);
  if (last && now - last > static_cast<gint64>(silence_s * G_USEC_PER_SEC)) {
    failed("no RTCP for " + std::to_string(static_cast<int>(silence_s)) + " s");
    return false;
  }
  return true;
}

// rtpbin's threads: hand the departure to the main loop.
void WebRtcSession::on_remote_bye(GstElement*, guint, guint, gpointer data) {
  static_cast<WebRtcSession*>(data)->fail_later("said goodbye (RTCP BYE)");
}

void WebRtcSession::on_remote_timeout(GstElement*, guint, guint, gpointer data) {
  static_cast<WebRtcSession*>(data)->fail_later("no RTCP from the peer");
}

void WebRtcSession::add_remote_candidate(int mline_index, const std::string& candidate) {
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", guint(mline_index), candidate.c_str());
}

void WebRtcSession::failed(const std::string& reason) {
  listener_.on_session_failed(reason);
}

// Streaming thread: hand incoming RTP to the owner.
void WebRtcSession::on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  static_cast<WebRtcSession*>(data)->listener_.on_session_stream(pad);
}

void WebRtcSession::request_stats(std::function<void(std::vector<RtpStreamStats>)> done) {
  if (!webrtc_) return;
  struct StatsTarget {
    Lifetime::Token token;
    std::function<void(std::vector<RtpStreamStats>)> done;
  };
  auto* target = new StatsTarget{lifetime_.token(), std::move(done)};
  GstPromise* promise = gst_promise_new_with_change_func(
      [](GstPromise* p, gpointer data) {
        auto* t = static_cast<StatsTarget*>(data);
        // Parsed here (webrtcbin's thread); only the numbers go to the main loop.
        std::vector<RtpStreamStats> streams;
        if (gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED)
          if (const GstStructure* reply = gst_promise_get_reply(p))
            streams = rtp_stream_stats(reply);
        post_to_main([token = t->token, done = t->done, streams = std::move(streams)] {
          if (Lifetime::alive(token)) done(streams);
        });
      },
      target, [](gpointer data) { delete static_cast<StatsTarget*>(data); });
  g_signal_emit_by_name(webrtc_, "get-stats", nullptr, promise);
  gst_promise_unref(promise);
}

}  // namespace mixcast
