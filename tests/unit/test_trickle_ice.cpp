#include <gtest/gtest.h>

#include <string>

#include "core/trickle_ice.h"

namespace mixcast {
namespace {

using Candidates = std::vector<std::pair<int, std::string>>;

TEST(TrickleIce, CandidatesFollowTheirMediaSection) {
  const std::string fragment =
      "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
      "a=candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n"
      "a=candidate:2 1 udp 2130706431 10.0.0.1 5002 typ host\n"
      "a=end-of-candidates\r\n";
  EXPECT_EQ(parse_trickle_fragment(fragment),
            (Candidates{{0, "candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host"},
                        {1, "candidate:2 1 udp 2130706431 10.0.0.1 5002 typ host"}}));
}

TEST(TrickleIce, BeforeAnyMediaSectionIsSectionZero) {
  EXPECT_EQ(parse_trickle_fragment("a=candidate:x"), (Candidates{{0, "candidate:x"}}));
  EXPECT_TRUE(parse_trickle_fragment("").empty());
  EXPECT_TRUE(parse_trickle_fragment("\r\n\r\n\n").empty());
  EXPECT_TRUE(parse_trickle_fragment("candidate:no a= prefix").empty());
}

TEST(TrickleIce, AFloodIsCutAtTheLimit) {
  std::string fragment;
  for (int i = 0; i < 10000; ++i) fragment += "a=candidate:" + std::to_string(i) + "\r\n";
  const Candidates c = parse_trickle_fragment(fragment);
  ASSERT_EQ(c.size(), kMaxTrickleCandidates);
  EXPECT_EQ(c.front().second, "candidate:0");
}

TEST(TrickleIce, MediaSectionIndexStaysWithinAnSdpMline) {
  std::string fragment;
  for (int i = 0; i < 1000; ++i) fragment += "m=audio\n";
  fragment += "a=candidate:last\n";
  EXPECT_EQ(parse_trickle_fragment(fragment), (Candidates{{255, "candidate:last"}}));
}

}  // namespace
}  // namespace mixcast
