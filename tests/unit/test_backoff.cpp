#include <gtest/gtest.h>

#include "core/backoff.h"

using namespace mixcast;

TEST(Backoff, DoublesUpToTheCap) {
  Backoff b(1.0, 10.0, -1);
  const double expected[] = {1, 2, 4, 8, 10, 10, 10};
  for (double e : expected) EXPECT_DOUBLE_EQ(*b.next_delay(), e);
  EXPECT_EQ(b.attempts(), 7);
}

TEST(Backoff, ForeverMeansForever) {
  Backoff b(0.5, 30.0, -1);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(b.next_delay());
  EXPECT_DOUBLE_EQ(*b.next_delay(), 30.0);
}

TEST(Backoff, GivesUpAfterMaxRetries) {
  Backoff b(1.0, 10.0, 3);
  EXPECT_TRUE(b.next_delay());
  EXPECT_TRUE(b.next_delay());
  EXPECT_TRUE(b.next_delay());
  EXPECT_FALSE(b.next_delay());
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(1.0, 10.0, -1);
  b.next_delay();
  b.next_delay();
  b.reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_DOUBLE_EQ(*b.next_delay(), 1.0);
}
