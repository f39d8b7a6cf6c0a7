// The operator's controls of participants (REST API): rename, mute, volume
// and pin. The state lives in each Member (Room::Member::controls) and is
// applied where the media is built, so it holds whatever happens to the
// graph: the audio gain when a stream is linked into a mixer (joining, and
// every re-attach after a core rebuild: Room::link_stream), the placeholder,
// pin and label at every relayout.
//
// Mute and volume are one gain per mixer input, applied before the sum
// (media/mix_minus_mixer): the full mix and every mix-minus get the scaled
// samples, and each participant's own feed still loses exactly the samples
// they put in (zeros when muted), so no return is ever off by a participant.
#include <algorithm>
#include <string>
#include <vector>

#include "core/log.h"
#include "media/room.h"

namespace mixcast {

namespace {

ApiError no_such_participant(const std::string& id) {
  return api_error(ErrorKind::NotFound, "no participant '" + id + "' in this room");
}

RoomEvent updated(const std::string& id, const std::string& name, const ParticipantControls& c) {
  RoomEvent event{RoomEventKind::ParticipantUpdated, id, name, {}, {}};
  event.audio_muted = c.audio_muted;
  event.video_muted = c.video_muted;
  event.volume_db = c.volume_db;
  event.pinned = c.pinned;
  return event;
}

}  // namespace

ApiResult Room::rename_participant(const std::string& id, const std::string& name) {
  auto it = members_.find(id);
  if (it == members_.end()) return no_such_participant(id);
  if (auto error = validate_display_name(name)) return error;
  Participant& p = *it->second.participant;
  if (p.display_name() == name) return std::nullopt;
  LOG_INFO << "room " << this->name() << ": " << id << " renamed from '" << p.display_name()
           << "' to '" << name << "'";
  p.set_display_name(name);
  relayout();  // the label is the display name
  emit(updated(id, name, it->second.controls));
  return std::nullopt;
}

ApiResult Room::set_muted(const std::string& id, Participant::Stream stream, bool muted) {
  auto it = members_.find(id);
  if (it == members_.end()) return no_such_participant(id);
  Member& member = it->second;
  const bool video = stream == Participant::Stream::Video;
  bool& state = video ? member.controls.video_muted : member.controls.audio_muted;
  if (state == muted) return std::nullopt;
  state = muted;
  LOG_INFO << "room " << name() << ": " << id << (video ? " video " : " audio ")
           << (muted ? "muted" : "unmuted");
  if (video)
    relayout();  // the placeholder instead of their picture, or their picture back
  else
    audio_mix_->set_gain(id, input_gain(member.controls));
  emit(updated(id, member.participant->display_name(), member.controls));
  return std::nullopt;
}

ApiResult Room::set_volume_db(const std::string& id, double gain_db) {
  auto it = members_.find(id);
  if (it == members_.end()) return no_such_participant(id);
  if (auto error = validate_volume_db(gain_db)) return error;
  Member& member = it->second;
  if (member.controls.volume_db == gain_db) return std::nullopt;
  member.controls.volume_db = gain_db;
  LOG_INFO << "room " << name() << ": " << id << " volume " << gain_db << " dB";
  // While muted the new volume is kept for the unmute.
  audio_mix_->set_gain(id, input_gain(member.controls));
  emit(updated(id, member.participant->display_name(), member.controls));
  return std::nullopt;
}

ApiResult Room::set_pinned(const std::string& id, bool pinned) {
  if (!members_.count(id)) return no_such_participant(id);
  std::vector<std::string> changed;
  for (auto& [other, member] : members_) {
    const bool now = pinned_after(member.controls.pinned, other == id, pinned);
    if (now == member.controls.pinned) continue;
    member.controls.pinned = now;
    changed.push_back(other);
  }
  if (changed.empty()) return std::nullopt;
  LOG_INFO << "room " << name() << ": " << id << (pinned ? " pinned" : " unpinned");
  relayout();
  // Whoever lost the pin first, then the one this was about.
  std::stable_partition(changed.begin(), changed.end(),
                        [&](const auto& other) { return other != id; });
  for (const auto& other : changed) {
    const Member& member = members_.at(other);
    emit(updated(other, member.participant->display_name(), member.controls));
  }
  return std::nullopt;
}

}  // namespace mixcast
