#include "core/hls_playlist.h"

#include <cstdlib>
#include <vector>

namespace mixcast {

namespace {

constexpr std::string_view kMediaSequence = "#EXT-X-MEDIA-SEQUENCE:";
constexpr std::string_view kDiscontinuitySequence = "#EXT-X-DISCONTINUITY-SEQUENCE:";
constexpr std::string_view kDiscontinuity = "#EXT-X-DISCONTINUITY";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Lines without their "\n" (and a trailing "\r").
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

long number_after(std::string_view line, std::string_view tag) {
  return std::strtol(std::string(line.substr(tag.size())).c_str(), nullptr, 10);
}

}  // namespace

std::optional<HlsContinuation> continuation_after(std::string_view previous) {
  const auto lines = lines_of(previous);
  size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  if (first == lines.size() || lines[first] != "#EXTM3U") return std::nullopt;
  long media_sequence = 0;
  long discontinuity_sequence = 0;
  long segments = 0;
  long discontinuities = 0;  // before the last segment
  bool pending_discontinuity = false;
  for (size_t i = first + 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    if (starts_with(line, kMediaSequence)) {
      media_sequence = number_after(line, kMediaSequence);
    } else if (starts_with(line, kDiscontinuitySequence)) {
      discontinuity_sequence = number_after(line, kDiscontinuitySequence);
    } else if (line == kDiscontinuity) {
      pending_discontinuity = true;
    } else if (line[0] != '#') {
      ++segments;
      if (pending_discontinuity) ++discontinuities;
      pending_discontinuity = false;
    }
  }
  return HlsContinuation{media_sequence + segments, discontinuity_sequence + discontinuities + 1};
}

std::string continue_playlist(std::string_view rendered, const HlsContinuation& c) {
  const auto lines = lines_of(rendered);
  const std::string numbering =
      std::string(kDiscontinuitySequence) + std::to_string(c.discontinuity_sequence) + "\n";
  bool has_media_sequence = false;
  for (const auto& line : lines)
    has_media_sequence = has_media_sequence || starts_with(line, kMediaSequence);
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (starts_with(line, kDiscontinuitySequence)) continue;  // ours replaces it
    if (starts_with(line, kMediaSequence)) {
      out += std::string(kMediaSequence) +
             std::to_string(number_after(line, kMediaSequence) + c.media_sequence) + "\n" +
             numbering;
      continue;
    }
    out += line;
    out += '\n';
    // Without a media sequence tag (it is optional) both go after #EXTM3U.
    if (i == 0 && !has_media_sequence)
      out += std::string(kMediaSequence) + std::to_string(c.media_sequence) + "\n" + numbering;
  }
  // Keep the text's own ending (hlssink2 ends "#EXT-X-ENDLIST" without one).
  if (!rendered.empty() && rendered.back() != '\n' && !out.empty()) out.pop_back();
  return out;
}

}  // namespace mixcast
