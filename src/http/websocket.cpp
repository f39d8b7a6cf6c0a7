#include "http/websocket.h"

#include <sstream>
#include <utility>

namespace mixcast {

namespace {
double now_s() {
  return static_cast<double>(g_get_monotonic_time()) / G_USEC_PER_SEC;
}
}  // namespace

WebSocketClient::WebSocketClient(uint64_t id, SoupWebsocketConnection* connection, Handler& handler,
                                 std::string address, double messages_per_second, int burst)
    : id_(id),
      connection_(GObjectPtr<SoupWebsocketConnection>(
          static_cast<SoupWebsocketConnection*>(g_object_ref(connection)))),
      handler_(handler),
      message_signal_(connection, g_signal_connect(connection, "message",
                                                   G_CALLBACK(&WebSocketClient::on_message), this)),
      closed_signal_(connection, g_signal_connect(connection, "closed",
                                                  G_CALLBACK(&WebSocketClient::on_closed), this)),
      address_(std::move(address)),
      messages_per_second_(messages_per_second),
      messages_(messages_per_second, burst, now_s()) {
  // Oversized frames are answered with an error, not a dropped connection.
  soup_websocket_connection_set_max_incoming_payload_size(connection, 4 * kMaxWsMessageBytes);
  // Pings keep NATs and proxies from closing an idle signalling socket.
  soup_websocket_connection_set_keepalive_interval(connection, 20);
}

WebSocketClient::~WebSocketClient() {
  message_signal_.reset();
  closed_signal_.reset();
  if (open())
    soup_websocket_connection_close(connection_.get(), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                    "server stopping");
}

bool WebSocketClient::open() const {
  return soup_websocket_connection_get_state(connection_.get()) == SOUP_WEBSOCKET_STATE_OPEN;
}

void WebSocketClient::send(const std::string& json) {
  if (open()) soup_websocket_connection_send_text(connection_.get(), json.c_str());
}

void WebSocketClient::send_error(int code, const std::string& message) {
  JsonWriter out;
  out.begin_object().field("type", "error").field("code", code).field("message", message);
  send(out.end_object().text());
}

void WebSocketClient::close() {
  close(SOUP_WEBSOCKET_CLOSE_NORMAL, "");
}

void WebSocketClient::close(int code, const std::string& reason) {
  if (open()) soup_websocket_connection_close(connection_.get(), code, reason.c_str());
}

void WebSocketClient::on_message(SoupWebsocketConnection*, gint type, GBytes* bytes,
                                 gpointer data) {
  auto* self = static_cast<WebSocketClient*>(data);
  if (!self->open()) return;  // flooded and closing: the rest is dropped
  // Every frame counts, good or bad: a flood is cut off whatever it holds.
  if (self->messages_.take(now_s()) > 0) {
    std::ostringstream rate;
    rate << self->messages_per_second_;
    self->send_error(429, "more than " + rate.str() +
                              " messages a second (limits.ws_messages_per_second): closing");
    self->close(SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "message rate");
    self->handler_.on_ws_flooded(*self);
    return;
  }
  if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    self->send_error(400, "messages are JSON text frames");
    return;
  }
  gsize size = 0;
  const auto* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  if (size > kMaxWsMessageBytes) {
    self->send_error(413,
                     "a message is limited to " + std::to_string(kMaxWsMessageBytes) + " bytes");
    return;
  }
  std::string error;
  auto message = parse_ws_message(std::string_view(text ? text : "", size), error);
  if (!message) {
    self->send_error(400, error);
    return;
  }
  self->handler_.on_ws_message(*self, *message);
}

void WebSocketClient::on_closed(SoupWebsocketConnection*, gpointer data) {
  auto* self = static_cast<WebSocketClient*>(data);
  if (std::exchange(self->closed_reported_, true)) return;
  self->handler_.on_ws_closed(*self);
}

}  // namespace mixcast
