#include "core/ice_server.h"

#include <arpa/inet.h>

#include <charconv>

namespace mixcast {

namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && end == text.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

// RFC 8288 quoted-string: quotes and backslashes escaped.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::optional<IceServer> parse_ice_server(std::string_view url, std::string& error) {
  IceServer server;
  std::string_view rest;
  if (url.rfind("stun://", 0) == 0) {
    server.kind = IceServer::Kind::Stun;
    rest = url.substr(7);
  } else if (url.rfind("turn://", 0) == 0) {
    server.kind = IceServer::Kind::Turn;
    rest = url.substr(7);
  } else if (url.rfind("turns://", 0) == 0) {
    server.kind = IceServer::Kind::Turns;
    rest = url.substr(8);
  } else {
    error = "must start with stun://, turn:// or turns://";
    return std::nullopt;
  }
  if (const size_t end = rest.find_first_of("/?#"); end != std::string_view::npos)
    rest = rest.substr(0, end);
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view user = rest.substr(0, at);
    const size_t colon = user.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "credentials must be written user:password@";
      return std::nullopt;
    }
    server.username = percent_decode(user.substr(0, colon));
    server.password = percent_decode(user.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "unclosed [ in an IPv6 address";
      return std::nullopt;
    }
    host = rest.substr(0, close + 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') {
        error = "unexpected text after the address";
        return std::nullopt;
      }
      port = rest.substr(close + 2);
    }
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) {
    error = "no host";
    return std::nullopt;
  }
  server.host = std::string(host);
  if (!port.empty() || rest.find(':') != std::string_view::npos) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), server.port);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || server.port < 1 ||
        server.port > 65535) {
      error = "bad port '" + std::string(port) + "'";
      return std::nullopt;
    }
  }
  const bool turn = server.kind != IceServer::Kind::Stun;
  if (turn && server.username.empty()) {
    error = "a TURN server needs user:password@";
    return std::nullopt;
  }
  if (!turn && !server.username.empty()) {
    error = "a STUN server takes no credentials";
    return std::nullopt;
  }
  return server;
}

std::string ice_server_link(const IceServer& server) {
  const char* scheme = server.kind == IceServer::Kind::Stun   ? "stun"
                       : server.kind == IceServer::Kind::Turn ? "turn"
                                                              : "turns";
  std::string uri = std::string(scheme) + ":" + server.host;
  if (server.port) uri += ":" + std::to_string(server.port);
  if (server.kind == IceServer::Kind::Turn) uri += "?transport=udp";
  if (server.kind == IceServer::Kind::Turns) uri += "?transport=tcp";
  std::string link = "<" + uri + ">; rel=\"ice-server\"";
  if (server.kind != IceServer::Kind::Stun) {
    link += "; username=" + quoted(server.username) + "; credential=" + quoted(server.password) +
            "; credential-type=\"password\"";
  }
  return link;
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace mixcast
