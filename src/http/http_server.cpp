#include "http/http_server.h"

#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/byte_range.h"
#include "core/http_route.h"
#include "core/log.h"
#include "core/trickle_ice.h"
#include "http/json_util.h"
#include "http/reply.h"
#include "http/tls_certificate.h"

namespace mixcast {

namespace {

std::string content_type(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".m3u8") return "application/vnd.apple.mpegurl";
  if (ext == ".ts") return "video/mp2t";
  if (ext == ".mp4") return "video/mp4";
  if (ext == ".mkv") return "video/x-matroska";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript";
  if (ext == ".css") return "text/css";
  if (ext == ".json") return "application/json";
  if (ext == ".png") return "image/png";
  return "application/octet-stream";
}

// Only plain names below the root: no "..", no absolute paths, no hidden files.
constexpr const char* kPageSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

bool safe_relative(const std::string& relative) {
  if (relative.empty() || relative[0] == '/') return false;
  for (const auto& part : std::filesystem::path(relative)) {
    const std::string s = part.string();
    if (s.empty() || s == "." || s == ".." || s[0] == '.') return false;
  }
  return true;
}

// Every connection is a file descriptor: the default soft limit (often 1024)
// would let a few hundred idle sockets starve the pipelines and new clients.
void raise_open_files_limit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur == limit.rlim_max) {
    LOG_INFO << "open files limit: " << limit.rlim_cur;
    return;
  }
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0)
    LOG_INFO << "open files limit raised from " << before << " to " << limit.rlim_cur;
  else
    LOG_WARN << "open files limit stays " << before << ": " << std::strerror(errno);
}

constexpr int kListenBacklog = 1024;

double now_s() {
  return static_cast<double>(g_get_monotonic_time()) / G_USEC_PER_SEC;
}

std::string remote_address(SoupServerMessage* msg) {
  const char* host = soup_server_message_get_remote_host(msg);
  return host ? host : "";
}

// The request line and headers as sent, near enough (libsoup has parsed them).
size_t header_bytes(SoupServerMessage* msg) {
  size_t total = 0;
  const char* method = soup_server_message_get_method(msg);
  total += (method ? std::strlen(method) : 0) + 12;  // " ", " HTTP/1.1\r\n"
  if (GUri* uri = soup_server_message_get_uri(msg)) {
    total += std::strlen(g_uri_get_path(uri));
    if (const char* query = g_uri_get_query(uri)) total += std::strlen(query) + 1;
  }
  soup_message_headers_foreach(
      soup_server_message_get_request_headers(msg),
      [](const char* name, const char* value, gpointer data) {
        *static_cast<size_t*>(data) += std::strlen(name) + std::strlen(value) + 4;  // ": ", CRLF
      },
      &total);
  return total;
}

// A body without Content-Length (chunked) is counted as it comes: past the
// cap it is no longer kept, and the request is answered 413 once read.
struct BodyCap {
  size_t limit;
  size_t seen = 0;
  std::shared_ptr<LimitCounts> counts;

  static void on_chunk(SoupServerMessage* msg, GBytes* chunk, gpointer data) {
    auto* self = static_cast<BodyCap*>(data);
    const bool was_over = self->seen > self->limit;
    self->seen += g_bytes_get_size(chunk);
    if (was_over || self->seen <= self->limit) return;
    soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
    soup_message_body_truncate(soup_server_message_get_request_body(msg));
    if (soup_server_message_get_status(msg) == 0) {
      self->counts->add(LimitReason::BodySize);
      send_api_error(msg, api_error(ErrorKind::TooLarge, "the body is over the limit of " +
                                                             std::to_string(self->limit) +
                                                             " bytes (limits.max_body_bytes)"));
    }
  }
};

}  // namespace

HttpServer::HttpServer(const HttpConfig& config, const LimitsConfig& limits, Dirs dirs,
                       Backend& backend, OperatorApi& api, const AccessControl& access)
    : config_(config),
      limits_(limits),
      joins_(limits.joins_per_minute_per_address),
      dirs_(std::move(dirs)),
      backend_(backend),
      rest_(api),
      access_(access),
      ws_(backend, access) {}

