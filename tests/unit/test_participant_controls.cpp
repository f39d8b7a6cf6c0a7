// The operator's participant controls as pure decisions: accepted names and
// volumes, the gain the mixer applies, who is pinned after a request.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/participant_controls.h"

using namespace mixcast;

TEST(DisplayName, Validation) {
  struct Case {
    std::string what;
    std::string name;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"plain", "Alice", true},
      {"one byte", "A", true},
      {"spaces inside", "Studio guest 2", true},
      {"64 bytes", std::string(64, 'x'), true},
      {"empty", "", false},
      {"65 bytes", std::string(65, 'x'), false},
      {"two-byte UTF-8", "Zo\xc3\xab", true},                  // Zoë
      {"three-byte UTF-8", "\xe4\xb8\xbb\xe6\x92\xad", true},  // 主播
      {"four-byte UTF-8", "DJ \xf0\x9f\x8e\xa7", true},        // headphones emoji
      {"64 bytes of 2-byte characters",
       [] {
         std::string s;
         for (int i = 0; i < 32; ++i) s += "\xc3\xab";
         return s;
       }(),
       true},
      {"a character cut at byte 64", std::string(63, 'x') + "\xc3\xab", false},  // 65 bytes
      {"truncated sequence", "Zo\xc3", false},
      {"lone continuation byte", "a\x80z", false},
      {"overlong slash", "\xc0\xaf", false},
      {"overlong three-byte", "\xe0\x80\xaf", false},
      {"surrogate", "\xed\xa0\x80", false},
      {"above U+10FFFF", "\xf4\x90\x80\x80", false},
      {"F5 lead byte", "\xf5\x80\x80\x80", false},
      {"Latin-1, not UTF-8", "Zo\xeb", false},
      {"newline", "two\nlines", false},
      {"tab", "a\tb", false},
      {"NUL", std::string("a\0b", 3), false},
      {"DEL", "a\x7f", false},
      {"C1 control U+0085", "a\xc2\x85", false},
      {"line separator U+2028", "a\xe2\x80\xa8z", false},
      {"paragraph separator U+2029", "a\xe2\x80\xa9z", false},
      {"no-break space U+00A0 is text", "a\xc2\xa0z", true},
  };
  for (const auto& c : cases) {
    const ApiResult result = validate_display_name(c.name);
    EXPECT_EQ(!result.has_value(), c.ok) << c.what;
    if (result) {
      EXPECT_EQ(result->kind, ErrorKind::BadRequest) << c.what;
      EXPECT_EQ(result->field, "name") << c.what;
      EXPECT_FALSE(result->message.empty()) << c.what;
    }
  }
}

TEST(VolumeDb, Validation) {
  struct Case {
    double db;
    bool ok;
  };
  const std::vector<Case> cases = {
      {0, true},
      {-60, true},
      {20, true},
      {-20.5, true},
      {-60.001, false},
      {20.001, false},
      {-1000, false},
      {std::numeric_limits<double>::quiet_NaN(), false},
      {std::numeric_limits<double>::infinity(), false},
      {-std::numeric_limits<double>::infinity(), false},
  };
  for (const auto& c : cases) {
    const ApiResult result = validate_volume_db(c.db);
    EXPECT_EQ(!result.has_value(), c.ok) << c.db;
    if (result) {
      EXPECT_EQ(result->kind, ErrorKind::BadRequest) << c.db;
      EXPECT_EQ(result->field, "volume_db") << c.db;
    }
  }
}

TEST(InputGain, FromVolumeAndMute) {
  struct Case {
    std::string what;
    ParticipantControls controls;
    double gain;
  };
  const std::vector<Case> cases = {
      {"unity", {}, 1.0},
      {"-20 dB", {false, false, -20, false}, 0.1},
      {"-6 dB", {false, false, -6, false}, 0.501187},
      {"+20 dB", {false, false, 20, false}, 10.0},
      {"-60 dB", {false, false, -60, false}, 0.001},
      {"muted", {true, false, 0, false}, 0.0},
      {"muted overrides +20 dB", {true, false, 20, false}, 0.0},
      {"video mute leaves audio alone", {false, true, -20, false}, 0.1},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(input_gain(c.controls), c.gain, 1e-6) << c.what;
  }
  EXPECT_EQ(input_gain({true, false, 0, false}), 0.f) << "exactly zero when muted";
}

TEST(HeardLevel, MutedIsSilentVolumeShifts) {
  struct Case {
    std::string what;
    ParticipantControls controls;
    double measured, heard;
  };
  const std::vector<Case> cases = {
      {"unchanged", {}, -30, -30},
      {"turned down", {false, false, -20, false}, -30, -50},
      {"turned up", {false, false, 10, false}, -30, -20},
      {"muted", {true, false, 0, false}, -10, -120},
      {"floor", {false, false, -60, false}, -100, -120},
  };
  for (const auto& c : cases)
    EXPECT_DOUBLE_EQ(heard_level_db(c.controls, c.measured), c.heard) << c.what;
}

TEST(Pin, AtMostOnePinned) {
  struct Case {
    std::string what;
    std::vector<bool> before;  // pinned, by participant
    size_t target;
    bool pin;
    std::vector<bool> after;
  };
  const std::vector<Case> cases = {
      {"pin one", {false, false, false}, 1, true, {false, true, false}},
      {"pin another: the first is unpinned", {false, true, false}, 2, true, {false, false, true}},
      {"pin the pinned one again", {false, true, false}, 1, true, {false, true, false}},
      {"unpin the pinned one", {false, true, false}, 1, false, {false, false, false}},
      {"unpin someone else: the pin stays", {false, true, false}, 0, false, {false, true, false}},
      {"unpin with nobody pinned", {false, false, false}, 0, false, {false, false, false}},
      // From a state the room never makes (two pins), one request repairs it.
      {"pin repairs two pins", {true, true, false}, 2, true, {false, false, true}},
  };
  for (const auto& c : cases) {
    std::vector<bool> after;
    for (size_t i = 0; i < c.before.size(); ++i)
      after.push_back(pinned_after(c.before[i], i == c.target, c.pin));
    EXPECT_EQ(after, c.after) << c.what;
  }
}
