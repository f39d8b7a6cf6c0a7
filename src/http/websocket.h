// One WebSocket client of /ws: owns the libsoup connection, turns text
// frames into WsMessage for its handler (bad frames get an `error` message
// and are otherwise ignored), and sends JSON. Main loop only. Owner: HttpServer.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <string>

#include "base/glib_ptr.h"
#include "core/client_limits.h"
#include "http/json_util.h"

namespace mixcast {

class WebSocketClient {
 public:
  class Handler {
   public:
    virtual void on_ws_message(WebSocketClient& client, const WsMessage& message) = 0;
    // The connection closed (either side). The client is destroyed soon after.
    virtual void on_ws_closed(WebSocketClient& client) = 0;
    // The client sent over its message rate: it got an error and is being closed.
    virtual void on_ws_flooded(WebSocketClient& client) = 0;

   protected:
    ~Handler() = default;
  };

  // Messages past `messages_per_second` (in bursts of `burst`) close the
  // connection: limits.ws_messages_per_second, limits.ws_message_burst.
  WebSocketClient(uint64_t id, SoupWebsocketConnection* connection, Handler& handler,
                  std::string address, double messages_per_second, int burst);
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  uint64_t id() const { return id_; }
  // The client's IP address, as the socket sees it.
  const std::string& address() const { return address_; }
  // The join token of the connection's URL (?token=), "" when none.
  const std::string& url_token() const { return url_token_; }
  void set_url_token(std::string token) { url_token_ = std::move(token); }
  bool open() const;
  void send(const std::string& json);
  // {"type": "error", "code": <code>, "message": <message>}
  void send_error(int code, const std::string& message);
  // Closes with a normal close code; on_ws_closed follows.
  void close();
  // Closes with `code` (a SoupWebsocketCloseCode) and `reason`.
  void close(int code, const std::string& reason);

 private:
  static void on_message(SoupWebsocketConnection*, gint type, GBytes* bytes, gpointer self);
  static void on_closed(SoupWebsocketConnection*, gpointer self);

  uint64_t id_;
  GObjectPtr<SoupWebsocketConnection> connection_;
  Handler& handler_;
  SignalConnection message_signal_;
  SignalConnection closed_signal_;
  bool closed_reported_ = false;
  std::string url_token_;
  std::string address_;
  double messages_per_second_;
  TokenBucket messages_;
};

}  // namespace mixcast
