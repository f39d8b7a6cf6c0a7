// A WHEP viewer: receives the room's full mix (the shared H.264 stream and
// the shared Opus encode of the full audio mix) and sends nothing. Not a
// participant: it takes no seat and is not in the layout.
#pragma once

#include <functional>
#include <string>

#include "media/webrtc_session.h"

namespace mixcast {

class WebRtcViewer final : private WebRtcSession::Listener {
 public:
  // Called on the main loop when the connection fails or closes.
  using GoneCallback = std::function<void(const std::string& id, const std::string& reason)>;

  WebRtcViewer(std::string id, std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
               WebRtcSession::Callbacks callbacks, GoneCallback on_gone);
  ~WebRtcViewer();
  WebRtcViewer(const WebRtcViewer&) = delete;
  WebRtcViewer& operator=(const WebRtcViewer&) = delete;

  // Builds the viewer's bin in `pipeline`; returns false with `error` set
  // when the offer takes nothing we send.
  bool start(GstBin* pipeline, std::string& error);
  // Leaves the room's graph: pads unlinked, the bin out of the pipeline,
  // still running; no more callbacks. Returns the bin to stop off the main
  // loop (media/reaper); this object must outlive that stop.
  GstPtr<GstElement> detach();
  // Sinks for the room's encoded streams (nullptr when not wanted).
  GstPad* video_sink() const { return video_; }
  GstPad* audio_sink() const { return audio_; }
  // Which shared encode feeds video_sink().
  ReturnVideo video_codec() const { return video_codec_; }
  const std::string& id() const { return id_; }
  // Runs on the main loop when the peer is connected.
  void set_on_connected(std::function<void()> on_connected) {
    on_connected_ = std::move(on_connected);
  }
  void add_remote_candidate(int mline_index, const std::string& candidate) {
    session_.add_remote_candidate(mline_index, candidate);
  }

 private:
  void on_session_stream(GstPad*) override {}  // a viewer sends nothing we take
  void on_session_failed(const std::string& reason) override;
  void on_session_connected() override {
    if (on_connected_) on_connected_();
  }

  std::string id_;
  WebRtcSession session_;
  GoneCallback on_gone_;
  GstBin* pipeline_ = nullptr;
  GstElement* bin_ = nullptr;
  GstPad* video_ = nullptr;
  GstPad* audio_ = nullptr;
  ReturnVideo video_codec_ = ReturnVideo::None;
  std::function<void()> on_connected_;
  Lifetime lifetime_;
};

}  // namespace mixcast
