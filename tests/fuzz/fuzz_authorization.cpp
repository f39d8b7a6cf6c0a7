// The Authorization header and join tokens: whatever a client presents must
// be refused or accepted without a crash, and nothing but a token signed
// with our secret (HS256, valid now) may pass.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string secret = "fuzz-token-secret-0123456789abcdef0123";
  static const std::vector<std::string> keys = {"fuzz-admin-key-0123456789", "another-admin-key"};
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto token = mixcast::bearer_token(header);
  const std::string_view presented = token ? *token : header;
  (void)mixcast::api_key_matches(keys, presented);
  const mixcast::TokenCheck check = mixcast::verify_join_token(presented, secret, 1700000000);
  // The fuzzer cannot forge an HMAC: an accepted token means a broken check.
  if (check.grant) __builtin_trap();
  return 0;
}
