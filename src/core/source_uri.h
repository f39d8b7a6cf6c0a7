// What a participant source URI means. Pure parsing; the media layer builds
// the elements. test:// sources are synthetic participants (a colour and a
// tone, an A/V sync flasher, or bars) that operators also use to check a room.
#pragma once

#include <optional>
#include <string>

#include "core/geometry.h"

namespace mixcast {

struct TestSource {
  enum class Mode { Color, Sync, Bars };
  Mode mode = Mode::Color;
  Color color{128, 128, 128, 255};
  double tone_hz = 440;  // 0 = silence
  double volume = 0.3;   // 0..1
  bool video = true;
  bool audio = true;
  int width = 640;
  int height = 360;
  int fps = 30;
};

struct SourceUri {
  enum class Kind { Test, Uri };
  Kind kind = Kind::Uri;
  TestSource test;  // Kind::Test
  std::string uri;  // Kind::Uri: a URI GStreamer's uridecodebin takes (files become file://)
};

// Returns nullopt and sets `error` on a malformed URI or test:// parameter.
// Plain paths become file:// URIs (absolute against `base_dir` when relative).
std::optional<SourceUri> parse_source_uri(const std::string& text, const std::string& base_dir,
                                          std::string& error);

// A test://sync source flashes white and beeps for this long at the start of
// every second of its running time.
constexpr double kSyncPulseSeconds = 0.1;

}  // namespace mixcast
