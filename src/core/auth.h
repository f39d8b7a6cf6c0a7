// Authentication for the operator API: admin API keys and join tokens (JWT,
// HS256). Pure code (libjwt and OpenSSL, no GStreamer), so every decision is
// unit-tested with fixed clocks; the HTTP layer only maps results to status
// codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixcast {

// Longest Authorization header (and so bearer token) we look at. Real tokens
// are a few hundred bytes; the cap keeps hostile input away from libjwt, which
// copies a token onto the stack (alloca) while decoding it.
inline constexpr size_t kMaxAuthorizationBytes = 8 * 1024;

// Default clock skew tolerated between the token issuer and this server.
inline constexpr int64_t kDefaultTokenLeewayS = 30;

// What a join token lets its bearer do in one room.
struct JoinGrant {
  std::string room;           // claim "room" (required)
  std::string identity;       // claim "sub" (required): who joins, unique in the room
  std::string name;           // claim "name": display name (optional)
  bool can_publish = false;   // claim "can_publish": send media (default: viewer only)
  bool can_subscribe = true;  // claim "can_subscribe": receive media
  int64_t not_before = 0;     // claim "nbf" (unix seconds; 0 = none)
  int64_t expires = 0;        // claim "exp" (unix seconds; required when verifying)
};

// "Bearer <token>" -> token (the scheme is case-insensitive, spaces around the
// token are ignored). nullopt for any other scheme, a missing or empty token, a
// token with inner whitespace, or a header over kMaxAuthorizationBytes: the
// caller answers 401 without looking further.
std::optional<std::string_view> bearer_token(std::string_view authorization_header);

// Whether `presented` equals one of the configured admin API keys. Constant
// time: SHA-256 digests of both sides are compared with CRYPTO_memcmp against
// every key, without stopping at a match, so the time depends neither on
// which key matched nor on how many bytes did (only on the number of keys and
// the presented length, which the caller knows anyway). An empty `presented`
// never matches, not even an empty configured key.
bool api_key_matches(const std::vector<std::string>& keys, std::string_view presented);

// Why a join token was refused; each maps to one HTTP answer.
enum class TokenError {
  None,
  Malformed,       // not a compact JWT (size, characters, base64, JSON, "typ")
  WrongAlgorithm,  // "alg" is not exactly "HS256" ("none", HS384, RS256, "hs256" ...)
  BadSignature,    // HS256, but not signed with our secret (or altered since)
  Expired,         // exp <= now - leeway
  NotYetValid,     // nbf > now + leeway
  MissingClaim,    // room, sub or exp absent
  BadClaim,        // a claim of the wrong type (or an empty room/sub)
  NoSecret,        // the server has no secret to verify with: a server fault, not the client's
};

struct TokenCheck {
  std::optional<JoinGrant> grant;  // set iff error == None
  TokenError error = TokenError::None;
  // Safe to show a client: names the rule that failed, never contains the
  // token, a claim's value or the secret.
  std::string message;
};

// Verifies an HS256 join token against `secret` at unix time `now`:
// - the header's "alg" must be exactly "HS256" (libjwt itself accepts HS384
//   and HS512 tokens signed with the key, and "hs256": it ignores case);
// - the signature must match `secret`; an empty secret is refused (NoSecret)
//   because libjwt skips the signature check without a key;
// - exp is required and must be > now - leeway; nbf, when present, must be
//   <= now + leeway; both must be JSON integers;
// - room and sub are required non-empty strings, name an optional string,
//   can_publish/can_subscribe booleans when present (JSON true/false only,
//   not "true" or 1: a typo in an issuer must not grant publishing).
// The checks run in this order, so a forged token is never told about its
// claims.
TokenCheck verify_join_token(std::string_view token, std::string_view secret, int64_t now,
                             int64_t leeway_s = kDefaultTokenLeewayS);

// Mints an HS256 join token for `grant` (grant.expires is ignored): iat = now,
// exp = now + ttl_s, nbf = grant.not_before when non-zero, both can_* claims
// always written, name when non-empty. Returns "" and sets `error` on failure
// (empty secret, empty room or identity, ttl_s <= 0, strings with a NUL byte
// or invalid UTF-8), so a caller cannot hand out a token that would not verify.
std::string mint_join_token(const JoinGrant& grant, std::string_view secret, int64_t now,
                            int64_t ttl_s, std::string& error);

// Stable snake_case names ("bad_signature" ...), for logs and API error codes.
std::string to_string(TokenError error);

}  // namespace mixcast