HttpServer::~HttpServer() {
  ws_clients_.clear();
  if (server_) soup_server_disconnect(server_.get());
}

bool HttpServer::start(std::string& error) {
  raise_open_files_limit();
  server_.reset(SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "mixcast", nullptr)));
  guard_ = std::make_unique<ConnectionGuard>(server_.get(), limits_.header_timeout_s,
                                             limits_.idle_timeout_s, limit_counts_);
  soup_server_add_handler(server_.get(), nullptr, &HttpServer::on_request, this, nullptr);
  // Early handlers are per path: /ws has its own handler, so it is named too.
  soup_server_add_early_handler(server_.get(), nullptr, &HttpServer::on_early, this, nullptr);
  soup_server_add_early_handler(server_.get(), "/ws", &HttpServer::on_early, this, nullptr);
  request_finished_.emplace(server_.get(),
                            g_signal_connect(server_.get(), "request-finished",
                                             G_CALLBACK(&HttpServer::on_request_finished), this));
  // Any origin: the pages may be served from elsewhere, and joining needs an
  // offer anyway (no cookies or credentials are involved). The number of
  // connections is capped in on_early.
  soup_server_add_websocket_handler(server_.get(), "/ws", nullptr, nullptr,
                                    &HttpServer::on_websocket, this, nullptr);
  GError* raw = nullptr;
  GObjectPtr<GInetAddress> inet(g_inet_address_new_from_string(config_.address.c_str()));
  if (!inet) {
    error = "http.address '" + config_.address + "' is not an IP address";
    return false;
  }
  GObjectPtr<GSocketAddress> address(g_inet_socket_address_new(inet.get(), config_.port));
  // With TLS the one port speaks HTTPS only, and /ws is WSS.
  SoupServerListenOptions options = SoupServerListenOptions(0);
  if (config_.tls()) {
    if (!use_tls_certificate(error)) return false;
    options = SOUP_SERVER_LISTEN_HTTPS;
  }
  // Our own socket rather than soup_server_listen's: its accept queue holds
  // 10 (GSocket's default), so a burst of connections (slow ones among
  // them) would make other clients wait for SYN retransmits.
  const GSocketFamily family = g_socket_address_get_family(address.get());
  GObjectPtr<GSocket> socket(
      g_socket_new(family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &raw));
  bool listening = false;
  if (socket) {
    if (family == G_SOCKET_FAMILY_IPV6)
      g_socket_set_option(socket.get(), IPPROTO_IPV6, IPV6_V6ONLY, TRUE, nullptr);
    g_socket_set_listen_backlog(socket.get(), kListenBacklog);
    listening = g_socket_bind(socket.get(), address.get(), TRUE, &raw) &&
                g_socket_listen(socket.get(), &raw) &&
                soup_server_listen_socket(server_.get(), socket.get(), options, &raw);
  }
  if (!listening) {
    GErrorPtr e(raw);
    error = "cannot listen on " + config_.address + ":" + std::to_string(config_.port) + ": " +
            (e ? e->message : "?");
    return false;
  }
  bound_port_ = config_.port;
  return true;
}

// Loads http.tls_certificate/tls_key (checked at start-up already; a file
// changed since then is still reported) and hands them to the SoupServer.
bool HttpServer::use_tls_certificate(std::string& error) {
  TlsLoadError tls_error;
  GObjectPtr<GTlsCertificate> certificate = load_tls_certificate(config_, tls_error);
  if (!certificate) {
    error = tls_error.field + ": " + tls_error.message;
    return false;
  }
  g_object_set(server_.get(), "tls-certificate", certificate.get(), nullptr);
  GCharPtr subject;
  GDateTime* raw_expiry = nullptr;
  g_object_get(certificate.get(), "subject-name", &subject, "not-valid-after", &raw_expiry,
               nullptr);
  std::unique_ptr<GDateTime, void (*)(GDateTime*)> expiry(raw_expiry, &g_date_time_unref);
  GCharPtr until(expiry ? g_date_time_format_iso8601(expiry.get()) : nullptr);
  LOG_INFO << "HTTPS with " << config_.tls_certificate << " (" << (subject ? subject.get() : "?")
           << ", valid until " << (until ? until.get() : "?") << ")";
  if (expiry && g_date_time_to_unix(expiry.get()) < g_get_real_time() / G_USEC_PER_SEC)
    LOG_WARN << "the TLS certificate " << config_.tls_certificate
             << " has expired: browsers will refuse it";
  return true;
}

