// Closes HTTP connections that hold a socket without making progress
// (slowloris): a connection must have sent its request headers within
// limits.header_timeout_s of being accepted (TLS handshake included), and
// then its body within as long again; a kept-alive connection waiting for
// its next request is closed after limits.idle_timeout_s. libsoup 3.2 has
// no such timeouts of its own (SoupServer's sockets have none, and its only
// cap is 64 KiB of headers), so the guard follows each connection's GSocket
// through SoupServer's request-started and request-finished signals and the
// message's got-headers and got-body, and shuts the socket down when a
// deadline passes: libsoup then reads EOF and closes it as usual.
// Main loop only. Owner: HttpServer.
#pragma once

#include <libsoup/soup.h>

#include <memory>

#include "base/glib_ptr.h"
#include "core/client_limits.h"

namespace mixcast {

class ConnectionGuard {
 public:
  // `counts` gets HeaderTimeout and IdleTimeout for each connection closed.
  ConnectionGuard(SoupServer* server, double header_timeout_s, double idle_timeout_s,
                  std::shared_ptr<LimitCounts> counts);
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // What every connection's watch shares (it may outlive the guard).
  struct Settings {
    double header_timeout_s;
    double idle_timeout_s;
    std::shared_ptr<LimitCounts> counts;
  };

 private:
  static void on_request_started(SoupServer*, SoupServerMessage* msg, gpointer self);
  static void on_request_finished(SoupServer*, SoupServerMessage* msg, gpointer self);

  std::shared_ptr<const Settings> settings_;
  SignalConnection started_;
  SignalConnection finished_;
};

}  // namespace mixcast
