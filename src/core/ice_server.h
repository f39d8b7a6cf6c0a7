// STUN and TURN server URLs as the config writes them (webrtcbin's form:
// stun://host:port, turn://user:password@host:port, turns://...), checked,
// and turned into the WHIP/WHEP Link header of RFC 9725 (section 4.6) so that
// clients use the same servers. Pure code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mixcast {

struct IceServer {
  enum class Kind { Stun, Turn, Turns };
  Kind kind = Kind::Stun;
  std::string host;  // a name, an IPv4 address or a bracketed IPv6 address
  int port = 0;      // 0 = the scheme's default (3478, or 5349 for turns)
  std::string username;
  std::string password;
};

// nullopt with `error` set for anything else: another scheme, no host, a bad
// port, TURN without user:password, STUN with them.
std::optional<IceServer> parse_ice_server(std::string_view url, std::string& error);

// <stun:host:port>; rel="ice-server"
// <turn:host:port?transport=udp>; rel="ice-server"; username="u"; credential="p";
// credential-type="password"
std::string ice_server_link(const IceServer& server);

// True for a literal IPv4 or IPv6 address (no name, no port).
bool is_ip_address(const std::string& text);

}  // namespace mixcast
