// Helpers for the tests of the server's credentials (test_auth.cpp) and of
// a live /metrics scrape (test_metrics_scrape.cpp): HTTP requests with any
// headers, a bare WebSocket client that sets its own URL, join tokens minted
// by independent JWT implementations (npm jsonwebtoken, PyJWT), and a look
// into JSON answers.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json_text.h"
#include "test_support.h"

namespace mixcast::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// ServerUnderTest with the project's pages: the server serves web/ from its
// config file's directory + "/../web", so the config goes to <dir>/etc and
// <dir>/web links to the source tree's pages (as tests/browser/harness.mjs
// does). "{port}", "{dir}", "{root}" are replaced as there.
class ServerWithPages {
 public:
  explicit ServerWithPages(const std::string& name) : dir_(name) {}
  bool start(const std::string& config_yaml, double timeout_s = 20);
  int port() const { return port_; }
  const TempDir& dir() const { return dir_; }
  Process* process() { return process_.get(); }
  std::string log() const { return read_file(dir_.file("server.log")); }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// `method` `path` to host:port with these request headers (HTTP/1.0,
// Connection: close). A body is sent with a Content-Length and, when
// `content_type` is not empty, that Content-Type. A server that closes the
// connection before the request is all sent still has its answer read.
HttpResponse http_send(int port, const std::string& method, const std::string& path,
                       const Headers& headers, const std::string& body = "",
                       const std::string& content_type = "", const std::string& host = "127.0.0.1",
                       double timeout_s = 10);
// A response header by its lower-case name, "" when absent.
std::string header(const HttpResponse& response, const std::string& name);
// {{"Authorization", "Bearer " + credential}}.
Headers bearer(const std::string& credential);

// A WebSocket client on one blocking socket: the handshake on any path (so a
// test can put ?token= in the URL), text frames out (masked, as a client
// must), text frames in. Not thread-safe; enough for request and answer.
class RawWebSocket {
 public:
  RawWebSocket() = default;
  ~RawWebSocket();
  RawWebSocket(const RawWebSocket&) = delete;
  RawWebSocket& operator=(const RawWebSocket&) = delete;

  // Connects and upgrades; false (with the HTTP status in handshake_status())
  // unless the server answered 101.
  bool open(int port, const std::string& path, const Headers& headers = {},
            const std::string& host = "127.0.0.1");
  int handshake_status() const { return handshake_status_; }
  bool send_text(const std::string& text);
  // The next text message, waiting up to `timeout_s`; nullopt when none came
  // or the server closed.
  std::optional<std::string> receive(double timeout_s);
  // The next message whose "type" is `type` (others are skipped).
  std::optional<std::string> receive_type(const std::string& type, double timeout_s);
  void close();

 private:
  bool read_exact(size_t n, std::string& out, double deadline);
  int fd_ = -1;
  int handshake_status_ = 0;
  std::string buffered_;  // bytes read past the handshake
};

// A JSON string literal of `text` ("..." with escapes).
using mixcast::json_quote;

// Members of a JSON object answer: the string member `name` ("" if absent),
// the integer member `name` (`fallback` if absent), by a path of object
// member names ("error", "code").
std::string json_string_at(const std::string& json, const std::vector<std::string>& path);
long long json_int_at(const std::string& json, const std::vector<std::string>& path,
                      long long fallback = -1);
// The string member `member` of every element of the array at `path`, e.g.
// the names of {"participants"}.
std::vector<std::string> json_each_at(const std::string& json, const std::vector<std::string>& path,
                                      const std::string& member = "name");

// One token to mint: `claims` is a JSON object text, `alg` HS256, HS384 or
// none (then `key` is ignored).
struct TokenSpec {
  std::string name;
  std::string claims;
  std::string key;
  std::string alg = "HS256";
};
enum class JwtLibrary { NodeJsonwebtoken, PyJwt };
const char* to_string(JwtLibrary library);
// Whether the library can run here (node with jsonwebtoken from npm; Debian's
// /usr/bin/python3 with python3-jwt). `why` says what is missing.
bool jwt_library_available(JwtLibrary library, std::string& why);
// Mints every spec with tests/integration/mint_tokens.{mjs,py}; name -> token
// (empty when the script failed; `error` gets its output).
std::map<std::string, std::string> mint_tokens(JwtLibrary library,
                                               const std::vector<TokenSpec>& specs,
                                               std::string& error);

// Unix time now, in seconds.
long long unix_now();

}  // namespace mixcast::testing
