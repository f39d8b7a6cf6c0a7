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

TEST(InputTimeline, AudioStampedFromItsArrivalPassesUnchanged) {
  // Chromium's Opus through rtpjitterbuffer on a loaded machine (the server's
  // log of browser/whip, green-2 at 14 s): 20 ms buffers stamped ever closer
  // together, then stepping back 93 ms, and again 79 ms. Each buffer is real
  // sound; the mixer lays them end to end (its alignment-threshold).
  const std::vector<uint64_t> rt = {
      // tenths of a millisecond
      141'886, 142'044, 142'196, 142'221, 142'357, 142'486, 142'610, 142'727, 142'839,
      142'945, 143'047, 143'145, 142'215, 142'307, 142'395, 142'482, 142'570, 142'658,
      142'749, 142'842, 142'940, 143'042, 143'149, 143'261, 142'474, 142'598, 142'729,
      142'867, 143'011, 143'162, 143'319, 143'482, 144'516, 144'716, 144'916, 145'115};
  InputTimeline t = audio();
  for (size_t i = 0; i < rt.size(); ++i) {
    const uint64_t at = rt[i] * kMs / 10;
    const auto v = t.take(at, 20 * kMs, 14'000 * kMs);
    EXPECT_TRUE(v.pass) << "buffer " << i;
    EXPECT_EQ(v.running_time, at) << "buffer " << i;
  }
  EXPECT_EQ(t.counters().dropped(), 0u);
  EXPECT_EQ(t.counters().rebased, 0u);
}

TEST(InputTimeline, OneBufferFarBackIsAnOutlierAndDropped) {
  const uint64_t d = 20 * kMs;
  for (InputTimeline t : {audio(), video()}) {
    EXPECT_TRUE(t.take(5000 * kMs, d, 5000 * kMs).pass);
    EXPECT_TRUE(t.take(5020 * kMs, d, 5020 * kMs).pass);
    EXPECT_FALSE(t.take(4600 * kMs, d, 5040 * kMs).pass) << "400 ms back";
    const auto v = t.take(5040 * kMs, d, 5060 * kMs);
    EXPECT_TRUE(v.pass);
    EXPECT_EQ(v.running_time, 5040 * kMs) << "the stream is where it was";
    EXPECT_EQ(t.counters().dropped_backwards, 1u);
    EXPECT_EQ(t.counters().rebased, 0u);
  }
}

TEST(InputTimeline, ATimelineThatMovesBackContinuesWhereItHadGotTo) {
  // The stream's own times step 2 s back and go on from there (within 3 s of
  // the clock: no jump to now). Dropping until they caught up would have
  // silenced the participant for 2 s: only the first is lost.
  const uint64_t d = 20 * kMs;
  run(audio(), d,
      {{5000 * kMs, 5000 * kMs, true, 5000 * kMs},
       {5020 * kMs, 5020 * kMs, true, 5020 * kMs},
       {3040 * kMs, 5040 * kMs, false, 0},
       {3060 * kMs, 5060 * kMs, true, 5040 * kMs},
       {3080 * kMs, 5080 * kMs, true, 5060 * kMs},
       {3100 * kMs, 5100 * kMs, true, 5080 * kMs}});
  // A tile would have frozen for those 2 s.
  run(video(), kFrame,
      {{5000 * kMs, 5000 * kMs, true, 5000 * kMs},
       {5033 * kMs, 5033 * kMs, true, 5033 * kMs},
       {3066 * kMs, 5066 * kMs, false, 0},
       {3099 * kMs, 5099 * kMs, true, 5066 * kMs},
       {3132 * kMs, 5132 * kMs, true, 5099 * kMs}});
}

TEST(InputTimeline, OneBufferFarAheadThenTheStreamAsBefore) {
  // One buffer 1.5 s ahead of the clock moves the stream to now; the buffers
  // after it, on their old times, are then 1.5 s back: the first is dropped,
  // and the stream goes on from where it had got to.
  const uint64_t d = 20 * kMs;
  InputTimeline t = audio();
  EXPECT_TRUE(t.take(9000 * kMs, d, 9000 * kMs).pass);
  EXPECT_EQ(t.take(10'520 * kMs, d, 9020 * kMs).running_time, 9020 * kMs);
  EXPECT_FALSE(t.take(9040 * kMs, d, 9040 * kMs).pass);
  EXPECT_EQ(t.take(9060 * kMs, d, 9060 * kMs).running_time, 9040 * kMs);
  EXPECT_EQ(t.take(9080 * kMs, d, 9080 * kMs).running_time, 9060 * kMs);
  EXPECT_EQ(t.counters().dropped_backwards, 1u);
  EXPECT_EQ(t.counters().rebased, 2u);
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
