#include <gtest/gtest.h>

#include "core/active_speaker.h"

using namespace mixcast;

TEST(ActiveSpeaker, FirstVoiceTakesTheFocus) {
  ActiveSpeaker s;
  EXPECT_FALSE(s.update("a", -70, 0.0));
  EXPECT_TRUE(s.update("b", -20, 0.1));  // nobody was speaking: no hold needed
  EXPECT_EQ(s.current(), "b");
}

TEST(ActiveSpeaker, ChallengerNeedsMarginAndHold) {
  ActiveSpeaker s;
  s.update("a", -20, 0.0);
  ASSERT_EQ(s.current(), "a");
  double t = 0.1;
  // Slightly louder: never switches.
  for (; t < 2.0; t += 0.1) {
    s.update("a", -20, t);
    s.update("b", -17, t);
  }
  EXPECT_EQ(s.current(), "a");
  // Much louder, but only briefly: no switch.
  s.update("b", -5, t);
  s.update("a", -20, t);
  t += 0.1;
  s.update("b", -30, t);
  EXPECT_EQ(s.current(), "a");
  // Much louder for longer than the hold: switches.
  for (double end = t + 0.8; t < end; t += 0.1) {
    s.update("a", -20, t);
    s.update("b", -5, t);
  }
  EXPECT_EQ(s.current(), "b");
}

TEST(ActiveSpeaker, QuietSpeakerIsReplacedAfterTheHold) {
  ActiveSpeaker s;
  s.update("a", -20, 0.0);
  double t = 0.1;
  for (; t < 0.45; t += 0.1) {
    s.update("a", -90, t);
    s.update("b", -35, t);
  }
  EXPECT_EQ(s.current(), "a") << "a challenger must hold for 0.5 s";
  for (; t < 0.8; t += 0.1) {
    s.update("a", -90, t);
    s.update("b", -35, t);
  }
  EXPECT_EQ(s.current(), "b");
}

TEST(ActiveSpeaker, SilenceKeepsTheLastSpeaker) {
  ActiveSpeaker s;
  s.update("a", -20, 0.0);
  for (double t = 0.1; t < 5; t += 0.1) {
    s.update("a", -90, t);
    s.update("b", -90, t);
  }
  EXPECT_EQ(s.current(), "a") << "nobody else spoke: the focus stays";
}

TEST(ActiveSpeaker, LeavingSpeakerClears) {
  ActiveSpeaker s;
  s.update("a", -20, 0.0);
  s.remove("a");
  EXPECT_EQ(s.current(), "");
}
