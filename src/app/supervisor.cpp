#include "app/supervisor.h"

#include <glib.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "core/log.h"
#include "media/gst_ptr.h"

namespace mixcast {

namespace {
// The signals the supervisor's thread takes: SIGINT, SIGTERM and SIGHUP.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

[[noreturn]] void exit_now(const char* why) {
  LOG_ERROR << why << "; exiting now (recordings keep all but their last fragment)";
  std::fflush(stderr);
  _exit(1);
}
}  // namespace

void Supervisor::block_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Supervisor& Supervisor::start(double shutdown_timeout_s, std::function<void()> on_stop,
                              std::function<void()> on_reload) {
  // Never destroyed: the watching thread runs until the process exits.
  static Supervisor* supervisor =
      new Supervisor(shutdown_timeout_s, std::move(on_stop), std::move(on_reload));
  return *supervisor;
}

Supervisor::Supervisor(double shutdown_timeout_s, std::function<void()> on_stop,
                       std::function<void()> on_reload)
    : shutdown_timeout_s_(shutdown_timeout_s),
      on_stop_(std::move(on_stop)),
      on_reload_(std::move(on_reload)) {
  heartbeat_us_.store(g_get_monotonic_time());
  heartbeat_source_ = g_timeout_add(
      250,
      [](gpointer data) -> gboolean {
        static_cast<Supervisor*>(data)->heartbeat_us_.store(g_get_monotonic_time());
        return G_SOURCE_CONTINUE;
      },
      this);
  // Detached: it must outlive main()'s own teardown, which may hang too.
  std::thread([this] { watch(); }).detach();
}

void Supervisor::main_loop_ended() {
  loop_running_.store(false);
  if (heartbeat_source_) g_source_remove(heartbeat_source_);
  heartbeat_source_ = 0;
}

void Supervisor::watch() {
  const sigset_t set = stop_signals();
  gint64 stop_requested_us = 0;
  gint64 stall_reported_us = 0;
  const timespec tick{0, 250 * 1000 * 1000};
  for (;;) {
    const int signal = sigtimedwait(&set, nullptr, &tick);
    const gint64 now = g_get_monotonic_time();
    if (signal == SIGHUP) {
      if (stop_requested_us)
        LOG_WARN << "SIGHUP while stopping: not reloading";
      else if (on_reload_)
        post_to_main([this] { on_reload_(); });
    } else if (signal > 0) {
      if (!stop_requested_us) {
        stop_requested_us = now;
        LOG_INFO << "signal " << signal << ": stopping (at most " << shutdown_timeout_s_ << " s)";
        post_to_main([this] {
          if (on_stop_) on_stop_();
        });
      } else if (now - stop_requested_us > 2 * G_USEC_PER_SEC) {
        // The same request sent to the process and its group arrives twice
        // within milliseconds; a later one means "now".
        exit_now("second signal");
      }
    }
    if (stop_requested_us &&
        now - stop_requested_us > static_cast<gint64>(shutdown_timeout_s_ * G_USEC_PER_SEC))
      exit_now("the stop did not finish within shutdown_timeout_s");
    // Only while the loop runs (the heartbeat stops with the loop at exit).
    if (!loop_running_.load()) continue;
    const double stalled_s = (now - heartbeat_us_.load()) / 1e6;
    if (stalled_s > kStallWarningS) {
      if (!stall_reported_us || now - stall_reported_us > 10 * G_USEC_PER_SEC) {
        LOG_ERROR << "the main loop has not run for " << static_cast<int>(stalled_s)
                  << " s: HTTP, WebSocket and room control are not answered (gdb -p " << getpid()
                  << " -batch -ex 'thread apply all bt' shows who waits on whom)";
        stall_reported_us = now;
      }
    } else if (stall_reported_us) {
      LOG_WARN << "the main loop runs again";
      stall_reported_us = 0;
    }
  }
}

}  // namespace mixcast
