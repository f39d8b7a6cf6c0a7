// The candidates of a trickle ICE fragment (RFC 8840, the body of a WHIP or
// WHEP PATCH): each "a=candidate:" line with the index of the media section
// it follows ("m=" lines count them; before any, section 0).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mixcast {

// More is not a peer trickling: at most this many are taken from one fragment.
constexpr size_t kMaxTrickleCandidates = 256;

// {m-line index, "candidate:..."} in order, at most kMaxTrickleCandidates.
std::vector<std::pair<int, std::string>> parse_trickle_fragment(std::string_view fragment);

}  // namespace mixcast
