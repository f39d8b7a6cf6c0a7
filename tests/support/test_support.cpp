#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace mixcast::testing {

std::string source_root() {
  return MIXCAST_SOURCE_ROOT;
}
std::string mixcast_binary() {
  return MIXCAST_BINARY;
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mixcast-" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("MIXCAST_KEEP_TEST_FILES")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool wait_until(const std::function<bool()>& condition, double timeout_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

namespace {

// Our environment as the child gets it: MIXCAST_CHILD_X=v here is X=v there
// (and replaces any X of ours). A sanitizer build runs a light harness
// (cheap unwinding, no leak check) that starts the server with the full
// checks (MIXCAST_CHILD_ASAN_OPTIONS, meson.build); a benchmark traces the
// server alone (MIXCAST_CHILD_GST_TRACERS, MIXCAST_CHILD_GST_DEBUG).
std::vector<std::string> child_environment() {
  constexpr std::string_view kChild = "MIXCAST_CHILD_";
  std::vector<std::string> overrides, names;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    if (entry.substr(0, kChild.size()) != kChild || entry.find('=') == std::string_view::npos)
      continue;
    overrides.emplace_back(entry.substr(kChild.size()));
    names.push_back(overrides.back().substr(0, overrides.back().find('=') + 1));
  }
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return entry.substr(0, n.size()) == n;
    });
    if (!replaced) env.emplace_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

}  // namespace

Process::Process(const std::vector<std::string>& argv, const std::string& log_file,
                 const std::string& working_dir)
    : log_file_(log_file) {
  // Everything the child needs is made before the fork: in the child of a
  // threaded process only async-signal-safe calls are sound (no malloc).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::vector<std::string> env = child_environment();
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (!working_dir.empty() && chdir(working_dir.c_str()) != 0) _exit(126);
    execvpe(args[0], args.data(), envp.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
}

Process::~Process() {
  if (running()) stop(SIGKILL, 5);
}

bool Process::running() {
  if (pid_ <= 0 || exited_) return false;
  const pid_t r = waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) exited_ = true;
  return !exited_;
}

int Process::stop(int sig, double timeout_s) {
  if (!running()) return status_;
  kill(pid_, sig);
  if (wait_until([this] { return !running(); }, timeout_s)) return status_;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  exited_ = true;
  return -1;
}

HttpResponse http_get(int port, const std::string& path) {
  // Generous: on the 2-core CI machine, with the suites running in parallel,
  // a recordings listing (the discoverer reads every finished file) once
  // took more than 5 s. The tests check answers, not their speed.
  return http_request("GET", port, path, "", "", "127.0.0.1", 15);
}

HttpResponse http_request(const std::string& method, int port, const std::string& path,
                          const std::string& body, const std::string& content_type,
                          const std::string& host, double timeout_s) {
  HttpResponse response;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{static_cast<time_t>(timeout_s), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return response;
  }
  std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may refuse a large body early
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  return parse_http_response(raw);
}

HttpResponse parse_http_response(const std::string& raw) {
  HttpResponse response;
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || head_end == std::string::npos) return response;
  response.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);  // status line
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A repeated header (Link, ...) reads as one comma-separated value.
    std::string& value = response.headers[name];
    if (!value.empty()) value += ", ";
    const size_t start = line.find_first_not_of(' ', colon + 1);
    if (start != std::string::npos) value += line.substr(start);
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

std::string run_command(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    if (exit_code) *exit_code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

ServerUnderTest::ServerUnderTest(const std::string& name) : dir_(name) {}

bool ServerUnderTest::start(const std::string& config_yaml, double timeout_s, const Ready& ready) {
  port_ = free_tcp_port();
  std::string config = config_yaml;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = config.find(from, pos)) != std::string::npos; pos += to.size())
      config.replace(pos, from.size(), to);
  };
  replace_all("{port}", std::to_string(port_));
  replace_all("{dir}", dir_.path());
  replace_all("{root}", source_root());
  write_file(dir_.file("mixcast.yaml"), config);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{mixcast_binary(), "--config", dir_.file("mixcast.yaml")},
      dir_.file("server.log"), dir_.path());
  return wait_until(
      [&] {
        return process_->running() &&
               (ready ? ready(port_) : http_get(port_, "/healthz").status == 200);
      },
      timeout_s);
}

std::string ServerUnderTest::log() const {
  return read_file(dir_.file("server.log"));
}

}  // namespace mixcast::testing
