#include "core/auth.h"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace mixcast {

// libjwt 1.10 passes times as `long`; unix seconds past 2038 need it 64-bit.
static_assert(sizeof(long) >= sizeof(int64_t), "libjwt's long claims must hold int64_t");

namespace {

// libjwt's objects and strings, each released once.
struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using Jwt = std::unique_ptr<jwt_t, JwtFree>;
struct CFree {
  void operator()(char* text) const { std::free(text); }
};
using CString = std::unique_ptr<char, CFree>;

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// The shape of a compact JWS (header.payload.signature, base64url without
// padding), checked before libjwt sees the token: libjwt needs a NUL-ended
// string (an inner NUL would cut it), copies each part onto the stack, and
// accepts characters outside base64url. The signature may be empty here so
// that an unsigned ("alg":"none") token is refused as WrongAlgorithm.
bool looks_like_compact_jws(std::string_view token) {
  if (token.empty() || token.size() > kMaxAuthorizationBytes) return false;
  size_t dots = 0;
  for (const char c : token) {
    if (c == '.')
      ++dots;
    else if (!is_base64url(c))
      return false;
  }
  return dots == 2 && token.front() != '.' && token.find("..") == std::string_view::npos;
}

// jwt_decode() with `key`, or without one when `key` is empty. nullptr when
// libjwt refuses the token (it frees its half-built object itself).
Jwt decode(const std::string& token, std::string_view key) {
  jwt_t* raw = nullptr;
  const auto* key_bytes =
      key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data());
  const int rc = jwt_decode(&raw, token.c_str(), key_bytes, static_cast<int>(key.size()));
  Jwt jwt(raw);
  if (rc != 0) return nullptr;
  return jwt;
}

enum class Claim { Absent, Present, WrongType };

// A claim's compact JSON text, or nullopt when the claim is absent. The typed
// getters of libjwt 1.10 cannot tell a wrong type from a falsy value:
// jwt_get_grant_int() gives 0 with errno 0 for "exp":"1700000000" or 1.5, and
// jwt_get_grant_bool() gives 0 for "can_publish":"true" (and -1, not the
// documented 0, with errno ENOENT when absent). So the type is read from the
// JSON text first, and the getters' errno is still checked.
std::optional<std::string> claim_json(jwt_t* jwt, const char* name) {
  CString text(jwt_get_grants_json(jwt, name));
  if (!text) return std::nullopt;
  return std::string(text.get());
}

Claim string_claim(jwt_t* jwt, const char* name, std::string& out) {
  if (!claim_json(jwt, name)) return Claim::Absent;
  const char* value = jwt_get_grant(jwt, name);  // NULL for a non-string
  if (value == nullptr) return Claim::WrongType;
  out = value;
  return Claim::Present;
}

Claim integer_claim(jwt_t* jwt, const char* name, int64_t& out) {
  const auto json = claim_json(jwt, name);
  if (!json) return Claim::Absent;
  // Jansson writes integers as -?[0-9]+ and reals always with '.' or 'e'.
  std::string_view digits = *json;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return Claim::WrongType;
  errno = 0;
  const long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return Claim::WrongType;
  out = value;
  return Claim::Present;
}

Claim bool_claim(jwt_t* jwt, const char* name, bool& out) {
  const auto json = claim_json(jwt, name);
  if (!json) return Claim::Absent;
  if (*json != "true" && *json != "false") return Claim::WrongType;
  errno = 0;
  const int value = jwt_get_grant_bool(jwt, name);
  if (errno != 0 || value < 0) return Claim::WrongType;
  out = value != 0;
  return Claim::Present;
}

int64_t saturating_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

TokenCheck refuse(TokenError error, std::string message) {
  return TokenCheck{std::nullopt, error, std::move(message)};
}

