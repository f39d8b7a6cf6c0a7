// Who is speaking, from per-participant audio levels. Pure: the room feeds it
// the level element's readings; speaker layouts and events read the result.
// Hysteresis keeps the focus from flickering between two voices.
#pragma once

#include <map>
#include <string>

namespace mixcast {

class ActiveSpeaker {
 public:
  struct Params {
    double threshold_db = -50;    // quieter than this is silence
    double switch_margin_db = 6;  // a challenger must be this much louder...
    double hold_s = 0.5;          // ...for this long to take the focus
    double release_s = 1.5;       // a silent speaker keeps the focus this long
  };

  ActiveSpeaker() = default;
  explicit ActiveSpeaker(Params params) : params_(params) {}

  // One reading (dBFS) for a participant at time `now_s`. Returns true when
  // the active speaker changed.
  bool update(const std::string& participant, double level_db, double now_s);
  void remove(const std::string& participant);
  const std::string& current() const { return current_; }

 private:
  struct Reading {
    double level_db = -120;
    double loud_since_s = -1;    // when it became louder than the speaker by the margin
    double last_voice_s = -1e9;  // last time above the threshold
  };
  bool reconsider(double now_s);

  Params params_;
  std::map<std::string, Reading> readings_;
  std::string current_;
};

}  // namespace mixcast
