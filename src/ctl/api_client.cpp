#include "ctl/api_client.h"

#include <cpprest/http_client.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "mixcast_build_config.h"

namespace mixcast::ctl {

namespace {

using web::http::client::http_client;
using web::http::client::http_client_config;

// A PEM file with at least one certificate: checked here, because a file
// OpenSSL cannot load would only fail later, inside the TLS handshake.
bool holds_certificate(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  return text.str().find("-----BEGIN CERTIFICATE-----") != std::string::npos;
}

std::string seconds(double s) {
  std::ostringstream out;
  out << s << " s";
  return out.str();
}

}  // namespace

ApiClient::ApiClient(const Options& options)
    : server_(options.server), key_(options.key), timeout_s_(options.timeout_s) {
  http_client_config config;
  config.set_timeout(std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000)));
  if (!options.cacert.empty()) {
    if (!holds_certificate(options.cacert))
      throw std::invalid_argument("--cacert: " + options.cacert +
                                  " cannot be read or holds no PEM certificate");
    // Added to the system's CAs (cpprest set_default_verify_paths() first);
    // the host name is still checked (RFC 2818) by cpprest's verify callback.
    config.set_ssl_context_callback([file = options.cacert](boost::asio::ssl::context& context) {
      boost::system::error_code ignored;  // the file was checked above
      context.load_verify_file(file, ignored);
    });
  }
  try {
    client_ = std::make_unique<http_client>(web::uri(options.server), config);
  } catch (const std::exception& e) {
    throw std::invalid_argument("--server: " + options.server + ": " + e.what());
  }
}

ApiClient::~ApiClient() = default;

namespace {

web::http::http_request make_request(const std::string& method, const std::string& path,
                                     const std::string& key) {
  web::http::http_request request(method);
  request.set_request_uri(web::uri(path));
  request.headers().add("User-Agent", "mixcastctl/" MIXCAST_VERSION);
  if (!key.empty()) request.headers().add("Authorization", "Bearer " + key);
  return request;
}

ApiClient::Response head_of(const web::http::http_response& response) {
  ApiClient::Response out;
  out.status = response.status_code();
  out.reason = response.reason_phrase();
  const auto& headers = response.headers();
  if (auto it = headers.find("Content-Type"); it != headers.end()) out.content_type = it->second;
  if (auto it = headers.find("Content-Range"); it != headers.end()) out.content_range = it->second;
  if (headers.has("Content-Length"))
    out.content_length = static_cast<int64_t>(headers.content_length());
  return out;
}

}  // namespace

namespace {

// cpprest reports a refused connection, a failed TLS handshake and a timeout
// alike, as http_exception: all of them are "cannot reach the server".
template <typename Exchange>
void reaching(const std::string& server, double timeout_s, const Exchange& exchange) {
  try {
    exchange();
  } catch (const web::http::http_exception& e) {
    if (e.error_code() == std::errc::timed_out)
      throw Unreachable("no answer from " + server + " within " + seconds(timeout_s));
    throw Unreachable("cannot reach " + server + ": " + e.what());
  }
}

}  // namespace

ApiClient::Response ApiClient::send(const std::string& method, const std::string& path,
                                    const std::string& content_type, const std::string& body) {
  web::http::http_request request = make_request(method, path, key_);
  if (!content_type.empty() || !body.empty())
    request.set_body(body, content_type.empty() ? "application/octet-stream" : content_type);
  Response out;
  reaching(server_, timeout_s_, [&] {
    web::http::http_response response = client_->request(request).get();
    out = head_of(response);
    out.body = response.extract_utf8string(true).get();
  });
  return out;
}

ApiClient::Response ApiClient::download(const std::string& path, uint64_t range_from,
                                        const Sink& sink, uint64_t& written) {
  web::http::http_request request = make_request("GET", path, key_);
  if (range_from > 0) request.headers().add("Range", "bytes=" + std::to_string(range_from) + "-");
  written = 0;
  Response out;
  reaching(server_, timeout_s_, [&] {
    // The task ends with the headers; the body follows as it arrives.
    web::http::http_response response = client_->request(request).get();
    out = head_of(response);
    std::FILE* file = sink(out);
    if (!file) {
      out.body = response.extract_utf8string(true).get();
    } else {
      auto body = response.body().streambuf();
      std::vector<uint8_t> chunk(256 * 1024);
      for (;;) {
        const size_t n = body.getn(chunk.data(), chunk.size()).get();
        if (n == 0) break;
        if (std::fwrite(chunk.data(), 1, n, file) != n)
          throw std::runtime_error(std::string("cannot write: ") + std::strerror(errno));
        written += n;
      }
    }
  });
  return out;
}

}  // namespace mixcast::ctl
