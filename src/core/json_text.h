// JSON text for code that writes a small document by hand (webhook bodies,
// which carry an event's JSON as is; test helpers) without a JSON library.
#pragma once

#include <string>
#include <string_view>

namespace mixcast {

// `text` as a JSON string literal, quotes included: ", \ and control
// characters escaped (UTF-8 passes through).
std::string json_quote(std::string_view text);

}  // namespace mixcast
