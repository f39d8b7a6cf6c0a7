// One webrtcbin answering one browser offer (WHIP publisher or WHEP viewer).
// It builds the send branches that match the offer (payload numbers
// included: otherwise webrtcbin answers recvonly), answers once ICE gathering
// is complete (no trickle needed), takes trickled candidates, and reports a
// failed or closed connection. Owners: WebRtcParticipant and WebRtcViewer.
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "base/lifetime.h"
#include "core/net_stats.h"
#include "core/sdp_offer.h"
#include "media/gst_ptr.h"

namespace mixcast {

// Per-session settings, from the config's `webrtc` section.
struct WebRtcSettings {
  std::vector<std::string> stun_servers;   // stun://host:port
  std::vector<std::string> turn_servers;   // turn(s)://user:pass@host:port
  std::vector<std::string> ice_addresses;  // the only local addresses ICE uses; empty = all
  int udp_port_min = 0;                    // 0 = any
  int udp_port_max = 0;
  int jitterbuffer_latency_ms = 50;
  double gathering_timeout_s = 5.0;
  double departure_timeout_s = 5.0;  // publishers: no RTP for this long means gone
};

class WebRtcSession {
 public:
  // Called once on the main loop: the SDP answer, or an error message.
  using AnswerCallback = std::function<void(bool ok, const std::string& sdp_or_error)>;
  // Called on the main loop with each local ICE candidate ("candidate:...")
  // and its m-line index, then with "" when gathering is complete.
  using CandidateCallback = std::function<void(int mline, const std::string& candidate)>;
  // Without on_candidate the answer waits for ICE gathering and carries every
  // candidate (WHIP/WHEP); with it the answer goes out at once and the
  // candidates trickle after it (WebSocket).
  struct Callbacks {
    AnswerCallback on_answer;
    CandidateCallback on_candidate;
  };

  class Listener {
   public:
    // Streaming thread: an incoming RTP stream on a webrtcbin src pad.
    virtual void on_session_stream(GstPad* rtp_src) = 0;
    // Main loop: negotiation failed, ICE failed or the connection closed.
    virtual void on_session_failed(const std::string& reason) = 0;
    // Main loop: ICE and DTLS are up; media sent from now on arrives.
    virtual void on_session_connected() {}

   protected:
    ~Listener() = default;
  };

  WebRtcSession(std::string id, std::string offer_sdp, SdpOffer offer, WebRtcSettings settings,
                Callbacks callbacks, Listener& listener);
  ~WebRtcSession();
  WebRtcSession(const WebRtcSession&) = delete;
  WebRtcSession& operator=(const WebRtcSession&) = delete;

  // Creates the webrtcbin inside `bin` (before the bin runs).
  void build(GstBin* bin);
  // A send branch: `chain` (element factories, first one takes the input)
  // then caps for `codec`, into a new webrtcbin sink pad. Returns the ghost
  // sink pad added to the bin.
  GstPad* add_send_branch(const char* name, const std::vector<const char*>& chain,
                          const OfferedCodec& codec, const char* media);
  // Starts negotiating; call on the main loop once the bin runs.
  void negotiate();
  // For peers that send no media (WHEP viewers), whose only sign of life is
  // RTCP (webrtcbin 1.22 has no ICE consent freshness): an RTCP BYE means
  // they left; so does no receiver report for twice the departure timeout
  // (at least 10 s: receivers report every few seconds), and no RTCP at all
  // within twice the departure timeout of joining. Call after build().
  void watch_receiver_departure();
  // Trickle ICE: "candidate:..." with its m-line index.
  void add_remote_candidate(int mline_index, const std::string& candidate);
  // Asks webrtcbin for its RTP statistics; `done` runs on the main loop with
  // them (never if the session is gone by then).
  void request_stats(std::function<void(std::vector<RtpStreamStats>)> done);

  const SdpOffer& offer() const { return offer_; }

 private:
  static void on_pad_added(GstElement* webrtc, GstPad* pad, gpointer self);
  static void on_new_transceiver(GstElement* webrtc, GObject* transceiver, gpointer self);
  static void on_new_jitterbuffer(GstElement* rtpbin, GstElement* jitterbuffer, guint session,
                                  guint ssrc, gpointer);
  static void on_gathering_state(GObject* webrtc, GParamSpec*, gpointer self);
  static void on_connection_state(GObject* webrtc, GParamSpec*, gpointer self);
  static void on_ice_candidate(GstElement* webrtc, guint mline, gchar* candidate, gpointer self);
  static void on_remote_bye(GstElement* rtpbin, guint session, guint ssrc, gpointer self);
  static void on_remote_timeout(GstElement* rtpbin, guint session, guint ssrc, gpointer self);
  static void on_remote_rtcp(GstElement* rtpbin, guint session, guint ssrc, gpointer self);
  bool check_receiver_alive();
  std::atomic<gint64> last_rtcp_us_{0};
  gint64 watch_started_us_ = 0;
  SourceId receiver_watchdog_;
  void on_answer_created(GstPromise* promise);
  // Emits set-remote/local-description and waits for it; "" or webrtcbin's error.
  std::string apply_description(const char* signal, GstWebRTCSessionDescription* description);
  void send_answer();
  void reply(bool ok, const std::string& text);
  void failed(const std::string& reason);
  // Any thread: failed(reason) on the main loop, if the session still exists.
  void fail_later(std::string reason);

  std::string id_;
  std::string offer_sdp_;
  SdpOffer offer_;
  WebRtcSettings settings_;
  AnswerCallback on_answer_;
  CandidateCallback on_candidate_;
  Listener& listener_;
  GstBin* bin_ = nullptr;
  GstElement* webrtc_ = nullptr;  // owned by bin_
  SourceId gathering_timeout_;

  Lifetime lifetime_;
};

}  // namespace mixcast
