#include <gtest/gtest.h>

#include "core/rate_limit.h"

using namespace mixcast;

TEST(RateLimit, FirstRequestGoesThroughAtOnce) {
  RateLimit limit(1.0);
  EXPECT_EQ(limit.request(100.0), RateLimit::Decision::Now);
}

TEST(RateLimit, ABurstBecomesOneNowAndOneDeferred) {
  RateLimit limit(1.0);
  ASSERT_EQ(limit.request(10.0), RateLimit::Decision::Now);
  EXPECT_EQ(limit.request(10.1), RateLimit::Decision::Deferred);
  EXPECT_DOUBLE_EQ(limit.deferred_until(), 11.0);
  // Ten peers asking in the same second add nothing more.
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(limit.request(10.2 + i * 0.05), RateLimit::Decision::AlreadyDeferred);
  limit.run_deferred(11.0);
  // The deferred one counted: the next is held until a full interval later.
  EXPECT_EQ(limit.request(11.5), RateLimit::Decision::Deferred);
  EXPECT_DOUBLE_EQ(limit.deferred_until(), 12.0);
  limit.run_deferred(12.0);
  EXPECT_EQ(limit.request(13.0), RateLimit::Decision::Now);
}

TEST(RateLimit, ZeroIntervalNeverDefers) {
  RateLimit limit(0.0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limit.request(5.0), RateLimit::Decision::Now);
}
