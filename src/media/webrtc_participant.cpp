#include "media/webrtc_participant.h"

#include <gst/video/video.h>

#include "core/log.h"

namespace mixcast {

WebRtcParticipant::WebRtcParticipant(std::string id, std::string display_name, std::string identity,
                                     std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                                     WebRtcSession::Callbacks callbacks,
                                     Participant::Listener& listener)
    : Participant(id, std::move(display_name), std::move(identity), listener),
      session_(id, std::move(offer_sdp), std::move(offer), settings, std::move(callbacks), *this),
      departure_timeout_s_(settings.departure_timeout_s) {}

void WebRtcParticipant::build() {
  session_.build(bin());
  const SdpOffer& offer = session_.offer();
  // Return streams are linked before the answer is made, so that webrtcbin
  // answers sendrecv with the payload numbers the peer offered.
  if (const auto* video = offer.first("video"); video && offer.receives("video")) {
    if (auto h264 = pick_h264(*video)) {
      return_video_ =
          session_.add_send_branch("return_video", {"queue", "rtph264pay"}, *h264, "video");
      return_video_codec_ = ReturnVideo::H264;
    } else if (auto vp8 = pick_vp8(*video)) {
      return_video_ =
          session_.add_send_branch("return_video", {"queue", "rtpvp8pay"}, *vp8, "video");
      return_video_codec_ = ReturnVideo::Vp8;
    } else {
      LOG_WARN << "participant " << id() << " takes neither H.264 nor VP8: no video goes back";
    }
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
  joined_us_ = g_get_monotonic_time();
  if (offer.sends("video") || offer.sends("audio"))
    watchdog_ =
        run_every(1.0, [this, t = token()] { return Lifetime::alive(t) && check_media_flow(); });
  // Negotiate once the bin runs inside the room's pipeline.
  post_to_main([this, t = token()] {
    if (Lifetime::alive(t)) session_.negotiate();
  });
}

// Streaming thread: a new incoming RTP stream. decodebin depayloads and decodes it.
bool WebRtcParticipant::check_media_flow() {
  const gint64 now = g_get_monotonic_time();
  session_.request_stats([this](std::vector<RtpStreamStats> streams) {
    const gint64 at = g_get_monotonic_time();
    const double seconds = net_stats_us_ ? static_cast<double>(at - net_stats_us_) / 1e6 : 0;
    net_stats_ = summarize_net_stats(streams, net_stats_, seconds);
    net_stats_us_ = at;
  });
  const gint64 last = last_rtp_us_.load();
  const gint64 timeout_us = static_cast<gint64>(departure_timeout_s_ * G_USEC_PER_SEC);
  // Before the first packet, ICE and DTLS get twice as long.
  const bool silent = last ? now - last > timeout_us : now - joined_us_ > 2 * timeout_us;
  if (!silent) return true;
  const std::string seconds = std::to_string(static_cast<int>(departure_timeout_s_ + 0.5));
  fail(last ? "no media for " + seconds + " s" : "no media arrived");
  return false;
}

GstPadProbeReturn WebRtcParticipant::on_rtp(GstPad*, GstPadProbeInfo*, gpointer data) {
  static_cast<WebRtcParticipant*>(data)->last_rtp_us_.store(g_get_monotonic_time());
  return GST_PAD_PROBE_OK;
}

void WebRtcParticipant::request_keyframe() {
  std::lock_guard lock(mutex_);
  // Upstream on webrtcbin's src pad: rtpsession turns it into a PLI.
  if (incoming_video_)
    gst_pad_send_event(incoming_video_,
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

void WebRtcParticipant::on_decode_trouble() {
  const gint64 now = g_get_monotonic_time();
  if (now - last_keyframe_request_us_ < G_USEC_PER_SEC) return;
  last_keyframe_request_us_ = now;
  LOG_DEBUG << "participant " << id() << ": decode trouble, asking for a keyframe";
  request_keyframe();
}

void WebRtcParticipant::on_session_stream(GstPad* pad) {
  gst_pad_add_probe(pad,
                    GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                    &WebRtcParticipant::on_rtp, this, nullptr);
  MiniPtr<GstCaps> caps = pad_caps(pad);
  if (caps && !gst_caps_is_empty(caps.get())) {
    const gchar* media = gst_structure_get_string(gst_caps_get_structure(caps.get(), 0), "media");
    if (media && g_str_equal(media, "video")) {
      {
        std::lock_guard lock(mutex_);
        incoming_video_ = pad;  // webrtcbin's pad: lives as long as our bin
      }
      // A new publisher starts on a keyframe: ask now, and once more in a
      // second in case the first request went out before the peer's SSRC was known.
      post_to_main([this, t = token()] {
        if (!Lifetime::alive(t)) return;
        request_keyframe();
        keyframe_retry_ = run_after(1.0, [this, t] {
          if (Lifetime::alive(t)) request_keyframe();
        });
      });
    }
  }
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
  MiniPtr<GstCaps> caps = pad_caps(pad);
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