std::string HttpServer::base_url() const {
  if (!config_.public_url.empty()) return config_.public_url;
  const std::string host = config_.address == "0.0.0.0" ? "127.0.0.1" : config_.address;
  return (config_.tls() ? "https://" : "http://") + host + ":" + std::to_string(bound_port_);
}

void HttpServer::on_request(SoupServer*, SoupServerMessage* msg, const char* path,
                            GHashTable* query, gpointer data) {
  static_cast<HttpServer*>(data)->handle(msg, path ? path : "/", query);
}

void HttpServer::on_request_finished(SoupServer*, SoupServerMessage* msg, gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  GUri* uri = soup_server_message_get_uri(msg);
  const char* path = uri ? g_uri_get_path(uri) : "/";
  const char* method = soup_server_message_get_method(msg);
  RequestKey key{route_label(method ? method : "", path ? path : "/"),
                 std::string(method_label(method ? method : "")),
                 static_cast<int>(soup_server_message_get_status(msg))};
  ++self->request_counts_[key];
}

namespace {

std::string query_value(GHashTable* query, const char* name) {
  const char* value = query ? static_cast<const char*>(g_hash_table_lookup(query, name)) : nullptr;
  return value ? value : "";
}

// The room named by a path's first segment after `prefix` ("/whip/r1/s" -> "r1").
std::string room_after(const std::string& path, size_t prefix) {
  const size_t slash = path.find('/', prefix);
  return path.substr(prefix, slash == std::string::npos ? std::string::npos : slash - prefix);
}

bool is_page(const std::string& path) {
  return path == "/" || (path.size() > 5 && path.compare(path.size() - 5, 5, ".html") == 0);
}

}  // namespace

bool HttpServer::authorize(SoupServerMessage* msg, const std::string& path, GHashTable* query,
                           AccessDecision& decision) {
  decision = AccessDecision::allow();
  if (!access_.enabled()) return true;
  std::optional<AccessNeed> need;
  if (path.rfind("/api/v1/", 0) == 0 || path.rfind("/recordings/", 0) == 0 || path == "/metrics")
    need = AccessNeed::admin();
  else if (path.rfind("/whip/", 0) == 0)
    need = AccessNeed::publish(room_after(path, 6));
  else if (path.rfind("/whep/", 0) == 0)
    need = AccessNeed::subscribe(room_after(path, 6));
  else if (path.rfind("/hls/", 0) == 0 && !access_.hls_public())
    need = AccessNeed::subscribe(room_after(path, 5));
  else if (is_page(path))
    need = AccessNeed::page(query_value(query, "room"));
  if (!need) return true;  // health, scripts, styles: nothing to protect

  // RFC 6750: the Authorization header; ?token= where a browser cannot set
  // headers (a page's URL, a player's segment requests).
  const char* header =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  std::optional<std::string_view> credential;
  const std::string from_query = query_value(query, "token");
  if (header) {
    credential = bearer_token(header);
    if (!credential) {
      decision = AccessDecision{false, 401, "the Authorization header must be 'Bearer <token>'",
                                false, std::nullopt};
    }
  } else if (!from_query.empty() && need->kind != AccessNeed::Kind::Admin) {
    credential = from_query;
  }
  if (!header || credential)
    decision = access_.check(credential, *need, static_cast<int64_t>(g_get_real_time() / 1000000));
  if (decision.allowed) return true;
  if (decision.status == 401)
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "WWW-Authenticate",
                                 www_authenticate(decision).c_str());
  send_json_error(msg, decision.status, decision.message);
  return false;
}

