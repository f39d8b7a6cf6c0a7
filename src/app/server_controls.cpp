// The server's side of the REST API's participant and output controls: the
// room does the work (media/room_controls.cpp, media/room_outputs.cpp).
#include "app/server.h"

namespace mixcast {

ApiResult Server::change_participant(const std::string& room_name, const std::string& id,
                                     const ParticipantChange& change) {
  Room& r = existing_room(room_name);
  // Every value is checked before any is applied: a bad request changes nothing.
  if (change.volume_db && (*change.volume_db < -60 || *change.volume_db > 20))
    return api_error(ErrorKind::BadRequest, "'volume_db' must be between -60 and 20", "volume_db");
  if (change.name && (change.name->empty() || change.name->size() > 64))
    return api_error(ErrorKind::BadRequest, "'name' must be 1 to 64 bytes", "name");
  if (change.name)
    if (auto failed = r.rename_participant(id, *change.name)) return failed;
  if (change.audio_muted)
    if (auto failed = r.set_muted(id, Participant::Stream::Audio, *change.audio_muted))
      return failed;
  if (change.video_muted)
    if (auto failed = r.set_muted(id, Participant::Stream::Video, *change.video_muted))
      return failed;
  if (change.volume_db)
    if (auto failed = r.set_volume_db(id, *change.volume_db)) return failed;
  if (change.pinned)
    if (auto failed = r.set_pinned(id, *change.pinned)) return failed;
  return std::nullopt;
}

ApiResult Server::add_rtmp_output(const std::string& room_name, const RtmpConfig& rtmp) {
  return existing_room(room_name).add_rtmp_output(rtmp);
}

void Server::remove_output(const std::string& room_name, const std::string& name, Done done) {
  Room* r = registry_.find(room_name);
  if (!r) return done(api_error(ErrorKind::NotFound, "no room named '" + room_name + "'"));
  if (auto failed = r->remove_output(name, [done] { done(std::nullopt); })) done(failed);
}

void Server::output_action(const std::string& room_name, OutputAction action, Done done) {
  Room* r = registry_.find(room_name);
  if (!r) return done(api_error(ErrorKind::NotFound, "no room named '" + room_name + "'"));
  auto finished = [done] { done(std::nullopt); };
  ApiResult failed;
  switch (action) {
    case OutputAction::HlsStart:
      failed = r->start_hls();
      if (!failed) finished();
      break;
    case OutputAction::HlsStop:
      failed = r->stop_hls(finished);
      break;
    case OutputAction::RecordingStart:
      failed = r->start_recording();
      if (!failed) finished();
      break;
    case OutputAction::RecordingStop:
      failed = r->stop_recording(finished);
      break;
    case OutputAction::RecordingSplit:
      failed = r->split_recording();
      if (!failed) finished();
      break;
  }
  if (failed) done(failed);
}

}  // namespace mixcast
