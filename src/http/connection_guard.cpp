#include "http/connection_guard.h"

namespace mixcast {

namespace {

constexpr const char* kWatchKey = "mixcast-connection-watch";

// One per connection, kept as data of its GSocket: it goes (and its timer
// with it) when libsoup drops the socket.
struct Watch {
  GSocket* socket = nullptr;  // not owned: this is the socket's own data
  std::shared_ptr<const ConnectionGuard::Settings> settings;
  guint timer = 0;
  LimitReason reason = LimitReason::HeaderTimeout;

  ~Watch() { cancel(); }

  void cancel() {
    if (timer) g_source_remove(timer);
    timer = 0;
  }

  void arm(double seconds, LimitReason why) {
    cancel();
    reason = why;
    timer = g_timeout_add_full(G_PRIORITY_DEFAULT, static_cast<guint>(seconds * 1000.0),
                               &Watch::expired, this, nullptr);
  }

  static gboolean expired(gpointer data) {
    auto* self = static_cast<Watch*>(data);
    self->timer = 0;
    if (g_socket_is_closed(self->socket)) return G_SOURCE_REMOVE;
    self->settings->counts->add(self->reason);
    // Not closed under libsoup's feet: it reads EOF and drops the connection.
    g_socket_shutdown(self->socket, TRUE, TRUE, nullptr);
    return G_SOURCE_REMOVE;
  }
};

Watch* watch_of(SoupServerMessage* msg) {
  GSocket* socket = soup_server_message_get_socket(msg);
  return socket ? static_cast<Watch*>(g_object_get_data(G_OBJECT(socket), kWatchKey)) : nullptr;
}

void on_got_headers(SoupServerMessage* msg, gpointer) {
  if (Watch* w = watch_of(msg)) w->arm(w->settings->header_timeout_s, LimitReason::HeaderTimeout);
}

// Read in full: what follows (a paused answer, a long download, a
// WebSocket) is not the reader's slowness.
void on_got_body(SoupServerMessage* msg, gpointer) {
  if (Watch* w = watch_of(msg)) w->cancel();
}

}  // namespace

ConnectionGuard::ConnectionGuard(SoupServer* server, double header_timeout_s, double idle_timeout_s,
                                 std::shared_ptr<LimitCounts> counts)
    : settings_(std::make_shared<const Settings>(
          Settings{header_timeout_s, idle_timeout_s, std::move(counts)})),
      started_(server, g_signal_connect(server, "request-started",
                                        G_CALLBACK(&ConnectionGuard::on_request_started), this)),
      finished_(server, g_signal_connect(server, "request-finished",
                                         G_CALLBACK(&ConnectionGuard::on_request_finished), this)) {
}

// A new connection (its first message is made when it is accepted) or, on a
// kept-alive one, the first bytes of the next request.
void ConnectionGuard::on_request_started(SoupServer*, SoupServerMessage* msg, gpointer data) {
  auto* self = static_cast<ConnectionGuard*>(data);
  GSocket* socket = soup_server_message_get_socket(msg);
  if (!socket) return;
  auto* w = static_cast<Watch*>(g_object_get_data(G_OBJECT(socket), kWatchKey));
  if (!w) {
    w = new Watch;
    w->socket = socket;
    w->settings = self->settings_;
    g_object_set_data_full(G_OBJECT(socket), kWatchKey, w,
                           [](gpointer p) { delete static_cast<Watch*>(p); });
  }
  w->arm(w->settings->header_timeout_s, LimitReason::HeaderTimeout);
  g_signal_connect(msg, "got-headers", G_CALLBACK(&on_got_headers), nullptr);
  g_signal_connect(msg, "got-body", G_CALLBACK(&on_got_body), nullptr);
}

// Answered: a kept-alive connection now waits for its next request.
void ConnectionGuard::on_request_finished(SoupServer*, SoupServerMessage* msg, gpointer) {
  if (Watch* w = watch_of(msg)) w->arm(w->settings->idle_timeout_s, LimitReason::IdleTimeout);
}

}  // namespace mixcast
