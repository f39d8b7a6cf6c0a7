#include "core/active_speaker.h"

namespace mixcast {

bool ActiveSpeaker::update(const std::string& participant, double level_db, double now_s) {
  Reading& r = readings_[participant];
  r.level_db = level_db;
  if (level_db >= params_.threshold_db) r.last_voice_s = now_s;
  return reconsider(now_s);
}

void ActiveSpeaker::remove(const std::string& participant) {
  readings_.erase(participant);
  if (current_ == participant) current_.clear();
}

bool ActiveSpeaker::reconsider(double now_s) {
  const auto speaker = readings_.find(current_);
  const bool speaker_silent =
      speaker == readings_.end() || now_s - speaker->second.last_voice_s > params_.release_s;
  const double speaker_db = speaker == readings_.end() ? -120 : speaker->second.level_db;

  std::string best;
  double best_db = params_.threshold_db;
  for (auto& [id, r] : readings_) {
    if (id == current_) continue;
    const bool louder =
        r.level_db >= params_.threshold_db && r.level_db > speaker_db + params_.switch_margin_db;
    if (!louder) {
      r.loud_since_s = -1;
      continue;
    }
    if (r.loud_since_s < 0) r.loud_since_s = now_s;
    const bool held = now_s - r.loud_since_s >= params_.hold_s;
    if ((held || speaker_silent) && r.level_db > best_db) {
      best = id;
      best_db = r.level_db;
    }
  }
  if (best.empty()) {
    if (speaker_silent && !current_.empty() && speaker == readings_.end()) {
      current_.clear();
      return true;
    }
    return false;
  }
  current_ = best;
  for (auto& [id, r] : readings_) r.loud_since_s = -1;
  return true;
}

}  // namespace mixcast
