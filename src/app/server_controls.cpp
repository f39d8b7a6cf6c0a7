// The server's side of the REST API's output controls: the room does the
// work (media/room_outputs.cpp).
#include "app/server.h"

namespace mixcast {

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
