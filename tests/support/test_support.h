// Helpers shared by the pipeline and integration tests: temporary
// directories, free ports, child processes (the real server binary, nginx),
// a tiny blocking HTTP client and shell commands (ffprobe, ffmpeg).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mixcast::testing {

// The project's source root and the built server binary (set by meson).
std::string source_root();
std::string mixcast_binary();

// A fresh directory under $TMPDIR (or /tmp), removed by the destructor
// unless MIXCAST_KEEP_TEST_FILES is set.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

// Polls `condition` every 100 ms until it holds or `timeout_s` passes.
bool wait_until(const std::function<bool()>& condition, double timeout_s);

// A child process whose stdout and stderr go to `log_file`. Killed (SIGKILL)
// by the destructor if still running.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& log_file,
          const std::string& working_dir = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `signal` and waits up to `timeout_s` for the exit; returns the exit
  // status as from waitpid (or -1 on timeout, after which it is SIGKILLed).
  int stop(int signal, double timeout_s);
  const std::string& log_file() const { return log_file_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string log_file_;
};

struct HttpResponse {
  int status = 0;                              // 0: no connection
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};
// A raw HTTP/1.x answer: status, headers (names lower-cased, repeats joined
// with ", ") and what follows the blank line; status 0 when it is none.
HttpResponse parse_http_response(const std::string& raw);
// GET http://127.0.0.1:port/path with a 15 s timeout.
HttpResponse http_get(int port, const std::string& path);
// Any method, with a body, to `host` (default loopback); `timeout_s` per read.
HttpResponse http_request(const std::string& method, int port, const std::string& path,
                          const std::string& body = "", const std::string& content_type = "",
                          const std::string& host = "127.0.0.1", double timeout_s = 10);

// Runs a shell command, returns its stdout; `exit_code` gets the exit status.
std::string run_command(const std::string& command, int* exit_code = nullptr);

// The real server on a temporary config. `config_yaml` is written to
// <dir>/mixcast.yaml with "{port}", "{dir}", "{root}" replaced by the HTTP
// port, the temporary directory and the source root.
class ServerUnderTest {
 public:
  explicit ServerUnderTest(const std::string& name);
  // Whether the server on `port` is up; the default asks /healthz over plain HTTP.
  using Ready = std::function<bool(int port)>;
  // Starts the server and waits until it is ready (false on timeout).
  bool start(const std::string& config_yaml, double timeout_s = 20, const Ready& ready = {});
  int port() const { return port_; }
  const TempDir& dir() const { return dir_; }
  Process* process() { return process_.get(); }
  std::string log() const;
  HttpResponse get(const std::string& path) const { return http_get(port_, path); }

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace mixcast::testing
