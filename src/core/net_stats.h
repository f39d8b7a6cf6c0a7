// A WebRTC participant's network figures for the stats endpoint, summed
// from webrtcbin's per-stream statistics (RTP counters and RTCP reports).
// Pure: the media layer reads the GstStructure, this does the arithmetic.
#pragma once

#include <cstdint>
#include <vector>

namespace mixcast {

// One RTP stream as webrtcbin reports it (one inbound-rtp, outbound-rtp or
// remote-inbound-rtp entry). Negative means "not reported".
struct RtpStreamStats {
  enum class Direction { Inbound, Outbound, RemoteInbound };
  Direction direction = Direction::Inbound;
  uint64_t bytes = 0;         // inbound: received; outbound: sent
  uint64_t packets = 0;       // inbound: received
  int64_t packets_lost = -1;  // inbound: what we lost; remote-inbound: what the peer lost of ours
  double jitter_s = -1;       // inbound: ours; remote-inbound: the peer's
  double rtt_s = -1;          // remote-inbound: from the peer's receiver reports
};

struct NetStats {
  bool known = false;  // at least one report came
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  double bitrate_in_kbps = 0;  // since the previous report
  double bitrate_out_kbps = 0;
  uint64_t packets_in = 0;
  int64_t packets_lost_in = 0;  // of what the participant sent us
  double loss_in_percent = 0;   // packets_lost_in of those expected, since the start
  double jitter_in_ms = -1;     // the worst inbound stream's; -1: not reported
  double rtt_ms = -1;           // the worst RTT the peer reported; -1: not reported
};

// Totals of `streams`; bitrates from the growth since `previous` over
// `seconds` (0: no previous report, bitrates stay 0).
NetStats summarize_net_stats(const std::vector<RtpStreamStats>& streams, const NetStats& previous,
                             double seconds);

}  // namespace mixcast
