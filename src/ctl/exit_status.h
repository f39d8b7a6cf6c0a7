// The exit codes scripts rely on, and the server's errors as mixcastctl
// prints them. The codes are documented in main_help() and docs/mixcastctl.md.
#pragma once

#include <string>
#include <vector>

namespace mixcast::ctl {

enum class Exit : int {
  Ok = 0,
  Other = 1,        // a local file not written, an unexpected answer, another status
  Usage = 2,        // the command line (or an input file it names)
  Auth = 3,         // 401, 403
  NotFound = 4,     // 404
  Rejected = 5,     // 400, 409, 413, 415, 422
  ServerError = 6,  // 5xx
  Unreachable = 7,  // no connection, TLS failure, no answer in time
};

inline int code(Exit exit) {
  return static_cast<int>(exit);
}

// The exit code of an HTTP answer with this status.
Exit exit_for_status(int status);

// One problem the server found in a body, with its place when it has one.
struct Issue {
  int line = 0;
  int column = 0;
  std::string field;
  std::string message;
};

// The server's {"error": {"code", "message", "field", "issues"}}; for a body
// that is not that (a proxy's HTML page), the reason phrase or the body's
// first line stands as the message.
struct ApiFailure {
  int status = 0;
  std::string message;
  std::string field;
  std::vector<Issue> issues;
};
ApiFailure parse_failure(int status, const std::string& reason, const std::string& body);

// "mixcastctl: 404: no room named 'x'", "... (field: uri)", then one line per
// issue: "SOURCE:LINE:COLUMN: field: message" (SOURCE is the file that was
// sent, or "request"; parts the server did not give are left out).
std::vector<std::string> failure_lines(const ApiFailure& failure, const std::string& source);

// The same shape for a problem of an issue list alone ("layouts validate").
std::string issue_line(const Issue& issue, const std::string& source);

}  // namespace mixcast::ctl
