#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/input_timeline.h"

using namespace mixcast;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kFrame = 33 * kMs;

InputTimeline video() {
  return InputTimeline({InputTimeline::Kind::Video});
}
InputTimeline audio() {
  return InputTimeline({InputTimeline::Kind::Audio});
}

// One buffer of a scenario: its upstream running time (nullopt: none) and
// the clock at its arrival; what the timeline must do with it.
struct Step {
  std::optional<uint64_t> rt;
  uint64_t now;
  bool pass;
  uint64_t out;  // checked when pass
};

void run(InputTimeline t, uint64_t duration, const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const auto v = t.take(s.rt, duration, s.now);
    EXPECT_EQ(v.pass, s.pass) << "step " << i;
    if (s.pass && v.pass) {
      EXPECT_EQ(v.running_time, s.out) << "step " << i;
    }
  }
}

}  // namespace

TEST(InputTimeline, CleanLiveStreamPassesUnchanged) {
  run(video(), kFrame,
      {{1000 * kMs, 1100 * kMs, true, 1000 * kMs},
       {1000 * kMs + kFrame, 1133 * kMs, true, 1000 * kMs + kFrame},
       {1000 * kMs + 2 * kFrame, 1166 * kMs, true, 1000 * kMs + 2 * kFrame}});
}

TEST(InputTimeline, VideoWithoutTimestampIsDroppedAndCounted) {
  InputTimeline t = video();
  EXPECT_TRUE(t.take(1000 * kMs, kFrame, 1000 * kMs).pass);
  EXPECT_FALSE(t.take(std::nullopt, kFrame, 1033 * kMs).pass);
  EXPECT_TRUE(t.take(1066 * kMs, kFrame, 1066 * kMs).pass);
  EXPECT_EQ(t.counters().dropped_untimestamped, 1u);
  EXPECT_EQ(t.counters().passed, 2u);
}

TEST(InputTimeline, AudioWithoutTimestampContinuesWhereTheLastEnded) {
  const uint64_t d = 10 * kMs;
  run(audio(), d,
      {{std::nullopt, 0, false, 0},  // nothing to follow yet
       {500 * kMs, 500 * kMs, true, 500 * kMs},
       {std::nullopt, 510 * kMs, true, 510 * kMs},
       {std::nullopt, 520 * kMs, true, 520 * kMs},
       {530 * kMs, 530 * kMs, true, 530 * kMs}});
}

TEST(InputTimeline, VideoGoingBackwardsOrRepeatingIsDropped) {
  InputTimeline t = video();
  // avdec_h264 "decreasing timestamp (6.655 < 6.702)" around a departure.
  EXPECT_TRUE(t.take(6702 * kMs, kFrame, 6750 * kMs).pass);
  EXPECT_FALSE(t.take(6655 * kMs, kFrame, 6760 * kMs).pass);
  EXPECT_FALSE(t.take(6702 * kMs, kFrame, 6770 * kMs).pass) << "the same time twice";
  EXPECT_TRUE(t.take(6735 * kMs, kFrame, 6780 * kMs).pass);
  EXPECT_EQ(t.counters().dropped_backwards, 2u);
}

TEST(InputTimeline, AudioJitterWithinToleranceIsNotABackwardsStep) {
  const uint64_t d = 20 * kMs;
  InputTimeline t = audio();
  EXPECT_TRUE(t.take(1000 * kMs, d, 1000 * kMs).pass);
  EXPECT_TRUE(t.take(1015 * kMs, d, 1015 * kMs).pass) << "5 ms early: the mixer aligns it";
  EXPECT_FALSE(t.take(900 * kMs, d, 1040 * kMs).pass) << "135 ms back";
  EXPECT_EQ(t.counters().dropped_backwards, 1u);
}

TEST(InputTimeline, AJumpAheadIsMovedToNowAndTheStreamFollows) {
  // A 10 s jump forward: without the guard the mixer would hold this pad for
  // ten seconds. The stream continues from the clock, and so do later buffers.
  run(video(), kFrame,
      {{2000 * kMs, 2000 * kMs, true, 2000 * kMs},
       {12033 * kMs, 2033 * kMs, true, 2033 * kMs},
       {12066 * kMs, 2066 * kMs, true, 2066 * kMs}});
}

TEST(InputTimeline, AStreamFarBehindTheClockIsMovedToNow) {
  InputTimeline t = audio();
  EXPECT_TRUE(t.take(1000 * kMs, 10 * kMs, 1000 * kMs).pass);
  // The source restarted its timestamps at 0 while the room is at 8 s.
  const auto v = t.take(0, 10 * kMs, 8000 * kMs);
  ASSERT_TRUE(v.pass);
  EXPECT_EQ(v.running_time, 8000 * kMs);
  EXPECT_EQ(t.take(10 * kMs, 10 * kMs, 8010 * kMs).running_time, 8010 * kMs);
  EXPECT_EQ(t.counters().rebased, 1u);
}

TEST(InputTimeline, ARebaseNeverGoesBackwards) {
  InputTimeline t = video();
  // Legitimately ahead of the clock (within the window), then a jump far back.
  EXPECT_TRUE(t.take(5900 * kMs, kFrame, 5000 * kMs).pass);
  const auto v = t.take(100 * kMs, kFrame, 5010 * kMs);
  ASSERT_TRUE(v.pass);
  EXPECT_GT(v.running_time, 5900 * kMs);
}

TEST(InputTimeline, LiveLatencyBehindTheClockIsNormal) {
  // Jitterbuffer + decoder + queues: half a second behind is no jump.
  InputTimeline t = video();
  EXPECT_EQ(t.take(1000 * kMs, kFrame, 1500 * kMs).running_time, 1000 * kMs);
  EXPECT_EQ(t.counters().rebased, 0u);
  EXPECT_EQ(t.counters().repaired(), 0u);
}