// Runs once the headers are in, before the body is read: the headers every
// answer carries, and the limits on sizes and on WebSocket connections.
void HttpServer::on_early(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*,
                          gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  auto* response = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(response, "X-Content-Type-Options", "nosniff");
  std::string origin;
  if (self->cors_allowed(msg, origin)) {
    soup_message_headers_replace(response, "Access-Control-Allow-Origin", origin.c_str());
    soup_message_headers_replace(response, "Access-Control-Expose-Headers", "Location, Link, ETag");
  }
  if (!self->limits_.cors_allow_origins.empty() && origin != "*")
    soup_message_headers_append(response, "Vary", "Origin");

  const LimitsConfig& limits = self->limits_;
  if (header_bytes(msg) > static_cast<size_t>(limits.max_header_bytes)) {
    self->limit_counts_->add(LimitReason::HeaderSize);
    soup_message_headers_replace(response, "Connection", "close");
    // 431 Request Header Fields Too Large (RFC 6585).
    send_json_error(msg, 431,
                    "the request line and headers are over the limit of " +
                        std::to_string(limits.max_header_bytes) +
                        " bytes (limits.max_header_bytes)");
    return;
  }
  auto* request = soup_server_message_get_request_headers(msg);
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  if (soup_message_headers_get_encoding(request) == SOUP_ENCODING_CHUNKED) {
    g_signal_connect_data(
        msg, "got-chunk", G_CALLBACK(&BodyCap::on_chunk),
        new BodyCap{static_cast<size_t>(limits.max_body_bytes), 0, self->limit_counts_},
        [](gpointer p, GClosure*) { delete static_cast<BodyCap*>(p); }, GConnectFlags(0));
  } else if (soup_message_headers_get_content_length(request) >
             static_cast<goffset>(limits.max_body_bytes)) {
    self->limit_counts_->add(LimitReason::BodySize);
    // Read and dropped, not kept: the answer follows the body.
    soup_message_body_set_accumulate(body, FALSE);
    soup_message_headers_replace(response, "Connection", "close");
    send_json_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                    "the body is over the limit of " + std::to_string(limits.max_body_bytes) +
                        " bytes (limits.max_body_bytes)");
    return;
  }
  if (path && std::strcmp(path, "/ws") == 0) self->websocket_admissible(msg);
}

bool HttpServer::cors_allowed(SoupServerMessage* msg, std::string& origin) const {
  const char* sent =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin");
  if (!sent || !origin_allowed(limits_.cors_allow_origins, sent)) {
    origin = sent ? sent : "";
    return false;
  }
  // With "*" configured the answer is "*" (no credentials are involved).
  const bool any = std::find(limits_.cors_allow_origins.begin(), limits_.cors_allow_origins.end(),
                             "*") != limits_.cors_allow_origins.end();
  origin = any ? "*" : sent;
  return true;
}

bool HttpServer::websocket_admissible(SoupServerMessage* msg) {
  const std::string address = remote_address(msg);
  auto it = ws_per_address_.find(address);
  const int from_address = it == ws_per_address_.end() ? 0 : it->second;
  if (ws_clients_.size() >= static_cast<size_t>(limits_.max_websocket_connections)) {
    limit_counts_->add(LimitReason::WebSocketConnections);
    ApiError full =
        api_error(ErrorKind::Unavailable, "the server has its most WebSocket connections (" +
                                              std::to_string(limits_.max_websocket_connections) +
                                              "; limits.max_websocket_connections)");
    full.retry_after_s = 10;
    send_api_error(msg, full);
    return false;
  }
  if (from_address >= limits_.max_websocket_connections_per_address) {
    limit_counts_->add(LimitReason::WebSocketConnections);
    send_too_many(msg, 10,
                  "too many WebSocket connections from " + address + " (" +
                      std::to_string(limits_.max_websocket_connections_per_address) +
                      "; limits.max_websocket_connections_per_address)");
    return false;
  }
  return true;
}

int64_t HttpServer::join_wait(const std::string& address) {
  const int64_t wait = joins_.admit(address, now_s());
  if (wait > 0) limit_counts_->add(LimitReason::Joins);
  return wait;
}

