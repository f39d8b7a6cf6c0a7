// What the REST API (/api/v1) asks of the server: typed operations on rooms,
// participants, layouts, outputs, recordings and tokens. Implemented by the
// server (app/server); every call is on the main loop, and failures are
// ApiErrors that the REST layer maps to statuses.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/api_error.h"
#include "core/config.h"
#include "core/room_status.h"

namespace mixcast {

// PATCH /api/v1/rooms/{room}/participants/{id}: the fields present change.
struct ParticipantChange {
  std::optional<std::string> name;
  std::optional<bool> audio_muted;
  std::optional<bool> video_muted;
  std::optional<double> volume_db;
  std::optional<bool> pinned;
};

struct LayoutInfo {
  std::string name;
  std::string file;
};

struct RecordingInfo {
  std::string file;  // name in the room's recordings directory
  uint64_t size_bytes = 0;
  double duration_s = 0;   // 0 when unknown (not finished)
  bool finished = false;   // finalized on EOS (a crash leaves it unfinished)
  bool recording = false;  // the room's recording is writing it now
};

enum class OutputAction { HlsStart, HlsStop, RecordingStart, RecordingStop, RecordingSplit };

// POST /api/v1/tokens.
struct TokenRequest {
  std::string room;
  std::string identity;
  std::string name;
  bool can_publish = true;
  bool can_subscribe = true;
  int64_t ttl_s = 3600;
  int64_t not_before = 0;  // unix seconds; 0: now
};
struct MintedToken {
  std::string token;
  int64_t expires_at = 0;
};

// POST /api/v1/reload: what a config reload changed (core/config_diff.h).
struct ReloadReport {
  std::string summary;                     // the log's one line ("no changes", ...)
  std::vector<std::string> needs_restart;  // fields that changed but are kept as they run
};

class OperatorApi {
 public:
  using Done = std::function<void(ApiResult)>;

  virtual std::vector<RoomStatus> rooms() const = 0;
  virtual std::optional<RoomStatus> room(const std::string& name) const = 0;
  // `body`: the room as JSON (the fields of a room in the config file).
  virtual ApiResult create_room(const std::string& body, std::string& name) = 0;
  // Finishes the room's recording and playlist, then calls `done`.
  virtual void delete_room(const std::string& name, Done done) = 0;
  virtual ApiResult rebuild_room(const std::string& name) = 0;

  virtual ApiResult change_participant(const std::string& room, const std::string& id,
                                       const ParticipantChange& change) = 0;
  // The WebRTC peer's session ends; a WebSocket client gets `left` with the reason.
  virtual ApiResult kick_participant(const std::string& room, const std::string& id,
                                     const std::string& reason) = 0;
  virtual ApiResult add_source(const std::string& room, const SourceConfig& source,
                               std::string& id) = 0;

  virtual std::vector<LayoutInfo> layouts() const = 0;
  virtual ApiResult layout_text(const std::string& name, std::string& yaml) const = 0;
  // Unprocessable with every issue when the YAML is not a valid layout.
  virtual ApiResult validate_layout(const std::string& yaml) const = 0;
  // A layout of the layouts directory by name, or an inline YAML body.
  virtual ApiResult apply_layout(const std::string& room, const std::string& name,
                                 const std::string& yaml) = 0;

  virtual ApiResult add_rtmp_output(const std::string& room, const RtmpConfig& rtmp) = 0;
  virtual void remove_output(const std::string& room, const std::string& name, Done done) = 0;
  virtual void output_action(const std::string& room, OutputAction action, Done done) = 0;

  // The room's recordings, their durations read off the main loop; `done`
  // runs on the main loop.
  using RecordingsDone = std::function<void(ApiResult, std::vector<RecordingInfo>)>;
  virtual void recordings(const std::string& room, RecordingsDone done) = 0;
  virtual ApiResult delete_recording(const std::string& room, const std::string& file) = 0;

  virtual ApiResult mint_token(const TokenRequest& request, MintedToken& out) = 0;
  // Reads the config file again, as SIGHUP does. Unprocessable with every
  // issue when it has problems (then nothing changed); Unavailable while
  // the server drains.
  virtual ApiResult reload_config(ReloadReport& out) = 0;

 protected:
  ~OperatorApi() = default;
};

}  // namespace mixcast
