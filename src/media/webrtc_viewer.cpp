#include "media/webrtc_viewer.h"

namespace mixcast {

WebRtcViewer::WebRtcViewer(std::string id, std::string offer_sdp, SdpOffer offer,
                           WebRtcSettings settings, WebRtcSession::Callbacks callbacks,
                           GoneCallback on_gone)
    : id_(id),
      session_(std::move(id), std::move(offer_sdp), std::move(offer), std::move(settings),
               std::move(callbacks), *this),
      on_gone_(std::move(on_gone)) {}

WebRtcViewer::~WebRtcViewer() {
  if (!bin_) return;
  leave_parent_state(bin_);
  gst_element_set_state(bin_, GST_STATE_NULL);
  if (GST_OBJECT_PARENT(bin_) == GST_OBJECT(pipeline_)) gst_bin_remove(pipeline_, bin_);
  gst_object_unref(bin_);
}

GstPtr<GstElement> WebRtcViewer::detach() {
  on_gone_ = nullptr;
  on_connected_ = nullptr;
  if (!bin_) return {};
  for (GstPad* pad : {video_, audio_}) unlink_from_peer(pad);
  auto held = ref(bin_);
  leave_parent_state(bin_);  // the reaper sets it to NULL
  if (GST_OBJECT_PARENT(bin_) == GST_OBJECT(pipeline_)) gst_bin_remove(pipeline_, bin_);
  return held;
}

bool WebRtcViewer::start(GstBin* pipeline, std::string& error) {
  pipeline_ = pipeline;
  bin_ = gst_bin_new(("viewer-" + id_).c_str());
  gst_object_ref_sink(bin_);
  session_.build(GST_BIN(bin_));
  session_.watch_receiver_departure();
  const SdpOffer& offer = session_.offer();
  if (const auto* video = offer.first("video"); video && offer.receives("video")) {
    if (auto h264 = pick_h264(*video)) {
      video_ = session_.add_send_branch("video", {"queue", "rtph264pay"}, *h264, "video");
      video_codec_ = ReturnVideo::H264;
    } else if (auto vp8 = pick_vp8(*video)) {
      video_ = session_.add_send_branch("video", {"queue", "rtpvp8pay"}, *vp8, "video");
      video_codec_ = ReturnVideo::Vp8;
    }
  }
  if (const auto* audio = offer.first("audio"); audio && offer.receives("audio")) {
    if (auto opus = pick_opus(*audio))
      audio_ = session_.add_send_branch("audio", {"queue", "rtpopuspay"}, *opus, "audio");
  }
  if (!video_ && !audio_) {
    error = "the offer receives neither H.264 or VP8 video nor Opus audio";
    return false;
  }
  gst_bin_add(pipeline_, bin_);
  gst_element_sync_state_with_parent(bin_);
  post_to_main([this, t = lifetime_.token()] {
    if (Lifetime::alive(t)) session_.negotiate();
  });
  return true;
}

void WebRtcViewer::on_session_failed(const std::string& reason) {
  if (on_gone_) on_gone_(id_, reason);
}

}  // namespace mixcast