void HttpServer::answer_preflight(SoupServerMessage* msg, const std::string& path) {
  auto* headers = soup_server_message_get_response_headers(msg);
  std::string origin;
  const bool allowed = cors_allowed(msg, origin);
  // A browser's preflight from an origin that is not allowed: say so (a
  // client that is not a browser sends no Origin and gets the Link headers).
  if (!allowed && !origin.empty()) {
    limit_counts_->add(LimitReason::CorsOrigin);
    send_json_error(msg, SOUP_STATUS_FORBIDDEN,
                    "origin " + origin + " is not allowed (limits.cors_allow_origins)");
    return;
  }
  // Without Access-Control-Allow-Origin (set in on_early) these grant nothing.
  soup_message_headers_replace(headers, "Access-Control-Allow-Methods",
                               "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  soup_message_headers_replace(headers, "Access-Control-Allow-Headers",
                               "Content-Type, Authorization, If-Match");
  soup_message_headers_replace(headers, "Access-Control-Expose-Headers", "Location, Link, ETag");
  if (allowed) soup_message_headers_replace(headers, "Access-Control-Max-Age", "600");
  if (path.rfind("/whip/", 0) == 0 || path.rfind("/whep/", 0) == 0)
    for (const auto& link : ice_links_) soup_message_headers_append(headers, "Link", link.c_str());
  soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

void HttpServer::handle(SoupServerMessage* msg, const std::string& path, GHashTable* query) {
  const std::string method = soup_server_message_get_method(msg);
  if (method == "OPTIONS") {
    answer_preflight(msg, path);
    return;
  }
  // Offers are counted per address before credentials are checked: a
  // client guessing tokens is held back too.
  const bool offer = method == "POST" &&
                     (path.rfind("/whip/", 0) == 0 || path.rfind("/whep/", 0) == 0) &&
                     path.find('/', 6) == std::string::npos;
  if (offer) {
    const std::string address = remote_address(msg);
    if (const int64_t wait = join_wait(address)) {
      send_too_many(msg, wait,
                    "too many joins from " + address + ": at most " +
                        std::to_string(limits_.joins_per_minute_per_address) +
                        " a minute (limits.joins_per_minute_per_address); retry in " +
                        std::to_string(wait) + " s");
      return;
    }
  }
  AccessDecision access;
  if (!authorize(msg, path, query, access)) return;
  if (draining() && starts_something_new(method, path)) {
    send_api_error(msg, server_stopping_error(drain_retry_after_s_));
    return;
  }
  if (path.rfind("/whip/", 0) == 0) {
    serve_session(msg, Backend::Session::Publisher, method, path.substr(6), query, access);
    return;
  }
  if (path.rfind("/whep/", 0) == 0) {
    serve_session(msg, Backend::Session::Viewer, method, path.substr(6), query, access);
    return;
  }
  if (path.rfind("/api/v1/", 0) == 0) {
    rest_.handle(msg, method, path.substr(8), query);
    return;
  }
  if (method != "GET" && method != "HEAD") {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD, OPTIONS");
    send_json_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method " + method + " not allowed");
    return;
  }
  if (path == "/healthz" && draining()) {
    // A load balancer stops sending here; what runs is still served.
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                 std::to_string(drain_retry_after_s_).c_str());
    send_json(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "{\"status\": \"draining\"}");
  } else if (path == "/healthz") {
    send_json(msg, SOUP_STATUS_OK, "{\"status\": \"ok\"}");
  } else if (path == "/metrics") {
    const std::string text = backend_.metrics_text();
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response(msg, "text/plain; version=0.0.4; charset=utf-8",
                                     SOUP_MEMORY_COPY, text.data(), text.size());
  } else if (path.rfind("/hls/", 0) == 0) {
    serve_file(msg, dirs_.hls, path.substr(5));
  } else if (path.rfind("/recordings/", 0) == 0) {
    const std::string rest = path.substr(12);
    if (!rest.empty() && rest.back() == '/')
      serve_listing(msg, rest.substr(0, rest.size() - 1), path);
    else
      serve_file(msg, dirs_.recordings, rest);
  } else if (path == "/") {
    serve_file(msg, dirs_.web, "index.html");
  } else {
    serve_file(msg, dirs_.web, path.substr(1));
  }
}

