// JSON the server parses: WebSocket messages and REST request bodies.
// Errors are reported (ApiError for REST bodies), never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/json_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  (void)mixcast::parse_ws_message(text, error);
  try {
    mixcast::JsonObjectReader body(text);
    body.only({"name", "audio_muted", "video_muted", "volume_db", "pinned"});
    (void)body.string("name");
    (void)body.boolean("audio_muted");
    (void)body.number("volume_db");
    (void)body.integer("ttl_s");
  } catch (const mixcast::ApiError&) {
  }
  return 0;
}
