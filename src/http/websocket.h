// One WebSocket client of /ws: owns the libsoup connection, turns text
// frames into WsMessage for its handler (bad frames get an `error` message
// and are otherwise ignored), and sends JSON. Main loop only. Owner: HttpServer.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <string>

#include "base/glib_ptr.h"
#include "http/json_util.h"

namespace mixcast {

class WebSocketClient {
 public:
  class Handler {
   public:
    virtual void on_ws_message(WebSocketClient& client, const WsMessage& message) = 0;
    // The connection closed (either side). The client is destroyed soon after.
    virtual void on_ws_closed(WebSocketClient& client) = 0;

   protected:
    ~Handler() = default;
  };

  WebSocketClient(uint64_t id, SoupWebsocketConnection* connection, Handler& handler);
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  uint64_t id() const { return id_; }
  // The join token of the connection's URL (?token=), "" when none.
  const std::string& url_token() const { return url_token_; }
  void set_url_token(std::string token) { url_token_ = std::move(token); }
  bool open() const;
  void send(const std::string& json);
  // {"type": "error", "code": <code>, "message": <message>}
  void send_error(int code, const std::string& message);
  // Closes with a normal close code; on_ws_closed follows.
  void close();

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
};

}  // namespace mixcast
