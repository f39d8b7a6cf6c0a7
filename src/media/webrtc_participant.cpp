#define GST_USE_UNSTABLE_API
#include "media/webrtc_participant.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include "core/log.h"

namespace mixcast {

namespace {

// Promise callbacks may outlive the participant: they carry a token.
struct PromiseTarget {
  WebRtcParticipant* self;
  Lifetime::Token token;
};

}  // namespace

WebRtcParticipant::WebRtcParticipant(std::string id, std::string display_name, std::string identity,
                                     std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                                     AnswerCallback on_answer, Listener& listener)
    : Participant(std::move(id), std::move(display_name), std::move(identity), listener),
      offer_sdp_(std::move(offer_sdp)),
      offer_(std::move(offer)),
      settings_(std::move(settings)),
      on_answer_(std::move(on_answer)) {}

WebRtcParticipant::~WebRtcParticipant() {
  // Leaving before answering: the HTTP request still gets a reply.
  if (on_answer_) reply(false, "the participant left before the answer was ready");
}

void WebRtcParticipant::build() {
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
  g_signal_connect(webrtc_, "pad-added", G_CALLBACK(&WebRtcParticipant::on_pad_added), this);
  g_signal_connect(webrtc_, "on-new-transceiver",
                   G_CALLBACK(&WebRtcParticipant::on_new_transceiver), this);
  g_signal_connect(webrtc_, "notify::ice-gathering-state",
                   G_CALLBACK(&WebRtcParticipant::on_gathering_state), this);
  g_signal_connect(webrtc_, "notify::connection-state",
                   G_CALLBACK(&WebRtcParticipant::on_connection_state), this);
  gst_bin_add(bin(), webrtc_);
  // Return streams are linked before the answer is made, so webrtcbin answers
  // sendrecv with the payload numbers the peer offered.
  if (const auto* video = offer_.first("video"); video && offer_.receives("video")) {
    if (auto h264 = pick_h264(*video))
      return_video_ = build_return("return_video", {"queue", "rtph264pay"}, *h264, "video");
    else
      LOG_WARN << "participant " << id() << " takes no H.264: no video goes back to it yet";
  }
  if (const auto* audio = offer_.first("audio"); audio && offer_.receives("audio")) {
    if (auto opus = pick_opus(*audio))
      return_audio_ = build_return(
          "return_audio", {"queue", "audioconvert", "audioresample", "opusenc", "rtpopuspay"},
          *opus, "audio");
  }
  // A participant that sends no video shows the placeholder at once.
  if (!offer_.sends("video") && !offer_.sends("audio")) streams_complete();
  // Negotiate once the bin runs inside the room's pipeline.
  post_to_main([this, t = token()] {
    if (Lifetime::alive(t)) negotiate();
  });
}

GstPad* WebRtcParticipant::build_return(const char* name, const std::vector<const char*>& chain,
                                        const OfferedCodec& codec, const char* media) {
  GstElement* previous = nullptr;
  GstElement* first = nullptr;
  for (const char* factory : chain) {
    GstElement* element = make_element(factory);
    gst_bin_add(bin(), element);
    if (g_str_equal(factory, "queue")) {
      // Never let a slow peer hold the room's shared stream back.
      g_object_set(element, "max-size-time", guint64(GST_SECOND / 2), "max-size-buffers", 0u,
                   "max-size-bytes", 0u, nullptr);
      gst_util_set_object_arg(G_OBJECT(element), "leaky", "downstream");
    } else if (g_str_equal(factory, "rtph264pay")) {
      g_object_set(element, "config-interval", -1, "pt", guint(codec.payload), nullptr);
      gst_util_set_object_arg(G_OBJECT(element), "aggregate-mode", "zero-latency");
    } else if (g_str_equal(factory, "rtpopuspay")) {
      g_object_set(element, "pt", guint(codec.payload), nullptr);
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
  MiniPtr<GstCaps> caps(gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, media,
                                            "encoding-name", G_TYPE_STRING, encoding.c_str(),
                                            "payload", G_TYPE_INT, codec.payload, "clock-rate",
                                            G_TYPE_INT, codec.clock_rate, nullptr));
  GstElement* filter = make_element("capsfilter");
  g_object_set(filter, "caps", caps.get(), nullptr);
  gst_bin_add(bin(), filter);
  link_or_throw(previous, filter);
  // Requested with the caps, so that the transceiver knows its kind and codec
  // before any media flows (the mix-minus needs a moment to start): without
  // them webrtcbin may not match it to the offer and answer recvonly.
  GstPadTemplate* templ =
      gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(webrtc_), "sink_%u");
  GstPad* webrtc_sink = gst_element_request_pad(webrtc_, templ, nullptr, caps.get());
  GstPad* filter_src = gst_element_get_static_pad(filter, "src");
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
  gst_element_add_pad(GST_ELEMENT(bin()), ghost);
  return ghost;
}

void WebRtcParticipant::on_new_transceiver(GstElement*, GObject* transceiver, gpointer) {
  // Retransmissions for lossy links: webrtcbin leaves NACK off otherwise.
  g_object_set(transceiver, "do-nack", TRUE, nullptr);
}

void WebRtcParticipant::negotiate() {
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new(&sdp);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(offer_sdp_.data()),
                                   static_cast<guint>(offer_sdp_.size()), sdp) != GST_SDP_OK) {
    gst_sdp_message_free(sdp);
    reply(false, "the offer is not valid SDP");
    fail("bad offer");
    return;
  }
  GstWebRTCSessionDescription* offer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  g_signal_emit_by_name(webrtc_, "set-remote-description", offer, nullptr);
  gst_webrtc_session_description_free(offer);

  auto* target = new PromiseTarget{this, token()};
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
  gathering_timeout_ = run_after(settings_.gathering_timeout_s, [this, t = token()] {
    if (!Lifetime::alive(t) || !on_answer_) return;
    LOG_WARN << "participant " << id() << ": ICE gathering did not complete in time; answering "
             << "with the candidates found so far";
    send_answer();
  });
}

