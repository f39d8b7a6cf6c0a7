// A participant that publishes over WebRTC (WHIP): a WebRtcSession in the
// participant's bin. Incoming RTP is decoded by decodebin and exposed to the
// room like any other participant; when the peer takes media back, the room
// links the shared H.264 stream and this participant's mix-minus to the
// return sinks.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "media/participant.h"
#include "media/webrtc_session.h"

namespace mixcast {

class WebRtcParticipant final : public Participant, private WebRtcSession::Listener {
 public:
  // `offer` is `offer_sdp` already checked by parse_sdp_offer().
  WebRtcParticipant(std::string id, std::string display_name, std::string identity,
                    std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                    WebRtcSession::Callbacks callbacks, Participant::Listener& listener);
  // The session's callbacks run on webrtcbin's threads: stop them first.
  ~WebRtcParticipant() override { stop(); }

  // Ghost sink pads of the bin for the return path (nullptr when the peer
  // does not take that media back, or offers no codec we send).
  GstPad* return_video_sink() const { return return_video_; }
  GstPad* return_audio_sink() const { return return_audio_; }
  // Which shared encode feeds return_video_sink().
  ReturnVideo return_video_codec() const { return return_video_codec_; }

  // Runs on the main loop when the peer is connected (the room forces a
  // keyframe of the stream it sends back then: one forced at link time may
  // have gone out before the peer could receive it).
  void set_on_connected(std::function<void()> on_connected) {
    on_connected_ = std::move(on_connected);
  }

  // A decoder reported a damaged stream: ask the peer for a keyframe (at
  // most once a second). Main loop.
  void on_decode_trouble();

  // The network figures of the last second (RTCP and RTP counters). Main loop.
  const NetStats& net_stats() const { return net_stats_; }

  // Trickle ICE (WHIP PATCH).
  void add_remote_candidate(int mline_index, const std::string& candidate) {
    session_.add_remote_candidate(mline_index, candidate);
  }

 protected:
  void build() override;

 private:
  void on_session_stream(GstPad* rtp_src) override;
  void on_session_failed(const std::string& reason) override { fail(reason); }
  void on_session_connected() override {
    if (on_connected_) on_connected_();
  }
  static void on_decoded_pad(GstElement* decodebin, GstPad* pad, gpointer self);
  static GstPadProbeReturn on_rtp(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  // Main loop, every second: a publisher that stopped sending has left
  // (webrtcbin 1.22 has no consent freshness to notice a vanished browser).
  bool check_media_flow();
  // Asks the peer for a keyframe (PLI) on its incoming video.
  void request_keyframe();

  WebRtcSession session_;
  GstPad* return_video_ = nullptr;  // owned by our bin
  GstPad* return_audio_ = nullptr;
  ReturnVideo return_video_codec_ = ReturnVideo::None;
  std::function<void()> on_connected_;
  std::mutex mutex_;  // guards the two flags below (streaming threads)
  bool video_exposed_ = false;
  bool audio_exposed_ = false;
  GstPad* incoming_video_ = nullptr;  // webrtcbin's src pad (guarded by mutex_)
  double departure_timeout_s_;
  gint64 joined_us_ = 0;
  std::atomic<gint64> last_rtp_us_{0};
  SourceId watchdog_;
  SourceId keyframe_retry_;
  gint64 last_keyframe_request_us_ = 0;
  NetStats net_stats_;
  gint64 net_stats_us_ = 0;  // when net_stats_ was taken
};

}  // namespace mixcast
