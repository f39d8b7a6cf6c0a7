// The supervisor bounds a stop even when the main loop is stuck: it says in
// the log that the loop has not turned, takes SIGTERM on its own thread, and
// ends the process after shutdown_timeout_s. Each case runs in a child
// process (the signals and the exit are the point).
#include <glib.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "app/supervisor.h"

namespace {

struct Child {
  pid_t pid = -1;
  int log_fd = -1;  // the child's stderr
};

// A child whose main loop runs `stuck_after_s` seconds and then blocks for
// good (a state change waiting on a streaming thread, say), or never blocks
// when negative.
Child start_child(double shutdown_timeout_s, double stuck_after_s) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    mixcast::Supervisor::block_signals();
    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    mixcast::Supervisor::start(shutdown_timeout_s, [loop] { g_main_loop_quit(loop); });
    if (stuck_after_s >= 0)
      g_timeout_add(
          static_cast<guint>(stuck_after_s * 1000),
          [](gpointer) -> gboolean {
            for (;;) pause();
          },
          nullptr);
    g_main_loop_run(loop);
    _exit(0);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Waits up to `timeout_s` for the child; its exit status, or -1.
int wait_exit(pid_t pid, double timeout_s, double* took_s) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      *took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() - start > std::chrono::duration<double>(timeout_s)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string read_all(int fd) {
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, size_t(n));
  close(fd);
  return out;
}

}  // namespace

TEST(Supervisor, SigtermStopsAHealthyLoopCleanly) {
  Child child = start_child(5.0, -1);
  ASSERT_GT(child.pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child.pid, SIGTERM);
  double took = 0;
  EXPECT_EQ(wait_exit(child.pid, 5, &took), 0) << "the main loop's own stop";
  EXPECT_LT(took, 1.0);
  const std::string log = read_all(child.log_fd);
  EXPECT_EQ(log.find("has not run"), std::string::npos) << log;
}

TEST(Supervisor, AStuckLoopIsReportedAndSigtermStillEndsTheProcessInTime) {
  Child child = start_child(1.5, 0.2);
  ASSERT_GT(child.pid, 0);
  // Stuck from 0.2 s on: reported after 2 s without a turn.
  std::this_thread::sleep_for(std::chrono::milliseconds(2800));
  kill(child.pid, SIGTERM);
  double took = 0;
  const int status = wait_exit(child.pid, 10, &took);
  EXPECT_EQ(status, 1) << "ended by the supervisor, not by the loop";
  EXPECT_GT(took, 1.3);
  EXPECT_LT(took, 2.5) << "within shutdown_timeout_s (1.5 s)";
  const std::string log = read_all(child.log_fd);
  EXPECT_NE(log.find("the main loop has not run for 2 s"), std::string::npos) << log;
  EXPECT_NE(log.find("the stop did not finish within shutdown_timeout_s"), std::string::npos)
      << log;
}

TEST(Supervisor, ASecondSignalEndsAStuckProcessAtOnce) {
  Child child = start_child(30.0, 0.1);
  ASSERT_GT(child.pid, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child.pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  kill(child.pid, SIGTERM);
  double took = 0;
  EXPECT_EQ(wait_exit(child.pid, 5, &took), 1);
  EXPECT_LT(took, 1.0);
  EXPECT_NE(read_all(child.log_fd).find("second signal"), std::string::npos);
}

// SIGHUP is a reload, asked of the main loop, never a stop; once a stop was
// asked for, a SIGHUP is not passed on.
TEST(Supervisor, SighupAsksTheLoopToReloadAndNeverStopsIt) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    mixcast::Supervisor::block_signals();
    GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
    static int reloads = 0;
    mixcast::Supervisor::start(
        5.0,
        [loop] {
          // A stop that takes a while, as a drain does: SIGHUP meanwhile.
          g_timeout_add(
              600,
              [](gpointer l) -> gboolean {
                g_main_loop_quit(static_cast<GMainLoop*>(l));
                return G_SOURCE_REMOVE;
              },
              loop);
        },
        [] { std::fprintf(stderr, "reload %d\n", ++reloads); });
    g_main_loop_run(loop);
    _exit(0);
  }
  close(fds[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  kill(pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, WNOHANG), 0) << "SIGHUP stopped the process";
  kill(pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(pid, SIGHUP);
  double took = 0;
  EXPECT_EQ(wait_exit(pid, 5, &took), 0);
  const std::string log = read_all(fds[0]);
  EXPECT_NE(log.find("reload 1\n"), std::string::npos) << log;
  EXPECT_NE(log.find("reload 2\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("reload 3"), std::string::npos) << log;
  EXPECT_NE(log.find("SIGHUP while stopping: not reloading"), std::string::npos) << log;
}
