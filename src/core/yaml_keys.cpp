#include "core/yaml_keys.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace mixcast {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> known) {
  std::string lowered(word);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view best;
  // More edits than this is a different word, not a typo.
  std::size_t best_distance = word.size() <= 4 ? 2 : 3;
  for (auto candidate : known) {
    const std::size_t d = edit_distance(lowered, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  if (!best.empty()) return "did you mean \"" + std::string(best) + "\"?";
  std::string list;
  for (auto candidate : known) list += (list.empty() ? "" : ", ") + std::string(candidate);
  return "expected one of: " + list;
}

std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known) {
  return "unknown key \"" + std::string(key) + "\" (" + did_you_mean(key, known) + ")";
}

std::string unknown_value_message(std::string_view value, std::span<const std::string_view> known) {
  return "unknown value \"" + std::string(value) + "\" (" + did_you_mean(value, known) + ")";
}

}  // namespace mixcast
