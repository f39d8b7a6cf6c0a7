// A participant that publishes over WebRTC (WHIP): one webrtcbin in the
// room's pipeline. The offer is answered once ICE gathering is complete (WHIP
// without trickle needs every candidate in the answer); incoming RTP is
// decoded by decodebin and exposed to the room like any other participant.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/sdp_offer.h"
#include "media/participant.h"

namespace mixcast {

struct WebRtcSettings {
  std::vector<std::string> stun_servers;  // stun://host:port
  std::vector<std::string> turn_servers;  // turn(s)://user:pass@host:port
  int jitterbuffer_latency_ms = 50;
  double gathering_timeout_s = 5.0;
};

class WebRtcParticipant final : public Participant {
 public:
  // Called once on the main loop: the SDP answer, or an error message.
  using AnswerCallback = std::function<void(bool ok, const std::string& sdp_or_error)>;

  // `offer` is `offer_sdp` already checked by parse_sdp_offer().
  WebRtcParticipant(std::string id, std::string display_name, std::string identity,
                    std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                    AnswerCallback on_answer, Listener& listener);
  ~WebRtcParticipant() override;

  // The return path: src pads of the bin to link the room's shared H.264
  // stream and this participant's mix-minus to (nullptr when the peer does
  // not take that media back, or offers no codec we send).
  GstPad* return_video_sink() const { return return_video_; }
  GstPad* return_audio_sink() const { return return_audio_; }

  // Trickle ICE (WHIP PATCH): "a=candidate:..." lines with their m-line index.
  void add_remote_candidate(int mline_index, const std::string& candidate);

 protected:
  void build() override;

 private:
  static void on_pad_added(GstElement* webrtc, GstPad* pad, gpointer self);
  static void on_decoded_pad(GstElement* decodebin, GstPad* pad, gpointer self);
  static void on_new_transceiver(GstElement* webrtc, GObject* transceiver, gpointer self);
  static void on_gathering_state(GObject* webrtc, GParamSpec*, gpointer self);
  static void on_connection_state(GObject* webrtc, GParamSpec*, gpointer self);
  void negotiate();
  GstPad* build_return(const char* name, const std::vector<const char*>& chain,
                       const OfferedCodec& codec, const char* media);
  void on_answer_created(GstPromise* promise);
  void send_answer();
  void reply(bool ok, const std::string& text);

  std::string offer_sdp_;
  SdpOffer offer_;
  WebRtcSettings settings_;
  AnswerCallback on_answer_;
  GstElement* webrtc_ = nullptr;  // owned by our bin
  SourceId gathering_timeout_;
  GstPad* return_video_ = nullptr;  // ghost sink pads on our bin (owned by it)
  GstPad* return_audio_ = nullptr;
  std::mutex mutex_;  // guards the two flags below (streaming threads)
  bool video_exposed_ = false;
  bool audio_exposed_ = false;
};

}  // namespace mixcast
