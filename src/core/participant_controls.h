// What an operator sets on one participant (REST API: mute, volume, pin,
// name), and the pure decisions behind it: which names and volumes are
// accepted, the gain the mixer applies, who is pinned after a pin request,
// and how loud the active-speaker detection hears someone. No GStreamer.
#pragma once

#include <string_view>

#include "core/api_error.h"

namespace mixcast {

struct ParticipantControls {
  bool audio_muted = false;  // out of the mix and of every mix-minus
  bool video_muted = false;  // the tile shows the placeholder
  double volume_db = 0;      // gain before the sum
  bool pinned = false;       // shown by the layout's speaker (focus) region
};

constexpr double kMinVolumeDb = -60;
constexpr double kMaxVolumeDb = 20;
constexpr size_t kMaxDisplayNameBytes = 64;

// 1..64 bytes of valid UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF), without control characters (C0, DEL, C1) or the Unicode
// line and paragraph separators: a label is one line. BadRequest, field "name".
ApiResult validate_display_name(std::string_view name);
// A finite value in -60..+20 dB. BadRequest, field "volume_db".
ApiResult validate_volume_db(double gain_db);

// 10^(dB/20).
double db_to_linear(double gain_db);
// What the mixer multiplies the participant's samples by before the sum:
// 0 when muted, else the volume.
float input_gain(const ParticipantControls& controls);
// The level (dBFS, measured before the gain) as the mix hears it, for the
// active-speaker detection: a muted participant is silent, a turned-down one
// quieter.
double heard_level_db(const ParticipantControls& controls, double measured_db);

// At most one pinned participant per room. After a request to pin (or unpin)
// `is_target`'s participant, whether a participant that `was_pinned` is
// pinned: pinning someone unpins everyone else; unpinning touches only the
// target.
bool pinned_after(bool was_pinned, bool is_target, bool pin);

}  // namespace mixcast
