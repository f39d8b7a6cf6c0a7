// The HTTP server on the GLib main loop (libsoup-3.0): health, room state,
// live HLS, recordings and the web pages, on one port. The WebRTC issue adds
// WHIP/WHEP and the WebSocket to this same server.
#pragma once

#include <libsoup/soup.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/glib_ptr.h"
#include "base/lifetime.h"
#include "core/access.h"
#include "core/client_limits.h"
#include "core/config.h"
#include "core/room_status.h"
#include "core/sdp_offer.h"
#include "http/connection_guard.h"
#include "http/operator_api.h"
#include "http/rest_api.h"
#include "http/session_backend.h"
#include "http/websocket.h"
#include "http/ws_signalling.h"

namespace mixcast {

class HttpServer final : private WebSocketClient::Handler {
 public:
  // What WHIP, WHEP and the WebSocket ask of the rooms (SessionBackend),
  // and /metrics. The REST API has its own interface, OperatorApi.
  class Backend : public SessionBackend {
   public:
    // The Prometheus exposition of /metrics (`http` holds this server's own
    // request counts).
    virtual std::string metrics_text() = 0;

   protected:
    ~Backend() = default;
  };

  struct Dirs {
    std::string hls;         // <hls>/<room>/index.m3u8
    std::string recordings;  // <recordings>/<room>/<file>
    std::string web;         // static pages
  };

  HttpServer(const HttpConfig& config, const LimitsConfig& limits, Dirs dirs, Backend& backend,
             OperatorApi& api, const AccessControl& access);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens (HTTPS when the config has a TLS certificate); returns false
  // with `error` set when the port cannot be bound or the certificate not loaded.
  bool start(std::string& error);
  // Link headers (RFC 9725) sent with every WHIP/WHEP answer and OPTIONS.
  void set_ice_server_links(std::vector<std::string> links) { ice_links_ = std::move(links); }
  // The URL operators open (public_url, or http(s)://address:port).
  std::string base_url() const;

  // Room events and closes, for the WebSocket clients in the room.
  void room_event(const std::string& room, const RoomEvent& event) {
    ws_.on_room_event(room, event);
  }
  void room_closing(const std::string& room, const std::string& why) {
    ws_.on_room_closing(room, why);
  }

  // The server drains (SIGTERM): from now on new sessions, rooms, sources
  // and outputs get 503 with Retry-After, /healthz answers 503 "draining",
  // and every WebSocket client (and any that connects later) gets
  // {"type": "server_stopping", "retry_after_s": N} and a normal close.
  // `done` once every WebSocket has closed, or after kWebSocketCloseS.
  void drain(int retry_after_s, std::function<void()> done);
  bool draining() const { return drain_retry_after_s_ > 0; }
  static constexpr double kWebSocketCloseS = 2.0;

  // Requests answered so far, by route template (core/http_route), method
  // and status: bounded whatever clients send.
  struct RequestKey {
    std::string route;
    std::string method;
    int status = 0;
    auto operator<=>(const RequestKey&) const = default;
  };
  const std::map<RequestKey, uint64_t>& request_counts() const { return request_counts_; }
  // Refusals and closed connections of the limits this server applies.
  const LimitCounts& limit_counts() const { return *limit_counts_; }

 private:
  bool use_tls_certificate(std::string& error);
  static void on_request(SoupServer* server, SoupServerMessage* msg, const char* path,
                         GHashTable* query, gpointer self);
  void handle(SoupServerMessage* msg, const std::string& path, GHashTable* query);
  void serve_file(SoupServerMessage* msg, const std::string& root, const std::string& relative);
  void serve_listing(SoupServerMessage* msg, const std::string& dir, const std::string& prefix);
  void serve_session(SoupServerMessage* msg, Backend::Session kind, const std::string& method,
                     const std::string& rest, GHashTable* query, const AccessDecision& access);
  static void on_websocket(SoupServer* server, SoupServerMessage* msg, const char* path,
                           SoupWebsocketConnection* connection, gpointer self);
  void on_ws_message(WebSocketClient& client, const WsMessage& message) override;
  void on_ws_closed(WebSocketClient& client) override;
  void on_ws_flooded(WebSocketClient& client) override;
  // WebSocket connections at once, in all and per address: false (with the
  // answer set) when a new one would be over.
  bool websocket_admissible(SoupServerMessage* msg);
  // limits.joins_per_minute_per_address: 0 when `address` may join now,
  // else the seconds to wait (and the refusal is counted).
  int64_t join_wait(const std::string& address);
  // Access-Control-* for an Origin in limits.cors_allow_origins.
  bool cors_allowed(SoupServerMessage* msg, std::string& origin) const;
  void answer_preflight(SoupServerMessage* msg, const std::string& path);
  static void on_early(SoupServer* server, SoupServerMessage* msg, const char* path,
                       GHashTable* query, gpointer self);
  static void on_request_finished(SoupServer* server, SoupServerMessage* msg, gpointer self);
  // Answers 401/403 and returns false unless the request may go on; the
  // decision (with the join token's grant) is kept in `decision`.
  bool authorize(SoupServerMessage* msg, const std::string& path, GHashTable* query,
                 AccessDecision& decision);

  HttpConfig config_;
  LimitsConfig limits_;
  std::shared_ptr<LimitCounts> limit_counts_ = std::make_shared<LimitCounts>();
  AddressLimiter joins_;
  std::map<std::string, int> ws_per_address_;  // open WebSocket connections by client address
  Dirs dirs_;
  Backend& backend_;
  RestApi rest_;
  const AccessControl& access_;
  WsSignalling ws_;
  std::map<RequestKey, uint64_t> request_counts_;
  // WHIP/WHEP session URL -> the identity of the join token that made it.
  void remember_owner(const std::string& session_url, const std::string& identity);
  std::map<std::string, std::string> session_owners_;
  std::deque<std::string> owner_order_;
  std::optional<SignalConnection> request_finished_;
  GObjectPtr<SoupServer> server_;
  std::unique_ptr<ConnectionGuard> guard_;  // after server_: goes first
  int bound_port_ = 0;
  std::vector<std::string> ice_links_;
  std::map<uint64_t, std::unique_ptr<WebSocketClient>> ws_clients_;
  uint64_t next_ws_client_ = 1;
  // Draining: > 0, and `drained_` until the WebSockets have closed.
  void stop_websocket(WebSocketClient& client);
  void check_drained();
  int drain_retry_after_s_ = 0;
  std::function<void()> drained_;
  SourceId drain_bound_;
  Lifetime lifetime_;
};

}  // namespace mixcast