TokenCheck refuse_claim(Claim claim, const char* name, const char* wanted) {
  if (claim == Claim::Absent)
    return refuse(TokenError::MissingClaim, std::string("token lacks the claim \"") + name + '"');
  return refuse(TokenError::BadClaim, std::string("claim \"") + name + "\" must be " + wanted);
}

using Digest = std::array<unsigned char, 32>;

bool sha256(std::string_view data, Digest& out) {
  unsigned int length = 0;
  return EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr) == 1 &&
         length == out.size();
}

}  // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization_header) {
  if (authorization_header.size() > kMaxAuthorizationBytes) return std::nullopt;
  const std::string_view header = trim_spaces(authorization_header);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() ||
      !equals_ignoring_case(header.substr(0, kScheme.size()), kScheme) ||
      !is_space(header[kScheme.size()]))
    return std::nullopt;
  const std::string_view token = trim_spaces(header.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  for (const char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return std::nullopt;  // one token68, no spaces or controls
  }
  return token;
}

bool api_key_matches(const std::vector<std::string>& keys, std::string_view presented) {
  if (presented.empty()) return false;
  Digest wanted{};
  if (!sha256(presented, wanted)) return false;
  bool hashed = true;
  unsigned matched = 0;
  for (const auto& key : keys) {
    Digest candidate{};
    hashed = sha256(key, candidate) && hashed;
    // No early return: every key costs one digest and one full comparison.
    matched |=
        static_cast<unsigned>(CRYPTO_memcmp(candidate.data(), wanted.data(), wanted.size()) == 0);
  }
  return hashed && matched != 0;
}

TokenCheck verify_join_token(std::string_view token, std::string_view secret, int64_t now,
                             int64_t leeway_s) {
  // Without a key libjwt checks no signature at all, so an empty secret
  // would accept any token.
  if (secret.empty() || secret.size() > size_t(INT_MAX))
    return refuse(TokenError::NoSecret, "the server cannot verify join tokens");
  if (!looks_like_compact_jws(token))
    return refuse(TokenError::Malformed, "token is not a compact JWT");
  const std::string text(token);

  // The algorithm comes from the header's own "alg" string, read from an
  // unverified decode (nothing else of it is used): jwt_get_alg() cannot tell,
  // as libjwt decoding without a key reports every token as JWT_ALG_NONE, and
  // libjwt matches names case-insensitively ("hs256", "NONE").
  const Jwt unverified = decode(text, {});
  if (!unverified) return refuse(TokenError::Malformed, "token is not a well-formed JWT");
  const char* alg = jwt_get_header(unverified.get(), "alg");
  if (alg == nullptr || std::strcmp(alg, "HS256") != 0)
    return refuse(TokenError::WrongAlgorithm, "token algorithm must be HS256");

  // With a key, libjwt verifies the HMAC for whatever HS* the header names
  // (refused above) and refuses "none". Its comparison of the signature is
  // constant-time only with the fix for CVE-2024-25189 (Debian's
  // 1.10.2-1+deb12u1, jwt_strcmp); upstream 1.10.2 uses strcmp().
  const Jwt jwt = decode(text, secret);
  if (!jwt || jwt_get_alg(jwt.get()) != JWT_ALG_HS256)
    return refuse(TokenError::BadSignature, "token signature is not valid");

  JoinGrant grant;
  if (const Claim c = string_claim(jwt.get(), "room", grant.room);
      c != Claim::Present || grant.room.empty())
    return refuse_claim(c, "room", "a non-empty string");
  if (const Claim c = string_claim(jwt.get(), "sub", grant.identity);
      c != Claim::Present || grant.identity.empty())
    return refuse_claim(c, "sub", "a non-empty string");
  if (const Claim c = integer_claim(jwt.get(), "exp", grant.expires); c != Claim::Present)
    return refuse_claim(c, "exp", "an integer (unix seconds)");
  if (const Claim c = integer_claim(jwt.get(), "nbf", grant.not_before); c == Claim::WrongType)
    return refuse_claim(c, "nbf", "an integer (unix seconds)");
  if (const Claim c = string_claim(jwt.get(), "name", grant.name); c == Claim::WrongType)
    return refuse_claim(c, "name", "a string");
  if (const Claim c = bool_claim(jwt.get(), "can_publish", grant.can_publish);
      c == Claim::WrongType)
    return refuse_claim(c, "can_publish", "true or false");
  if (const Claim c = bool_claim(jwt.get(), "can_subscribe", grant.can_subscribe);
      c == Claim::WrongType)
    return refuse_claim(c, "can_subscribe", "true or false");

  const int64_t leeway = leeway_s > 0 ? leeway_s : 0;
  if (grant.expires <= saturating_add(now, -leeway))
    return refuse(TokenError::Expired, "token has expired");
  if (grant.not_before != 0 && grant.not_before > saturating_add(now, leeway))
    return refuse(TokenError::NotYetValid, "token is not valid yet");
  return TokenCheck{std::move(grant), TokenError::None, {}};
}

