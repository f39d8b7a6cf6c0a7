// What a room reports about itself: plain structs with no GStreamer in them,
// so that the HTTP API, the WebSocket, webhooks and metrics can serialise
// them without linking the media graph. Filled by media/room on the main loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/input_timeline.h"
#include "core/layout.h"
#include "core/net_stats.h"

namespace mixcast {

enum class OutputState { Starting, Live, Retrying, Failed, Stopped };
// "connecting", "live", "retrying", "failed", "stopped" (the API's words).
std::string to_string(OutputState state);

struct OutputStatus {
  std::string name;
  std::string kind;    // "rtmp", "hls", "recording"
  std::string target;  // URL (credentials stripped), directory or file
  OutputState state = OutputState::Starting;
  int attempt = 0;  // reconnect attempts since the last time it was live
  std::string last_error;
  uint64_t bytes = 0;  // bytes written or sent so far by this output
  // Seconds live in the current connection (RTMP) or file (recording), 0
  // when not live.
  double uptime_s = 0;
  std::string file;  // recordings: the file being written now ("" between files)
  // Recordings: every file still open (being written, prepared by a split,
  // or still being finalized after one). Not in the API's JSON.
  std::vector<std::string> open_files;
};

struct ParticipantStatus {
  std::string id;
  std::string name;
  std::string identity;
  int slot = 0;
  bool has_video = false;
  bool speaking = false;
  std::string source;  // the source URI for URI participants
  // The operator's controls (core/participant_controls.h).
  bool audio_muted = false;
  bool video_muted = false;
  double volume_db = 0;
  bool pinned = false;
  // What the input guards kept from the mixers or repaired (media/input_guard).
  InputCounters video_input;
  InputCounters audio_input;
  NetStats net;                  // WebRTC participants: bitrates, loss, jitter, RTT
  double audio_level_db = -127;  // loudest channel of the last level report (dBFS)
};

struct RoomStatus {
  std::string name;
  std::string layout;
  int width = 0;
  int height = 0;
  int fps = 0;
  uint64_t video_frames_encoded = 0;
  // Frames of the programme dropped before the encoder because it could not
  // keep up (an overloaded machine); the programme stays live instead.
  uint64_t video_frames_skipped = 0;
  // When skipping persists, the room encodes one frame in two instead
  // (core/FrameGovernor): frames kept from the encoder that way, and the
  // rate the programme is encoded at now (fps, or fps / 2 under overload).
  uint64_t video_frames_thinned = 0;
  double programme_fps = 0;
  int core_rebuilds = 0;        // times the mixing core was rebuilt (errors, stalls)
  std::string last_core_error;  // why, the last time
  std::vector<ParticipantStatus> participants;
  std::vector<OutputStatus> outputs;
  std::vector<Tile> tiles;  // where each participant is in the picture now
  size_t viewers = 0;       // WHEP and WebSocket viewers now
  double encoder_fps = 0;   // frames the shared encode produced per second, lately
  // Since the room started, everyone who was or is in it (metrics counters).
  InputCounters video_input_total;
  InputCounters audio_input_total;
};

// What changed in a room. WebSocket clients get each as a message whose
// `type` is to_string(kind) (docs/http-api.md).
enum class RoomEventKind {
  ParticipantJoined,
  ParticipantLeft,
  Speaking,
  LayoutChanged,
  LayoutError,
  OutputState,
  ViewerJoined,
  ViewerLeft,
  RoomError,
  RoomRecovered,
  ParticipantUpdated,  // renamed, muted, volume or pin changed
  RecordingFinished,   // a recording file was finalized (stop, split, timed split, room stop)
};
std::string_view to_string(RoomEventKind kind);

struct RoomEvent {
  RoomEventKind kind = RoomEventKind::RoomError;
  std::string id;       // the participant or viewer (speaking: "" when nobody speaks)
  std::string name;     // display name; layout name; output name; failing element
  std::string detail;   // why someone left; an error's text
  OutputStatus output;  // OutputState only
  // ParticipantUpdated only: the participant's controls after the change.
  bool audio_muted = false;
  bool video_muted = false;
  double volume_db = 0;
  bool pinned = false;
  // RecordingFinished: the finalized file, its length and size (name: the output).
  std::string path;
  double duration_s = 0;
  uint64_t size_bytes = 0;

  bool is_viewer_event() const {
    return kind == RoomEventKind::ViewerJoined || kind == RoomEventKind::ViewerLeft;
  }
  bool is_membership_change() const {
    return is_viewer_event() || kind == RoomEventKind::ParticipantJoined ||
           kind == RoomEventKind::ParticipantLeft;
  }
};

}  // namespace mixcast
