// Standard Webhooks signatures (https://www.standardwebhooks.com/): the
// receiver recomputes HMAC-SHA256 over "{id}.{timestamp}.{body}" with the
// shared secret and compares. Pure code over OpenSSL's HMAC and base64.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mixcast {

// The raw key of a "whsec_<base64>" secret (standard alphabet, padded), or
// nullopt with `error` saying what is wrong. The message never quotes the
// secret: it may end up in a log.
std::optional<std::string> parse_webhook_secret(std::string_view secret, std::string& error);

// "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>" for a key from
// parse_webhook_secret (a sender parses once and signs each attempt).
std::string webhook_signature_with_key(std::string_view key, std::string_view id, int64_t timestamp,
                                       std::string_view body);

// The value of the webhook-signature header, or nullopt when the secret is
// not a valid whsec_ secret (see parse_webhook_secret).
std::optional<std::string> webhook_signature(std::string_view secret, std::string_view id,
                                             int64_t timestamp, std::string_view body,
                                             std::string& error);

}  // namespace mixcast
