// The words of every YAML reader (config, layouts, encoder profiles) about a
// key or a value it does not know: one spelling, one "did you mean", so the
// validate endpoint, --check-config and the studio say the same thing.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace mixcast {

// Edits between two words, a swap of neighbours counting as one (optimal
// string alignment).
std::size_t edit_distance(std::string_view a, std::string_view b);

// `did you mean "width"?` for a near miss (case does not matter), else
// `expected one of: a, b, c`.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> known);

// `unknown key "widht" (did you mean "width"?)`, or
// `unknown key "x" (expected one of: a, b, c)`.
std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known);
// `unknown value "covr" (did you mean "cover"?)`.
std::string unknown_value_message(std::string_view value, std::span<const std::string_view> known);

}  // namespace mixcast
