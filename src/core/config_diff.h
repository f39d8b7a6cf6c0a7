// What a reload (SIGHUP) changes: the configuration the server runs against
// the file read again, and which of the differences apply without a
// restart. Pure code: the server applies the result (app/server_reload.cpp).
//
// Applied live: rooms added (started) and removed (closed cleanly); in a
// room that stays, its outputs (RTMP destinations added, removed, changed;
// HLS and recording turned on or off, or restarted with new settings), its
// layout and its limits; `webrtc`, `default_outputs` and
// `drain_retry_after_s` for what starts from now on. Everything else needs a
// restart and is kept as it runs: the fields are listed.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace mixcast {

// One of the room's own outputs (HLS or the recording) across a reload.
enum class OutputChange {
  Same,     // nothing to do (settings of an output that is off are kept for its next start)
  Start,    // was off, is on
  Stop,     // was on, is off
  Restart,  // on before and after, with other settings: stopped, then started again
};

struct OutputsDiff {
  std::vector<RtmpConfig> rtmp_added;
  std::vector<std::string> rtmp_removed;  // by name
  std::vector<RtmpConfig> rtmp_changed;   // same name, other settings: stopped, then started
  OutputChange hls = OutputChange::Same;
  OutputChange recording = OutputChange::Same;

  bool empty() const;
};

struct RoomDiff {
  std::string name;
  RoomConfig next;  // the room as it runs after the reload
  OutputsDiff outputs;
  bool layout_changed = false;            // next.layout names another layout
  bool limits_changed = false;            // max_participants, max_viewers
  bool outputs_settings_changed = false;  // anything under outputs (applied or kept for later)
};

struct ConfigDiff {
  std::vector<RoomConfig> rooms_added;
  std::vector<std::string> rooms_removed;
  std::vector<RoomDiff> rooms_changed;  // only rooms with something to apply
  bool webrtc_changed = false;
  bool default_outputs_changed = false;
  bool drain_retry_after_changed = false;
  // Fields that changed but do not apply live, as dotted paths of the new
  // file ("http.port", "media.fps", "rooms[1].width", "auth.api_keys").
  std::vector<std::string> needs_restart;

  // Nothing applies live (there may still be fields that need a restart).
  bool empty() const;
  // One line: "rooms added: a, b; removed: c; changed: d (outputs, layout);
  // needs a restart: http.port" or "no changes".
  std::string summary() const;
};

ConfigDiff diff_configs(const Config& running, const Config& next);

// `next` with every field that needs a restart kept as `running` has it: the
// configuration the server runs after the reload (so that the next reload
// compares against what runs, and reports those fields again).
Config config_after_reload(const Config& running, const Config& next);

}  // namespace mixcast
