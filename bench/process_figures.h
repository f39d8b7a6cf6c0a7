// What the benchmarks read of another process from /proc (the server's):
// CPU time, resident memory, open descriptors and threads.
#pragma once

#include <sys/types.h>

namespace mixcast::testing {

struct ProcessFigures {
  double cpu_s = 0;  // utime + stime
  long hwm_kib = 0;  // VmHWM
  long rss_kib = 0;  // VmRSS
  long fds = 0;      // entries of /proc/PID/fd
  long threads = 0;  // entries of /proc/PID/task
};

// Zeros (and fds/threads -1) for what cannot be read.
ProcessFigures read_process(pid_t pid);

}  // namespace mixcast::testing
