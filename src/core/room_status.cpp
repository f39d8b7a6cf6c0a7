#include "core/room_status.h"

namespace mixcast {

std::string to_string(OutputState state) {
  switch (state) {
    case OutputState::Starting:
      return "connecting";
    case OutputState::Live:
      return "live";
    case OutputState::Retrying:
      return "retrying";
    case OutputState::Failed:
      return "failed";
    case OutputState::Stopped:
      return "stopped";
  }
  return "unknown";
}

std::string_view to_string(RoomEventKind kind) {
  switch (kind) {
    case RoomEventKind::ParticipantJoined:
      return "participant_joined";
    case RoomEventKind::ParticipantLeft:
      return "participant_left";
    case RoomEventKind::Speaking:
      return "speaking";
    case RoomEventKind::LayoutChanged:
      return "layout_changed";
    case RoomEventKind::LayoutError:
      return "layout_error";
    case RoomEventKind::OutputState:
      return "output_state";
    case RoomEventKind::ViewerJoined:
      return "viewer_joined";
    case RoomEventKind::ViewerLeft:
      return "viewer_left";
    case RoomEventKind::RoomError:
      return "room_error";
    case RoomEventKind::RoomRecovered:
      return "room_recovered";
    case RoomEventKind::ParticipantUpdated:
      return "participant_updated";
    case RoomEventKind::RecordingFinished:
      return "recording_finished";
  }
  return "unknown";
}

}  // namespace mixcast