// WHIP (RFC 9725) and WHEP share their shape: POST an offer to /{kind}/{room},
// then PATCH (trickle ICE) and DELETE the session URL from Location.
void HttpServer::serve_session(SoupServerMessage* msg, Backend::Session kind,
                               const std::string& method, const std::string& rest,
                               GHashTable* query, const AccessDecision& access) {
  const std::string prefix = kind == Backend::Session::Publisher ? "/whip/" : "/whep/";
  const std::string protocol = kind == Backend::Session::Publisher ? "WHIP" : "WHEP";
  const size_t slash = rest.find('/');
  const std::string room = rest.substr(0, slash);
  const std::string session = slash == std::string::npos ? "" : rest.substr(slash + 1);
  auto* request_headers = soup_server_message_get_request_headers(msg);
  const char* type = soup_message_headers_get_content_type(request_headers, nullptr);
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  const std::string text = body && body->data ? std::string(body->data, body->length) : "";

  if (method == "POST" && session.empty()) {
    if (!type || g_ascii_strcasecmp(type, "application/sdp") != 0) {
      send_json_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                      "a " + protocol + " offer must be sent as application/sdp");
      return;
    }
    std::string error;
    auto offer = parse_sdp_offer(text, error);
    if (!offer) {
      send_json_error(msg, SOUP_STATUS_BAD_REQUEST, "bad SDP offer: " + error);
      return;
    }
    // A join token names its bearer; without one, ?name= does.
    std::string name = query_value(query, "name");
    if (access.grant)
      name = access.grant->name.empty() ? access.grant->identity : access.grant->name;
    // The answer waits for ICE gathering: hold the request until then.
    soup_server_message_pause(msg);
    g_object_ref(msg);
    const std::string owner = access.grant ? access.grant->identity : "";
    backend_.session_offer(
        kind, room, name, text, std::move(*offer), nullptr,
        [this, t = lifetime_.token(), msg, room, prefix, owner, links = ice_links_](
            int status, const std::string& answer, const std::string& id) {
          if (status == SOUP_STATUS_CREATED) {
            if (!owner.empty() && Lifetime::alive(t))
              remember_owner(prefix + room + "/" + id, owner);
            auto* headers = soup_server_message_get_response_headers(msg);
            for (const auto& link : links)
              soup_message_headers_append(headers, "Link", link.c_str());
            soup_message_headers_replace(headers, "Location", (prefix + room + "/" + id).c_str());
            soup_server_message_set_status(msg, SOUP_STATUS_CREATED, nullptr);
            soup_server_message_set_response(msg, "application/sdp", SOUP_MEMORY_COPY,
                                             answer.data(), answer.size());
          } else {
            send_json_error(msg, status, answer);
          }
          soup_server_message_unpause(msg);
          g_object_unref(msg);
        });
    return;
  }
  if (session.empty()) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "POST, OPTIONS");
    send_json_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "POST an offer to " + prefix + "{room}");
    return;
  }
  // Session ids are not secrets: with a join token, only its bearer may end
  // or trickle into the session it made (an admin key may touch any).
  if (access.grant) {
    auto it = session_owners_.find(prefix + rest);
    if (it != session_owners_.end() && it->second != access.grant->identity) {
      send_json_error(msg, SOUP_STATUS_FORBIDDEN,
                      "this " + protocol + " session belongs to another participant");
      return;
    }
  }
  if (method == "DELETE") {
    if (backend_.session_end(kind, room, session, protocol + " DELETE")) {
      soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
      session_owners_.erase(prefix + rest);
    } else
      send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no " + protocol + " session " + rest);
    return;
  }
  if (method == "PATCH") {
    if (!type || g_ascii_strcasecmp(type, "application/trickle-ice-sdpfrag") != 0) {
      send_json_error(msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                      "trickle ICE must be sent as application/trickle-ice-sdpfrag");
      return;
    }
    if (backend_.session_trickle(kind, room, session, parse_trickle_fragment(text)))
      soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    else
      send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no " + protocol + " session " + rest);
    return;
  }
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                               "PATCH, DELETE, OPTIONS");
  send_json_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method " + method + " not allowed here");
}

