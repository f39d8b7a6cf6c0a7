// mixcastctl's one HTTP connection to the server, over cpprestsdk's
// http_client: the admin key as a Bearer token on every request, a private
// CA for https (--cacert), one timeout. The only file that includes
// cpprest/http_client.h (and so Boost.Asio).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace web::http::client {
class http_client;
}

namespace mixcast::ctl {

// No connection, a TLS failure, or no answer within the timeout (exit code 7).
class Unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ApiClient {
 public:
  struct Options {
    std::string server;  // http(s)://host[:port][/prefix]
    std::string key;     // "" sends no Authorization header
    std::string cacert;  // PEM file added to the system's CAs; "" for those alone
    double timeout_s = 30;
  };
  // Throws std::invalid_argument for a --cacert file that holds no certificate.
  explicit ApiClient(const Options& options);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  struct Response {
    int status = 0;
    std::string reason;
    std::string content_type;
    std::string content_range;
    int64_t content_length = -1;  // -1 when the answer did not say
    std::string body;             // empty when the body went to a sink
  };

  // One request; the whole body comes back in memory. Throws Unreachable.
  Response send(const std::string& method, const std::string& path,
                const std::string& content_type = "", const std::string& body = "");

  // A GET whose body goes, chunk by chunk as it arrives (never all in
  // memory), to the FILE that `sink` returns once it has seen the status and
  // headers; when `sink` returns null (an error answer) the body is read into
  // Response::body instead. `range_from` > 0 asks for the bytes from there on
  // (Range: bytes=N-). `written` counts what reached the file, also when an
  // exception cuts the transfer short. Throws Unreachable; std::runtime_error
  // when writing fails.
  using Sink = std::function<std::FILE*(const Response& head)>;
  Response download(const std::string& path, uint64_t range_from, const Sink& sink,
                    uint64_t& written);

  // The server as it may be shown (no user info).
  const std::string& server() const { return server_; }

 private:
  std::string server_;
  std::string key_;
  double timeout_s_;
  std::unique_ptr<web::http::client::http_client> client_;
};

}  // namespace mixcast::ctl
