#include "auth_support.h"

#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "integration_support.h"

namespace mixcast::testing {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int connect_to(const std::string& host, int port, double timeout_s) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(timeout_s), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer and close before reading it all
    sent += static_cast<size_t>(n);
  }
}

// Owns a JsonParser; root() is null when the text is not JSON.
class Json {
 public:
  explicit Json(const std::string& text) : parser_(json_parser_new()) {
    failed_ = !json_parser_load_from_data(parser_, text.data(), static_cast<gssize>(text.size()),
                                          nullptr);
  }
  ~Json() { g_object_unref(parser_); }
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;
  JsonNode* root() const { return failed_ ? nullptr : json_parser_get_root(parser_); }

 private:
  JsonParser* parser_;
  bool failed_ = false;
};

JsonNode* node_at(const Json& json, const std::vector<std::string>& path) {
  JsonNode* node = json.root();
  for (const auto& name : path) {
    if (!node || !JSON_NODE_HOLDS_OBJECT(node)) return nullptr;
    JsonObject* object = json_node_get_object(node);
    if (!json_object_has_member(object, name.c_str())) return nullptr;
    node = json_object_get_member(object, name.c_str());
  }
  return node;
}

std::string script(const char* name) {
  return source_root() + "/tests/integration/" + name;
}

}  // namespace

bool ServerWithPages::start(const std::string& config_yaml, double timeout_s) {
  port_ = free_tcp_port();
  std::string config = config_yaml;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = config.find(from, pos)) != std::string::npos; pos += to.size())
      config.replace(pos, from.size(), to);
  };
  replace_all("{port}", std::to_string(port_));
  replace_all("{dir}", dir_.path());
  replace_all("{root}", source_root());
  std::error_code ec;
  std::filesystem::create_directories(dir_.file("etc"), ec);
  std::filesystem::create_directory_symlink(source_root() + "/web", dir_.file("web"), ec);
  write_file(dir_.file("etc/mixcast.yaml"), config);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{mixcast_binary(), "--config", dir_.file("etc/mixcast.yaml")},
      dir_.file("server.log"), dir_.path());
  return wait_until(
      [&] { return process_->running() && http_get(port_, "/healthz").status == 200; }, timeout_s);
}

HttpResponse http_send(int port, const std::string& method, const std::string& path,
                       const Headers& headers, const std::string& body,
                       const std::string& content_type, const std::string& host, double timeout_s) {
  HttpResponse response;
  const int fd = connect_to(host, port, timeout_s);
  if (fd < 0) return response;
  std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  send_all(fd, request);
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return parse_http_response(raw);
}

std::string header(const HttpResponse& response, const std::string& name) {
  auto it = response.headers.find(name);
  return it == response.headers.end() ? "" : it->second;
}

Headers bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

// ---------------------------------------------------------------- WebSocket

RawWebSocket::~RawWebSocket() {
  close();
}

bool RawWebSocket::open(int port, const std::string& path, const Headers& headers,
                        const std::string& host) {
  close();
  handshake_status_ = 0;
  fd_ = connect_to(host, port, 10);
  if (fd_ < 0) return false;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  send_all(fd_, request + "\r\n");
  std::string raw;
  const double deadline = now_s() + 10;
  char buf[4096];
  while (raw.find("\r\n\r\n") == std::string::npos && now_s() < deadline) {
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  const HttpResponse head = parse_http_response(raw);
  if (head.status == 0) {
    close();
    return false;
  }
  handshake_status_ = head.status;
  buffered_ = head.body;  // frames that came with the handshake
  if (handshake_status_ != 101) {
    close();
    return false;
  }
  return true;
}

bool RawWebSocket::send_text(const std::string& text) {
  if (fd_ < 0) return false;
  std::string frame;
  frame += static_cast<char>(0x81);  // FIN, text
  const size_t n = text.size();
  if (n < 126) {
    frame += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>((n >> 8) & 0xff);
    frame += static_cast<char>(n & 0xff);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xff);
  }
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < n; ++i) frame += static_cast<char>(text[i] ^ mask[i % 4]);
  send_all(fd_, frame);
  return true;
}

bool RawWebSocket::read_exact(size_t n, std::string& out, double deadline) {
  while (buffered_.size() < n) {
    const double left = deadline - now_s();
    if (fd_ < 0 || left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left * 1000) + 1) <= 0) continue;
    char buf[65536];
    const ssize_t got = recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) {
      close();
      return false;
    }
    buffered_.append(buf, static_cast<size_t>(got));
  }
  out = buffered_.substr(0, n);
  buffered_.erase(0, n);
  return true;
}