void HttpServer::remember_owner(const std::string& session_url, const std::string& identity) {
  // Sessions that end without a DELETE (ICE failure, a vanished browser)
  // leave their entry: the oldest go once there are this many.
  constexpr size_t kMaxRemembered = 10000;
  if (session_owners_.emplace(session_url, identity).second) owner_order_.push_back(session_url);
  while (owner_order_.size() > kMaxRemembered) {
    session_owners_.erase(owner_order_.front());
    owner_order_.pop_front();
  }
}

void HttpServer::on_websocket(SoupServer*, SoupServerMessage* msg, const char*,
                              SoupWebsocketConnection* connection, gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  const uint64_t id = self->next_ws_client_++;
  WebSocketClient::Handler& handler = *self;
  const std::string address = remote_address(msg);
  auto client = std::make_unique<WebSocketClient>(id, connection, handler, address,
                                                  self->limits_.ws_messages_per_second,
                                                  self->limits_.ws_message_burst);
  ++self->ws_per_address_[address];
  // A browser cannot set headers on a WebSocket: its token comes in the URL
  // (or later in the join message). It is checked per message, by room.
  GUri* uri = soup_server_message_get_uri(msg);
  if (const char* query = uri ? g_uri_get_query(uri) : nullptr) {
    std::unique_ptr<GHashTable, decltype(&g_hash_table_unref)> fields(
        g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr), &g_hash_table_unref);
    if (fields) client->set_url_token(query_value(fields.get(), "token"));
  }
  WebSocketClient& added = *client;
  self->ws_clients_.emplace(id, std::move(client));
  if (self->draining()) self->stop_websocket(added);
}

void HttpServer::drain(int retry_after_s, std::function<void()> done) {
  if (draining()) return;
  drain_retry_after_s_ = std::max(retry_after_s, 1);
  drained_ = std::move(done);
  LOG_INFO << "draining: new sessions and rooms get 503 (Retry-After: " << drain_retry_after_s_
           << "), " << ws_clients_.size() << " WebSocket client(s) told and closed";
  for (auto& [id, client] : ws_clients_) stop_websocket(*client);
  drain_bound_ = run_after(kWebSocketCloseS, [this, t = lifetime_.token()] {
    if (!Lifetime::alive(t) || !drained_) return;
    LOG_WARN << ws_clients_.size() << " WebSocket client(s) did not close within "
             << kWebSocketCloseS << " s";
    std::exchange(drained_, nullptr)();
  });
  check_drained();
}

void HttpServer::stop_websocket(WebSocketClient& client) {
  JsonWriter out;
  client.send(out.begin_object()
                  .field("type", "server_stopping")
                  .field("retry_after_s", drain_retry_after_s_)
                  .end_object()
                  .text());
  client.close();
}

void HttpServer::check_drained() {
  if (!drained_ || !ws_clients_.empty()) return;
  drain_bound_.reset();
  std::exchange(drained_, nullptr)();
}

void HttpServer::on_ws_message(WebSocketClient& client, const WsMessage& message) {
  if (message.type == "join" || message.type == "watch") {
    if (const int64_t wait = join_wait(client.address())) {
      client.send_error(429, "too many joins from " + client.address() + ": at most " +
                                 std::to_string(limits_.joins_per_minute_per_address) +
                                 " a minute (limits.joins_per_minute_per_address); retry in " +
                                 std::to_string(wait) + " s");
      return;
    }
  }
  ws_.on_message(client, message);
}

void HttpServer::on_ws_flooded(WebSocketClient&) {
  limit_counts_->add(LimitReason::WebSocketMessages);
}

