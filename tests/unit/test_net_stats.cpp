#include <gtest/gtest.h>

#include "core/net_stats.h"

namespace mixcast {
namespace {

using D = RtpStreamStats::Direction;

TEST(NetStats, NoReportsIsUnknown) {
  const NetStats s = summarize_net_stats({}, {}, 1.0);
  EXPECT_FALSE(s.known);
  EXPECT_EQ(s.jitter_in_ms, -1);
  EXPECT_EQ(s.rtt_ms, -1);
}

TEST(NetStats, SumsStreamsAndTakesTheWorstJitterAndRtt) {
  const std::vector<RtpStreamStats> streams = {
      {D::Inbound, 1000, 10, 0, 0.002, -1},  // audio
      {D::Inbound, 9000, 90, 2, 0.010, -1},  // video
      {D::Outbound, 5000, 0, -1, -1, -1},        {D::RemoteInbound, 0, 0, 1, 0.004, 0.030},
      {D::RemoteInbound, 0, 0, 0, 0.001, 0.045},
  };
  const NetStats s = summarize_net_stats(streams, {}, 0);
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.bytes_in, 10000u);
  EXPECT_EQ(s.bytes_out, 5000u);
  EXPECT_EQ(s.packets_in, 100u);
  EXPECT_EQ(s.packets_lost_in, 2);
  EXPECT_NEAR(s.loss_in_percent, 100.0 * 2 / 102, 1e-9);
  EXPECT_DOUBLE_EQ(s.jitter_in_ms, 10);
  EXPECT_DOUBLE_EQ(s.rtt_ms, 45);
  EXPECT_EQ(s.bitrate_in_kbps, 0);  // no previous report
}

TEST(NetStats, BitratesAreTheGrowthOverTheInterval) {
  NetStats previous = summarize_net_stats(
      {{D::Inbound, 100000, 0, 0, -1, -1}, {D::Outbound, 50000, 0, -1, -1, -1}}, {}, 0);
  const NetStats s = summarize_net_stats(
      {{D::Inbound, 100000 + 125000, 0, 0, -1, -1}, {D::Outbound, 50000 + 250000, 0, -1, -1, -1}},
      previous, 2.0);
  EXPECT_DOUBLE_EQ(s.bitrate_in_kbps, 500);    // 125 kB in 2 s
  EXPECT_DOUBLE_EQ(s.bitrate_out_kbps, 1000);  // 250 kB in 2 s
}

TEST(NetStats, CountersThatRestartGiveNoNegativeBitrate) {
  NetStats previous = summarize_net_stats({{D::Inbound, 900000, 0, 0, -1, -1}}, {}, 0);
  const NetStats s = summarize_net_stats({{D::Inbound, 1000, 0, 0, -1, -1}}, previous, 1.0);
  EXPECT_EQ(s.bitrate_in_kbps, 0);
}

}  // namespace
}  // namespace mixcast
