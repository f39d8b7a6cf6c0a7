#include "media/webrtc_participant.h"

#include "core/log.h"

namespace mixcast {

WebRtcParticipant::WebRtcParticipant(std::string id, std::string display_name, std::string identity,
                                     std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                                     AnswerCallback on_answer, Participant::Listener& listener)
    : Participant(id, std::move(display_name), std::move(identity), listener),
      session_(id, std::move(offer_sdp), std::move(offer), std::move(settings),
               std::move(on_answer), *this) {}

void WebRtcParticipant::build() {
  session_.build(bin());
  const SdpOffer& offer = session_.offer();
  // Return streams are linked before the answer is made, so that webrtcbin
  // answers sendrecv with the payload numbers the peer offered.
  if (const auto* video = offer.first("video"); video && offer.receives("video")) {
    if (auto h264 = pick_h264(*video))
      return_video_ =
          session_.add_send_branch("return_video", {"queue", "rtph264pay"}, *h264, "video");
    else
      LOG_WARN << "participant " << id() << " takes no H.264: no video goes back to it yet";
  }
  if (const auto* audio = offer.first("audio"); audio && offer.receives("audio")) {
    if (auto opus = pick_opus(*audio))
      return_audio_ = session_.add_send_branch(
          "return_audio",
          {"queue", "audioconvert", "audioresample", "capsfilter", "opusenc", "rtpopuspay"}, *opus,
          "audio");
  }
  // A participant that sends nothing shows the placeholder at once.
  if (!offer.sends("video") && !offer.sends("audio")) streams_complete();
  // Negotiate once the bin runs inside the room's pipeline.
  post_to_main([this, t = token()] {
    if (Lifetime::alive(t)) session_.negotiate();
  });
}

// Streaming thread: a new incoming RTP stream. decodebin depayloads and decodes it.
void WebRtcParticipant::on_session_stream(GstPad* pad) {
  GstElement* decode = gst_element_factory_make("decodebin", nullptr);
  if (!decode) return;
  g_signal_connect(decode, "pad-added", G_CALLBACK(&WebRtcParticipant::on_decoded_pad), this);
  gst_bin_add(bin(), decode);
  gst_element_sync_state_with_parent(decode);
  GstPad* sink = gst_element_get_static_pad(decode, "sink");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK)
    LOG_WARN << "participant " << id() << ": cannot decode an incoming stream";
  gst_object_unref(sink);
}

void WebRtcParticipant::on_decoded_pad(GstElement*, GstPad* pad, gpointer data) {
  auto* self = static_cast<WebRtcParticipant*>(data);
  MiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const char* media = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  const SdpOffer& offer = self->session_.offer();
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
    complete = (self->video_exposed_ || !offer.sends("video")) &&
               (self->audio_exposed_ || !offer.sends("audio"));
  }
  if (complete) self->streams_complete();
}

}  // namespace mixcast