std::string mint_join_token(const JoinGrant& grant, std::string_view secret, int64_t now,
                            int64_t ttl_s, std::string& error) {
  error.clear();
  const auto fail = [&error](std::string why) {
    error = std::move(why);
    return std::string();
  };
  if (secret.empty()) return fail("no token secret configured");
  if (secret.size() > size_t(INT_MAX)) return fail("token secret is too long");
  if (grant.room.empty()) return fail("room is empty");
  if (grant.identity.empty()) return fail("identity is empty");
  if (ttl_s <= 0) return fail("ttl must be positive");
  int64_t expires = 0;
  if (__builtin_add_overflow(now, ttl_s, &expires)) return fail("ttl is too long");
  // c_str() would silently cut a string at a NUL byte.
  for (const auto* text : {&grant.room, &grant.identity, &grant.name})
    if (text->find('\0') != std::string::npos)
      return fail("room, identity and name must not contain NUL");

  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return fail("out of memory");
  const Jwt jwt(raw);
  // Jansson refuses strings that are not UTF-8 (EINVAL).
  const auto add_string = [&jwt](const char* claim, const std::string& value) {
    return jwt_add_grant(jwt.get(), claim, value.c_str()) == 0;
  };
  if (!add_string("room", grant.room)) return fail("room is not valid UTF-8");
  if (!add_string("sub", grant.identity)) return fail("identity is not valid UTF-8");
  if (!grant.name.empty() && !add_string("name", grant.name))
    return fail("name is not valid UTF-8");
  if (jwt_add_grant_bool(jwt.get(), "can_publish", grant.can_publish) != 0 ||
      jwt_add_grant_bool(jwt.get(), "can_subscribe", grant.can_subscribe) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now)) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(expires)) != 0 ||
      (grant.not_before != 0 &&
       jwt_add_grant_int(jwt.get(), "nbf", static_cast<long>(grant.not_before)) != 0))
    return fail("libjwt refused a claim");
  if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                  static_cast<int>(secret.size())) != 0)
    return fail("libjwt refused the HS256 key");
  const CString token(jwt_encode_str(jwt.get()));
  if (!token) return fail("libjwt could not encode the token");
  return std::string(token.get());
}

std::string to_string(TokenError error) {
  switch (error) {
    case TokenError::None:
      return "none";
    case TokenError::Malformed:
      return "malformed";
    case TokenError::WrongAlgorithm:
      return "wrong_algorithm";
    case TokenError::BadSignature:
      return "bad_signature";
    case TokenError::Expired:
      return "expired";
    case TokenError::NotYetValid:
      return "not_yet_valid";
    case TokenError::MissingClaim:
      return "missing_claim";
    case TokenError::BadClaim:
      return "bad_claim";
    case TokenError::NoSecret:
      return "no_secret";
  }
  return "unknown";
}

}  // namespace mixcast
