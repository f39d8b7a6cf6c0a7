#include <gtest/gtest.h>

#include <vector>

#include "core/client_limits.h"

using namespace mixcast;

TEST(TokenBucket, ABurstThenTheRate) {
  TokenBucket bucket(2.0, 3.0, 100.0);  // 2 a second, bursts of 3
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.take(100.0), 0) << i;
  // Empty: the next token comes in half a second.
  EXPECT_DOUBLE_EQ(bucket.take(100.0), 0.5);
  EXPECT_DOUBLE_EQ(bucket.take(100.25), 0.25);  // a refusal takes nothing
  EXPECT_EQ(bucket.take(100.5), 0);
  // Refills up to the burst and no further.
  EXPECT_DOUBLE_EQ(bucket.tokens(200.0), 3.0);
}

TEST(TokenBucket, AClockGoingBackwardsAddsNothing) {
  TokenBucket bucket(1.0, 1.0, 10.0);
  EXPECT_EQ(bucket.take(10.0), 0);
  EXPECT_GT(bucket.take(5.0), 0);
  EXPECT_GT(bucket.take(10.5), 0);
  EXPECT_EQ(bucket.take(11.0), 0);
}

TEST(AddressLimiter, RefusesPastThePerMinuteCountWithTheWait) {
  AddressLimiter limiter(6);  // one every 10 s, bursts of 6
  for (int i = 0; i < 6; ++i) EXPECT_EQ(limiter.admit("192.0.2.1", 0.0), 0) << i;
  EXPECT_EQ(limiter.admit("192.0.2.1", 0.0), 10);
  EXPECT_EQ(limiter.admit("192.0.2.1", 7.5), 3);   // rounded up
  EXPECT_EQ(limiter.admit("192.0.2.1", 9.99), 1);  // never 0 when refused
  EXPECT_EQ(limiter.admit("192.0.2.1", 10.5), 0);
  // Another address has its own bucket.
  EXPECT_EQ(limiter.admit("2001:db8::1", 10.5), 0);
}

TEST(AddressLimiter, ZeroMeansNoLimit) {
  AddressLimiter limiter(0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(limiter.admit("192.0.2.1", 0.0), 0);
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(AddressLimiter, TracksABoundedNumberOfAddressesForgettingTheLeastRecentlyUsed) {
  AddressLimiter limiter(1, 3);
  for (const char* a : {"a", "b", "c"}) EXPECT_EQ(limiter.admit(a, 0.0), 0);
  EXPECT_GT(limiter.admit("a", 1.0), 0);  // "a" used again: "b" is now the oldest
  EXPECT_EQ(limiter.admit("d", 2.0), 0);  // forgets "b"
  EXPECT_EQ(limiter.tracked(), 3u);
  EXPECT_GT(limiter.admit("a", 3.0), 0);  // still remembered
  EXPECT_GT(limiter.admit("c", 3.0), 0);
  EXPECT_EQ(limiter.admit("b", 3.0), 0);  // forgotten: starts full again
  EXPECT_EQ(limiter.tracked(), 3u);
  // A flood of new addresses keeps memory bounded.
  for (int i = 0; i < 10000; ++i) limiter.admit("x" + std::to_string(i), 4.0);
  EXPECT_EQ(limiter.tracked(), 3u);
}

TEST(LimitCounts, CountsByReasonWithStableNames) {
  LimitCounts counts;
  counts.add(LimitReason::Joins);
  counts.add(LimitReason::Joins);
  counts.add(LimitReason::HeaderTimeout);
  EXPECT_EQ(counts.get(LimitReason::Joins), 2u);
  EXPECT_EQ(counts.get(LimitReason::HeaderTimeout), 1u);
  EXPECT_EQ(counts.get(LimitReason::Rooms), 0u);
  std::vector<std::string_view> names;
  for (size_t i = 0; i < kLimitReasons; ++i) names.push_back(to_string(LimitReason(i)));
  EXPECT_EQ(names.front(), "rooms");
  EXPECT_EQ(names.back(), "cors_origin");
  for (auto n : names) EXPECT_NE(n, "unknown");
}

TEST(OriginAllowed, ExactMatchOrStar) {
  const std::vector<std::string> none;
  const std::vector<std::string> one{"https://studio.example"};
  const std::vector<std::string> any{"*"};
  EXPECT_FALSE(origin_allowed(none, "https://studio.example"));
  EXPECT_TRUE(origin_allowed(one, "https://studio.example"));
  EXPECT_FALSE(origin_allowed(one, "https://studio.example.evil"));
  EXPECT_FALSE(origin_allowed(one, "http://studio.example"));
  EXPECT_TRUE(origin_allowed(any, "null"));
}
