// Who may do what, decided from the request's credentials: an admin API key
// (the operator) or a join token (a participant or viewer of one room). Pure
// code over core/auth, so every rule is a table-driven test; the HTTP layer
// only reads headers and writes the answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/auth.h"
#include "core/config.h"

namespace mixcast {

// What a request wants to do.
struct AccessNeed {
  enum class Kind { Admin, Publish, Subscribe, Page };
  Kind kind = Kind::Admin;
  std::string room;  // Publish, Subscribe: the room; Page: the room asked for, or ""

  static AccessNeed admin() { return {Kind::Admin, {}}; }
  static AccessNeed publish(std::string room) { return {Kind::Publish, std::move(room)}; }
  static AccessNeed subscribe(std::string room) { return {Kind::Subscribe, std::move(room)}; }
  static AccessNeed page(std::string room) { return {Kind::Page, std::move(room)}; }
};

struct AccessDecision {
  bool allowed = false;
  int status = 200;                // 401 (no or bad credentials) or 403 (valid, without the grant)
  std::string message;             // for the client: never contains a credential
  bool admin = false;              // allowed by an admin key
  std::optional<JoinGrant> grant;  // allowed by a join token

  static AccessDecision allow() { return {true, 200, {}, false, std::nullopt}; }
};

class AccessControl {
 public:
  // `config.token_secret` must be set when keys are (the server makes one up
  // at start when the config has none).
  explicit AccessControl(AuthConfig config) : config_(std::move(config)) {}

  // Off: every request is allowed (no keys; loopback only, or `auth: none`).
  bool enabled() const { return config_.enabled(); }
  bool hls_public() const { return config_.hls_public; }
  const AuthConfig& config() const { return config_; }

  // `credential`: the bearer token (from the Authorization header, a
  // ?token= query or a WebSocket message); nullopt when none was sent.
  AccessDecision check(std::optional<std::string_view> credential, const AccessNeed& need,
                       int64_t now) const;

  std::string mint(const JoinGrant& grant, int64_t now, int64_t ttl_s, std::string& error) const;

 private:
  AuthConfig config_;
};

// `config` with the keys of the environment added (MIXCAST_API_KEYS,
// comma-separated; MIXCAST_TOKEN_SECRET when the config has no secret), and
// a random secret for this run when keys are set but no secret is.
// `generated_secret` says whether that happened.
AuthConfig with_environment(AuthConfig config, const char* env_keys, const char* env_secret,
                            bool& generated_secret);

// 127.0.0.0/8, ::1 and "localhost": addresses only this machine reaches.
bool is_loopback_address(std::string_view address);

// The WWW-Authenticate header of a 401 (RFC 6750).
std::string www_authenticate(const AccessDecision& refused);

}  // namespace mixcast