void WebRtcParticipant::on_answer_created(GstPromise* promise) {
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
    reply(false, "no answer was created");
    fail("negotiation failed");
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
    fail("negotiation failed");
    return;
  }
  g_signal_emit_by_name(webrtc_, "set-local-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) send_answer();
}

void WebRtcParticipant::on_gathering_state(GObject* webrtc, GParamSpec*, gpointer data) {
  auto* self = static_cast<WebRtcParticipant*>(data);
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc, "ice-gathering-state", &state, nullptr);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) return;
  post_to_main([self, t = self->token()] {
    if (Lifetime::alive(t) && self->on_answer_) self->send_answer();
  });
}

void WebRtcParticipant::send_answer() {
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

void WebRtcParticipant::reply(bool ok, const std::string& text) {
  if (!on_answer_) return;
  AnswerCallback callback = std::move(on_answer_);
  on_answer_ = nullptr;
  callback(ok, text);
}

void WebRtcParticipant::on_connection_state(GObject* webrtc, GParamSpec*, gpointer data) {
  auto* self = static_cast<WebRtcParticipant*>(data);
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc, "connection-state", &state, nullptr);
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_FAILED &&
      state != GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    return;
  post_to_main([self, t = self->token(), state] {
    if (Lifetime::alive(t))
      self->fail(state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED ? "ICE failed"
                                                                  : "connection closed");
  });
}

void WebRtcParticipant::add_remote_candidate(int mline_index, const std::string& candidate) {
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", guint(mline_index), candidate.c_str());
}

// Streaming thread: a new incoming RTP stream. decodebin depayloads and decodes it.
void WebRtcParticipant::on_pad_added(GstElement*, GstPad* pad, gpointer data) {
  auto* self = static_cast<WebRtcParticipant*>(data);
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  GstElement* decode = gst_element_factory_make("decodebin", nullptr);
  if (!decode) return;
  g_signal_connect(decode, "pad-added", G_CALLBACK(&WebRtcParticipant::on_decoded_pad), self);
  gst_bin_add(self->bin(), decode);
  gst_element_sync_state_with_parent(decode);
  GstPad* sink = gst_element_get_static_pad(decode, "sink");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
    LOG_WARN << "participant " << self->id() << ": cannot decode an incoming stream";
  gst_object_unref(sink);
}

void WebRtcParticipant::on_decoded_pad(GstElement*, GstPad* pad, gpointer data) {
  auto* self = static_cast<WebRtcParticipant*>(data);
  MiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const char* media = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  bool complete = false;
  {
    std::lock_guard lock(self->mutex_);
    if (g_str_has_prefix(media, "video/x-raw") && !self->video_exposed_) {
      self->video_exposed_ = true;
      self->expose(Stream::Video, pad);
    } else if (g_str_has_prefix(media, "audio/x-raw") && !self->audio_exposed_) {
      self->audio_exposed_ = true;
      self->expose(Stream::Audio, pad);
    }
    complete = (self->video_exposed_ || !self->offer_.sends("video")) &&
               (self->audio_exposed_ || !self->offer_.sends("audio"));
  }
  if (complete) self->streams_complete();
}

}  // namespace mixcast
