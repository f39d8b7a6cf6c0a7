#include "core/access.h"

#include <openssl/rand.h>

namespace mixcast {

namespace {

AccessDecision refuse(int status, std::string message) {
  return AccessDecision{false, status, std::move(message), false, std::nullopt};
}

const char* what_is_needed(AccessNeed::Kind kind) {
  switch (kind) {
    case AccessNeed::Kind::Admin:
      return "an admin API key";
    case AccessNeed::Kind::Publish:
      return "a join token that may publish in this room (or an admin API key)";
    case AccessNeed::Kind::Subscribe:
      return "a join token that may watch this room (or an admin API key)";
    case AccessNeed::Kind::Page:
      return "a join token (?token=)";
  }
  return "credentials";
}

}  // namespace

AccessDecision AccessControl::check(std::optional<std::string_view> credential,
                                    const AccessNeed& need, int64_t now) const {
  if (!enabled()) return AccessDecision::allow();
  if (!credential || credential->empty())
    return refuse(401, std::string("this needs ") + what_is_needed(need.kind));
  // An admin key opens everything; it is checked first (in constant time)
  // so that a key is never fed to the JWT parser's error messages.
  if (api_key_matches(config_.api_keys, *credential)) {
    AccessDecision d = AccessDecision::allow();
    d.admin = true;
    return d;
  }
  if (need.kind == AccessNeed::Kind::Admin) return refuse(401, "invalid API key");
  TokenCheck token = verify_join_token(*credential, config_.token_secret, now);
  if (!token.grant) {
    if (token.error == TokenError::NoSecret) return refuse(500, token.message);
    return refuse(401, "invalid join token: " + token.message);
  }
  const JoinGrant& grant = *token.grant;
  if (!need.room.empty() && grant.room != need.room)
    return refuse(403, "the join token is for another room");
  if (need.kind == AccessNeed::Kind::Publish && !grant.can_publish)
    return refuse(403, "the join token does not allow publishing");
  if (need.kind == AccessNeed::Kind::Subscribe && !grant.can_subscribe)
    return refuse(403, "the join token does not allow watching");
  AccessDecision d = AccessDecision::allow();
  d.grant = grant;
  return d;
}

std::string AccessControl::mint(const JoinGrant& grant, int64_t now, int64_t ttl_s,
                                std::string& error) const {
  return mint_join_token(grant, config_.token_secret, now, ttl_s, error);
}

AuthConfig with_environment(AuthConfig config, const char* env_keys, const char* env_secret,
                            bool& generated_secret) {
  generated_secret = false;
  if (env_keys) {
    std::string_view rest = env_keys;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view key = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.remove_prefix(1);
      while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
      if (!key.empty()) config.api_keys.emplace_back(key);
    }
  }
  if (config.token_secret.empty() && env_secret && *env_secret) config.token_secret = env_secret;
  if (config.enabled() && config.token_secret.empty()) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) == 1) {
      static const char* hex = "0123456789abcdef";
      for (unsigned char b : bytes) {
        config.token_secret += hex[b >> 4];
        config.token_secret += hex[b & 15];
      }
      generated_secret = true;
    }
  }
  return config;
}

bool is_loopback_address(std::string_view address) {
  return address == "::1" || address == "localhost" || address.rfind("127.", 0) == 0;
}

std::string www_authenticate(const AccessDecision& refused) {
  // The message is ours (no credential in it); quotes would end the value.
  std::string description = refused.message;
  for (char& c : description)
    if (c == '"' || c == '\\') c = '\'';
  const bool had_token = refused.message.rfind("invalid", 0) == 0;
  return std::string("Bearer realm=\"mixcast\"") + (had_token ? ", error=\"invalid_token\"" : "") +
         ", error_description=\"" + description + "\"";
}

}  // namespace mixcast
