// Watches the process from outside the main loop. The main loop serves
// every room, the HTTP server and the WebSocket; if it ever blocks (a state
// change waiting on a streaming thread that waits itself), nothing that runs
// on it can notice. A thread of its own therefore:
// - takes SIGINT/SIGTERM (blocked in every other thread) and asks the main
//   loop to stop; a second signal, or a stop that takes longer than the
//   shutdown timeout, ends the process at once (recordings are fragmented:
//   at most the last fragment is lost);
// - takes SIGHUP and asks the main loop to reload the configuration (not
//   once a stop was asked for);
// - says in the log when the main loop has not turned for
//   kStallWarningS seconds, and when it runs again.
#pragma once

#include <atomic>
#include <functional>

namespace mixcast {

class Supervisor {
 public:
  // Call first in main(), before any thread exists: the signals are blocked
  // in every thread created afterwards.
  static void block_signals();

  // Starts the one supervisor of the process (it lives until the process
  // ends: it watches main()'s own teardown too). `on_stop` runs on the main
  // loop on the first SIGINT/SIGTERM, `on_reload` on each SIGHUP before
  // that (without one, SIGHUP is ignored). Main loop.
  static Supervisor& start(double shutdown_timeout_s, std::function<void()> on_stop,
                           std::function<void()> on_reload = {});
  // The main loop has returned: its heartbeat is no longer expected (the
  // signals and the shutdown timeout still are). Main thread.
  void main_loop_ended();

  static constexpr double kStallWarningS = 2.0;

 private:
  Supervisor(double shutdown_timeout_s, std::function<void()> on_stop,
             std::function<void()> on_reload);
  void watch();

  double shutdown_timeout_s_;
  std::function<void()> on_stop_;
  std::function<void()> on_reload_;
  std::atomic<long long> heartbeat_us_{0};
  std::atomic<bool> loop_running_{true};
  unsigned heartbeat_source_ = 0;
};

}  // namespace mixcast
