#include "core/net_stats.h"

#include <algorithm>

namespace mixcast {

NetStats summarize_net_stats(const std::vector<RtpStreamStats>& streams, const NetStats& previous,
                             double seconds) {
  NetStats s;
  for (const auto& stream : streams) {
    s.known = true;
    switch (stream.direction) {
      case RtpStreamStats::Direction::Inbound:
        s.bytes_in += stream.bytes;
        s.packets_in += stream.packets;
        if (stream.packets_lost > 0) s.packets_lost_in += stream.packets_lost;
        if (stream.jitter_s >= 0) s.jitter_in_ms = std::max(s.jitter_in_ms, stream.jitter_s * 1000);
        break;
      case RtpStreamStats::Direction::Outbound:
        s.bytes_out += stream.bytes;
        break;
      case RtpStreamStats::Direction::RemoteInbound:
        if (stream.rtt_s >= 0) s.rtt_ms = std::max(s.rtt_ms, stream.rtt_s * 1000);
        break;
    }
  }
  const double expected =
      static_cast<double>(s.packets_in) + static_cast<double>(s.packets_lost_in);
  if (expected > 0) s.loss_in_percent = 100.0 * static_cast<double>(s.packets_lost_in) / expected;
  // Counters restart when a stream is renegotiated: a drop is not negative traffic.
  if (seconds > 0 && previous.known) {
    if (s.bytes_in >= previous.bytes_in)
      s.bitrate_in_kbps = static_cast<double>(s.bytes_in - previous.bytes_in) * 8 / 1000 / seconds;
    if (s.bytes_out >= previous.bytes_out)
      s.bitrate_out_kbps =
          static_cast<double>(s.bytes_out - previous.bytes_out) * 8 / 1000 / seconds;
  }
  return s;
}

}  // namespace mixcast
