#include "core/participant_controls.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace mixcast {

namespace {

// The next code point of `s` from `i` (advanced past it), or -1 when the
// bytes there are not well-formed UTF-8 (RFC 3629).
int32_t next_code_point(std::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t lead = byte(i);
  int length = 0;
  int32_t cp = 0;
  int32_t min = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return -1;  // a continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (i + length > s.size()) return -1;
  for (int k = 1; k < length; ++k) {
    const uint8_t b = byte(i + k);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += length;
  return cp;
}

bool is_control(int32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

}  // namespace

ApiResult validate_display_name(std::string_view name) {
  if (name.empty()) return api_error(ErrorKind::BadRequest, "the name must not be empty", "name");
  if (name.size() > kMaxDisplayNameBytes)
    return api_error(ErrorKind::BadRequest,
                     "the name is longer than " + std::to_string(kMaxDisplayNameBytes) + " bytes",
                     "name");
  for (size_t i = 0; i < name.size();) {
    const size_t at = i;
    const int32_t cp = next_code_point(name, i);
    if (cp < 0)
      return api_error(ErrorKind::BadRequest,
                       "the name is not valid UTF-8 (byte " + std::to_string(at) + ")", "name");
    if (is_control(cp))
      return api_error(ErrorKind::BadRequest,
                       "the name contains a control character (byte " + std::to_string(at) + ")",
                       "name");
  }
  return std::nullopt;
}

ApiResult validate_volume_db(double gain_db) {
  if (!std::isfinite(gain_db) || gain_db < kMinVolumeDb || gain_db > kMaxVolumeDb)
    return api_error(ErrorKind::BadRequest, "the volume must be between -60 and +20 dB",
                     "volume_db");
  return std::nullopt;
}

double db_to_linear(double gain_db) {
  return std::pow(10.0, gain_db / 20.0);
}

float input_gain(const ParticipantControls& controls) {
  if (controls.audio_muted) return 0.f;
  return static_cast<float>(db_to_linear(controls.volume_db));
}

double heard_level_db(const ParticipantControls& controls, double measured_db) {
  constexpr double kSilence = -120;  // the floor of the level element's dB values
  if (controls.audio_muted) return kSilence;
  return std::max(kSilence, measured_db + controls.volume_db);
}

bool pinned_after(bool was_pinned, bool is_target, bool pin) {
  if (is_target) return pin;
  return pin ? false : was_pinned;
}

}  // namespace mixcast
