#include "core/trickle_ice.h"

#include <algorithm>

namespace mixcast {

std::vector<std::pair<int, std::string>> parse_trickle_fragment(std::string_view fragment) {
  std::vector<std::pair<int, std::string>> candidates;
  int mline = -1;
  while (!fragment.empty() && candidates.size() < kMaxTrickleCandidates) {
    const size_t end = fragment.find('\n');
    std::string_view line = fragment.substr(0, end);
    fragment = end == std::string_view::npos ? std::string_view() : fragment.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("m=", 0) == 0 && mline < 255) ++mline;
    if (line.rfind("a=candidate:", 0) == 0)
      candidates.emplace_back(std::max(mline, 0), std::string(line.substr(2)));
  }
  return candidates;
}

}  // namespace mixcast
