#include "core/frame_governor.h"

#include <gtest/gtest.h>

namespace mixcast {
namespace {

constexpr double kTick = 0.5;  // the room's programme watchdog

// Drives a governor tick by tick, as the room does.
struct Timeline {
  FrameGovernor governor;
  double now = 0;
  explicit Timeline(FrameGovernor::Options options = {}) : governor(options) {
    governor.update({0, 0, 0, 0});  // the room's first tick
  }

  // `seconds` of ticks where the encoder skipped `skipped` of every 15
  // frames offered and took `encode_ms` per frame; the last divisor.
  int ticks(double seconds, uint64_t skipped, double encode_ms, uint64_t offered = 15) {
    int divisor = governor.divisor();
    for (double t = 0; t < seconds - 1e-9; t += kTick) {
      now += kTick;
      divisor = governor.update({now, offered, skipped, encode_ms / 1000});
    }
    return divisor;
  }
};

TEST(FrameGovernor, AnEncoderThatKeepsUpEncodesEveryFrame) {
  Timeline run;
  EXPECT_EQ(run.ticks(60, 0, 12), 1);
}

TEST(FrameGovernor, ABriefBurstOfSkipsIsNotOverload) {
  Timeline run;
  // 1.5 s of skipping, a calm tick, 1.5 s again: never 2 s without a break.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(run.ticks(1.5, 3, 30), 1);
    EXPECT_EQ(run.ticks(0.5, 0, 30), 1);
  }
}

TEST(FrameGovernor, PersistentSkippingHalvesTheRateAndNoFurther) {
  Timeline run;
  EXPECT_EQ(run.ticks(1.5, 2, 40), 1);
  EXPECT_EQ(run.ticks(0.5, 2, 40), 2) << "2 s of skipping: every other frame";
  EXPECT_EQ(run.ticks(30, 2, 40), 2) << "the default goes no lower than half";
}

TEST(FrameGovernor, SkipsBelowTheRatioAreNoise) {
  Timeline run;
  // 1 of 100 frames (below 2 %) for a minute.
  EXPECT_EQ(run.ticks(60, 1, 30, 100), 1);
}

TEST(FrameGovernor, TheFullRateReturnsAfterTenSecondsOfHeadroom) {
  Timeline run;
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  // Calm, but each frame still takes 25 ms of a 33 ms interval: no room.
  EXPECT_EQ(run.ticks(30, 0, 25), 2);
  // 10 ms per frame: room for every frame, after 10 s of it.
  EXPECT_EQ(run.ticks(9.5, 0, 10), 2);
  EXPECT_EQ(run.ticks(0.5, 0, 10), 1);
}

TEST(FrameGovernor, AnIdleEncoderProvesNothing) {
  Timeline run;
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  // No frames offered (the canvas stalled): no return on that evidence.
  EXPECT_EQ(run.ticks(30, 0, 0, 0), 2);
}

TEST(FrameGovernor, AReturnThatDoesNotHoldWaitsTwiceAsLongNextTime) {
  Timeline run;
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  ASSERT_EQ(run.ticks(10, 0, 10), 1);
  // Overloaded again right after the return: back to half, and the next
  // return needs 20 s of headroom.
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  EXPECT_DOUBLE_EQ(run.governor.recover_after_s(), 20);
  EXPECT_EQ(run.ticks(19.5, 0, 10), 2);
  EXPECT_EQ(run.ticks(0.5, 0, 10), 1);
  // And again: 40, then never more than 80.
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  EXPECT_DOUBLE_EQ(run.governor.recover_after_s(), 40);
  ASSERT_EQ(run.ticks(40, 0, 10), 1);
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  ASSERT_EQ(run.ticks(80, 0, 10), 1);
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  EXPECT_DOUBLE_EQ(run.governor.recover_after_s(), 80);
}

TEST(FrameGovernor, ALongSpellAtTheFullRateForgivesFailedReturns) {
  Timeline run;
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  ASSERT_EQ(run.ticks(10, 0, 10), 1);
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  ASSERT_EQ(run.ticks(20, 0, 10), 1);
  EXPECT_DOUBLE_EQ(run.governor.recover_after_s(), 20);
  // 80 s at the full rate without trouble.
  EXPECT_EQ(run.ticks(80, 0, 12), 1);
  EXPECT_DOUBLE_EQ(run.governor.recover_after_s(), 10);
  // A later overload is new: the return needs 10 s again.
  ASSERT_EQ(run.ticks(2, 3, 40), 2);
  EXPECT_EQ(run.ticks(10, 0, 10), 1);
}

TEST(FrameGovernor, ALargerMaximumDividesStepByStep) {
  FrameGovernor::Options options;
  options.max_divisor = 3;
  Timeline run(options);
  EXPECT_EQ(run.ticks(2, 3, 40), 2);
  EXPECT_EQ(run.ticks(2, 3, 40), 3);
  EXPECT_EQ(run.ticks(5, 3, 40), 3);
}

}  // namespace
}  // namespace mixcast
