#define GST_USE_UNSTABLE_API
#include "whip_publisher.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <stdexcept>

namespace mixcast::testing {

WhipPublisher::WhipPublisher(unsigned argb, int tone_hz) {
  const std::string launch =
      "webrtcbin name=w bundle-policy=max-bundle "
      "videotestsrc is-live=true pattern=solid-color foreground-color=" +
      std::to_string(argb) +
      " ! video/x-raw,width=320,height=180,framerate=30/1 ! vp8enc deadline=1 "
      "keyframe-max-dist=30 ! rtpvp8pay picture-id-mode=15-bit ! "
      "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w. "
      "audiotestsrc is-live=true wave=sine volume=0.3 freq=" +
      std::to_string(tone_hz) +
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
  gst_element_set_state(pipeline_, GST_STATE_PLAYING);
}

WhipPublisher::~WhipPublisher() {
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(webrtc_);
  gst_object_unref(pipeline_);
}

HttpResponse WhipPublisher::publish(int port, const std::string& path) {
  GstPromise* promise = gst_promise_new();
  g_signal_emit_by_name(webrtc_, "create-offer", nullptr, promise);
  gst_promise_wait(promise);
  GstWebRTCSessionDescription* offer = nullptr;
  gst_structure_get(gst_promise_get_reply(promise), "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                    &offer, nullptr);
  gst_promise_unref(promise);
  if (!offer) throw std::runtime_error("publisher: no offer");
  g_signal_emit_by_name(webrtc_, "set-local-description", offer, nullptr);
  gst_webrtc_session_description_free(offer);
  // WHIP without trickle: every candidate goes in the offer.
  wait_until(
      [this] {
        GstWebRTCICEGatheringState state;
        g_object_get(webrtc_, "ice-gathering-state", &state, nullptr);
        return state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE;
      },
      10);
  GstWebRTCSessionDescription* local = nullptr;
  g_object_get(webrtc_, "local-description", &local, nullptr);
  gchar* text = gst_sdp_message_as_text(local->sdp);
  offer_ = text;
  g_free(text);
  gst_webrtc_session_description_free(local);

  HttpResponse response = http_request("POST", port, path, offer_, "application/sdp");
  if (response.status != 201) return response;
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new(&sdp);
  gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(response.body.data()),
                               static_cast<guint>(response.body.size()), sdp);
  GstWebRTCSessionDescription* answer =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  g_signal_emit_by_name(webrtc_, "set-remote-description", answer, nullptr);
  gst_webrtc_session_description_free(answer);
  return response;
}

bool WhipPublisher::connected() const {
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc_, "connection-state", &state, nullptr);
  return state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED;
}

}  // namespace mixcast::testing