void HttpServer::on_ws_closed(WebSocketClient& client) {
  if (auto it = ws_per_address_.find(client.address());
      it != ws_per_address_.end() && --it->second <= 0)
    ws_per_address_.erase(it);
  ws_.on_closed(client);
  // Not inside the connection's own signal: destroy it from the main loop.
  post_to_main([this, t = lifetime_.token(), id = client.id()] {
    if (!Lifetime::alive(t)) return;
    ws_clients_.erase(id);
    check_drained();
  });
}

void HttpServer::serve_file(SoupServerMessage* msg, const std::string& root,
                            const std::string& relative) {
  if (!safe_relative(relative)) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  const std::filesystem::path file = std::filesystem::path(root) / relative;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "not found: " + relative);
    return;
  }
  // Mapped, not read: a recording can be gigabytes, and a player asks for
  // ranges of it (core/byte_range answers them, not libsoup: see there).
  GError* raw = nullptr;
  std::unique_ptr<GMappedFile, decltype(&g_mapped_file_unref)> mapped(
      g_mapped_file_new(file.c_str(), FALSE, &raw), &g_mapped_file_unref);
  if (!mapped) {
    GErrorPtr e(raw);
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "cannot read " + relative);
    return;
  }
  auto* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Accept-Ranges", "bytes");
  // The pages load their scripts and styles from here only (no inline code);
  // hls.js plays through blob: URLs and its worker; /ws is same-origin.
  if (file.extension() == ".html")
    soup_message_headers_replace(headers, "Content-Security-Policy", kPageSecurityPolicy);
  // Live playlists change every segment; segments never change.
  soup_message_headers_replace(headers, "Cache-Control",
                               file.extension() == ".m3u8" ? "no-cache" : "max-age=60");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_message_headers_set_content_type(headers, content_type(file.string()).c_str(), nullptr);
  std::unique_ptr<GBytes, decltype(&g_bytes_unref)> bytes(g_mapped_file_get_bytes(mapped.get()),
                                                          &g_bytes_unref);
  // Ranges are for GET only; we send no validators, so an If-Range never
  // matches and means the whole file. Once answered here the Range goes, or
  // libsoup would cut a 200 again with its own parser.
  auto* request = soup_server_message_get_request_headers(msg);
  const char* range = soup_message_headers_get_one(request, "Range");
  ByteRangeAnswer answer;
  if (range && soup_server_message_get_method(msg) == SOUP_METHOD_GET &&
      !soup_message_headers_get_one(request, "If-Range"))
    answer = answer_byte_range(range, g_bytes_get_size(bytes.get()));
  soup_message_headers_remove(request, "Range");
  const std::string size = std::to_string(g_bytes_get_size(bytes.get()));
  if (answer.kind == ByteRangeAnswer::Kind::NotSatisfiable) {
    soup_server_message_set_status(msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE, nullptr);
    soup_message_headers_replace(headers, "Content-Range", ("bytes */" + size).c_str());
    return;
  }
  if (answer.kind == ByteRangeAnswer::Kind::Partial) {
    soup_server_message_set_status(msg, SOUP_STATUS_PARTIAL_CONTENT, nullptr);
    soup_message_headers_replace(
        headers, "Content-Range",
        ("bytes " + std::to_string(answer.first) + "-" + std::to_string(answer.last) + "/" + size)
            .c_str());
    bytes.reset(g_bytes_new_from_bytes(bytes.get(), answer.first, answer.last - answer.first + 1));
  }
  // An empty file has no bytes to append (libsoup refuses empty GBytes).
  if (g_bytes_get_size(bytes.get()) > 0)
    soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes.get());
}

void HttpServer::serve_listing(SoupServerMessage* msg, const std::string& room,
                               const std::string& prefix) {
  if (!safe_relative(room)) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "not found");
    return;
  }
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(dirs_.recordings) / room, ec))
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  if (ec) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no recordings for room '" + room + "'");
    return;
  }
  std::sort(names.begin(), names.end());
  JsonWriter out;
  out.begin_object().key("recordings").begin_array();
  for (const auto& n : names) out.value(prefix + n);
  out.end_array().end_object();
  send_json(msg, SOUP_STATUS_OK, out.text(true));
}

}  // namespace mixcast