std::optional<std::string> RawWebSocket::receive(double timeout_s) {
  const double deadline = now_s() + timeout_s;
  std::string message;
  while (true) {
    std::string head;
    if (!read_exact(2, head, deadline)) return std::nullopt;
    const bool fin = head[0] & 0x80;
    const int opcode = head[0] & 0x0f;
    const bool masked = head[1] & 0x80;
    uint64_t length = head[1] & 0x7f;
    std::string ext;
    if (length == 126) {
      if (!read_exact(2, ext, deadline)) return std::nullopt;
      length = (uint64_t(uint8_t(ext[0])) << 8) | uint8_t(ext[1]);
    } else if (length == 127) {
      if (!read_exact(8, ext, deadline)) return std::nullopt;
      length = 0;
      for (char c : ext) length = (length << 8) | uint8_t(c);
    }
    std::string mask, payload;
    if (masked && !read_exact(4, mask, deadline)) return std::nullopt;
    if (!read_exact(static_cast<size_t>(length), payload, deadline)) return std::nullopt;
    if (masked)
      for (size_t i = 0; i < payload.size(); ++i) payload[i] = char(payload[i] ^ mask[i % 4]);
    if (opcode == 8) {  // close
      close();
      return std::nullopt;
    }
    if (opcode == 9 || opcode == 10) continue;  // ping, pong: libsoup answers none of ours
    message += payload;
    if (fin) return message;
  }
}

std::optional<std::string> RawWebSocket::receive_type(const std::string& type, double timeout_s) {
  const double deadline = now_s() + timeout_s;
  while (now_s() < deadline) {
    auto message = receive(deadline - now_s());
    if (!message) return std::nullopt;
    if (json_string_at(*message, {"type"}) == type) return message;
  }
  return std::nullopt;
}

void RawWebSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// --------------------------------------------------------------------- JSON

std::string json_string_at(const std::string& json, const std::vector<std::string>& path) {
  Json parsed(json);
  JsonNode* node = node_at(parsed, path);
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
    return "";
  return json_node_get_string(node);
}

long long json_int_at(const std::string& json, const std::vector<std::string>& path,
                      long long fallback) {
  Json parsed(json);
  JsonNode* node = node_at(parsed, path);
  if (!node || !JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int(node);
}

std::vector<std::string> json_each_at(const std::string& json, const std::vector<std::string>& path,
                                      const std::string& member) {
  std::vector<std::string> names;
  Json parsed(json);
  JsonNode* node = node_at(parsed, path);
  if (!node || !JSON_NODE_HOLDS_ARRAY(node)) return names;
  JsonArray* array = json_node_get_array(node);
  for (guint i = 0; i < json_array_get_length(array); ++i) {
    JsonObject* element = json_array_get_object_element(array, i);
    if (!element || !json_object_has_member(element, member.c_str())) continue;
    JsonNode* value = json_object_get_member(element, member.c_str());
    if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == G_TYPE_STRING)
      names.push_back(json_node_get_string(value));
  }
  return names;
}

// ------------------------------------------------------------------- tokens

const char* to_string(JwtLibrary library) {
  return library == JwtLibrary::NodeJsonwebtoken ? "jsonwebtoken (npm)" : "PyJWT (python3-jwt)";
}

bool jwt_library_available(JwtLibrary library, std::string& why) {
  int code = -1;
  if (library == JwtLibrary::NodeJsonwebtoken) {
    // Resolved from the script's directory, as mint_tokens.mjs will be.
    run_command("cd " + shell_quote(source_root()) +
                    " && node -e \"require.resolve('jsonwebtoken')\" >/dev/null 2>&1",
                &code);
    why = "node with npm's jsonwebtoken (npm install in the source root)";
  } else {
    run_command("/usr/bin/python3 -c 'import jwt' >/dev/null 2>&1", &code);
    why = "/usr/bin/python3 with python3-jwt";
  }
  return code == 0;
}

std::map<std::string, std::string> mint_tokens(JwtLibrary library,
                                               const std::vector<TokenSpec>& specs,
                                               std::string& error) {
  TempDir dir("tokens");
  std::string spec = "{\"tokens\": [";
  for (size_t i = 0; i < specs.size(); ++i) {
    const TokenSpec& t = specs[i];
    spec += std::string(i ? ", " : "") + "{\"name\": " + json_quote(t.name) +
            ", \"claims\": " + t.claims + ", \"key\": " + json_quote(t.key) +
            ", \"alg\": " + json_quote(t.alg) + "}";
  }
  spec += "]}";
  write_file(dir.file("spec.json"), spec);
  const std::string command =
      library == JwtLibrary::NodeJsonwebtoken
          ? "node " + shell_quote(script("mint_tokens.mjs")) + " " + dir.file("spec.json") + " 2>&1"
          : "/usr/bin/python3 " + shell_quote(script("mint_tokens.py")) + " " +
                dir.file("spec.json") + " 2>&1";
  int code = -1;
  const std::string out = run_command(command, &code);
  std::map<std::string, std::string> tokens;
  if (code != 0) {
    error = out;
    return tokens;
  }
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) tokens[line.substr(0, tab)] = line.substr(tab + 1);
  }
  if (tokens.size() != specs.size()) error = "the script printed:\n" + out;
  return tokens;
}

long long unix_now() {
  return static_cast<long long>(std::time(nullptr));
}

}  // namespace mixcast::testing
