// A WebRTC peer in the test process, standing in for a browser or OBS (run
// inside tests/tools/netns-run): a publisher sends a solid colour and a tone
// and offers over WHIP; a viewer only receives and offers over WHEP. Both
// decode what comes back.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "test_support.h"

namespace mixcast::testing {

using Clock = std::chrono::steady_clock;

// A publisher with more knobs (benchmarks): picture size, a colour that flips
// on a period (each flip's time is recorded as the first frame of the new
// colour enters the encoder), and whether returned media is decoded at all.
struct PublisherOptions {
  unsigned argb = 0xffff0000;  // videotestsrc foreground-color
  int tone_hz = 440;
  std::string codec = "vp8";  // "vp8" or "h264"
  int width = 320;
  int height = 180;
  unsigned flip_argb = 0;  // != 0: alternate argb / flip_argb every flip_period_ms
  int flip_period_ms = 1000;
  bool decode = true;   // false: what comes back goes to fakesinks (saves CPU)
  int latency_ms = -1;  // webrtcbin jitterbuffer latency; -1 keeps its default (200)
  // Instead of the colour and tone: send this Matroska file's H.264 and Opus
  // as they are (no encoding here), paced in real time.
  std::string file;
};

class WebRtcPeer {
 public:
  // `argb` as videotestsrc's foreground-color; tone in Hz; codec "vp8" or
  // "h264" (the mix comes back only to peers that offer H.264).
  WebRtcPeer(unsigned argb, int tone_hz, const std::string& codec = "vp8");
  explicit WebRtcPeer(const PublisherOptions& options);
  // A viewer: receives H.264 (payload 102) and Opus (payload 111), sends nothing.
  static std::unique_ptr<WebRtcPeer> viewer();
  // The same with a jitterbuffer latency (ms) other than webrtcbin's 200.
  static std::unique_ptr<WebRtcPeer> viewer(int latency_ms);
  ~WebRtcPeer();
  WebRtcPeer(const WebRtcPeer&) = delete;
  WebRtcPeer& operator=(const WebRtcPeer&) = delete;

  // Offers (after local ICE gathering), POSTs to http://127.0.0.1:port/path,
  // applies the answer on 201. Returns the HTTP response.
  HttpResponse publish(int port, const std::string& path);
  // The steps of publish() for other signalling (the WebSocket): an offer
  // (after ICE gathering when `wait_for_gathering`, else its candidates come
  // from take_local_candidates()), the answer, the server's candidates.
  std::string create_offer(bool wait_for_gathering);
  void apply_answer(const std::string& sdp);
  void add_remote_candidate(int mline, const std::string& candidate);
  std::vector<std::pair<int, std::string>> take_local_candidates();
  // The offer as sent (for negotiation checks).
  const std::string& offer() const { return offer_; }
  bool connected() const;
  // Keyframes. Asks the server for one (a PLI, as a browser does after
  // loss); counts the H.264 IDR frames that arrive; counts the keyframe
  // requests (PLI/FIR from the server) that reach this publisher's encoder.
  void request_keyframe();
  int keyframes_received();
  int keyframe_requests_received();
  // The SSRC of each incoming stream, by media ("video", "audio").
  std::map<std::string, unsigned> received_ssrcs();
  // When publish() sent its POST (after local ICE gathering).
  Clock::time_point post_time() const { return post_time_; }

  // What came back from the server: the newest decoded frame (RGB) and the
  // last second of audio (mono F32 at 48 kHz).
  struct Frame {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> rgb;
  };
  Frame last_frame();
  int frames_received();
  std::vector<float> last_audio(double seconds);
  // Average colour of a 16x16 patch centred at (x, y) of the last frame.
  bool colour_at(int x, int y, int& r, int& g, int& b);

  // Timing: the colour at (x, y) of every decoded frame from now on, with the
  // time it came out of the decoder (the last 20000 are kept).
  struct Sample {
    Clock::time_point at;
    int r = 0, g = 0, b = 0;
  };
  void watch_point(int x, int y);
  std::vector<Sample> watched();
  // A flipping publisher's flips: when the first frame of `argb` was painted.
  struct Flip {
    Clock::time_point at;
    unsigned argb = 0;
  };
  std::vector<Flip> flips();

 private:
  WebRtcPeer() = default;
  void watch_pads();
  static GstPadProbeReturn on_raw_frame(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  bool patch_colour(int x, int y, int& r, int& g, int& b) const;
  PublisherOptions options_;
  Clock::time_point flip_start_;
  unsigned painted_ = 0;
  std::vector<Flip> flips_;
  Clock::time_point post_time_;
  bool watching_ = false;
  int watch_x_ = 0, watch_y_ = 0;
  std::vector<Sample> samples_;
  GstElement* pipeline_ = nullptr;
  GstElement* webrtc_ = nullptr;
  std::string offer_;
  static void on_pad_added(GstElement* webrtc, GstPad* pad, gpointer self);
  static void on_ice_candidate(GstElement* webrtc, guint mline, gchar* candidate, gpointer self);
  std::vector<std::pair<int, std::string>> local_candidates_;
  std::map<std::string, unsigned> ssrcs_;
  static GstPadProbeReturn on_incoming_rtp(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn on_upstream_event(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  GstPad* incoming_video_ = nullptr;  // webrtcbin's src pad, guarded by mutex_
  int keyframes_ = 0;
  guint32 last_idr_timestamp_ = 0;
  bool seen_idr_ = false;
  int keyframe_requests_ = 0;
  static void on_decoded(GstElement* decodebin, GstPad* pad, gpointer self);
  static GstFlowReturn on_video(GstElement* sink, gpointer self);
  static GstFlowReturn on_audio(GstElement* sink, gpointer self);
  std::mutex mutex_;
  Frame frame_;
  int frames_ = 0;
  std::vector<float> audio_;
};

}  // namespace mixcast::testing
