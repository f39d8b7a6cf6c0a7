// mixcastctl: mixcast's operator API from the command line, one request per
// command. See docs/mixcastctl.md (commands, environment, exit codes).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/api_client.h"
#include "ctl/api_request.h"
#include "ctl/command_line.h"
#include "ctl/exit_status.h"
#include "ctl/views.h"

namespace mixcast::ctl {
namespace {

void say(const std::string& line) {
  std::cerr << "mixcastctl: " << line << "\n";
}

std::optional<std::string> environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

// The body of a request from the file the command line names ("-": stdin).
bool read_input(const std::string& file, std::string& out) {
  std::stringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    out = text.str();
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    say("cannot read " + file + ": " + std::strerror(errno));
    return false;
  }
  text << in.rdbuf();
  out = text.str();
  return true;
}

std::string source_name(const ApiRequest& request) {
  return request.body_file == "-" ? "<stdin>" : request.body_file;
}

bool looks_like_json(const ApiClient::Response& response) {
  return response.content_type.rfind("application/json", 0) == 0;
}

// An answer that is not 2xx: its message and issues on stderr (and, for
// --json, the server's JSON on stdout); the status's exit code.
int failed(const ApiClient::Response& response, const ApiRequest& request,
           const GlobalOptions& global) {
  const ApiFailure failure = parse_failure(response.status, response.reason, response.body);
  for (const std::string& line : failure_lines(failure, source_name(request)))
    std::cerr << line << "\n";
  if (response.status == 401 && global.key.empty())
    say("hint: give the admin key with --key or MIXCAST_API_KEY");
  if (global.json && looks_like_json(response)) {
    std::cout << response.body;
    if (!response.body.empty() && response.body.back() != '\n') std::cout << "\n";
  }
  return code(exit_for_status(response.status));
}

int answered(const ApiClient::Response& response, const ApiRequest& request,
             const GlobalOptions& global) {
  if (exit_for_status(response.status) != Exit::Ok) return failed(response, request, global);
  if (global.json) {
    std::cout << response.body;
    if (!response.body.empty() && response.body.back() != '\n') std::cout << "\n";
  } else {
    std::cout << render(request, response.body);
  }
  return code(Exit::Ok);
}

uint64_t size_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<uint64_t>(st.st_size);
}

// recordings download: the body streams into the file; with --continue, a
// partial file is completed with a Range request.
int download(ApiClient& client, const ApiRequest& request, const GlobalOptions& global) {
  const std::string& path = request.output_path;
  const bool to_stdout = path == "-";
  const uint64_t local = request.resume ? size_of(path) : 0;
  std::FILE* file = nullptr;
  ResumeAction action = ResumeAction::Replace;
  auto sink = [&](const ApiClient::Response& head) -> std::FILE* {
    if (head.status != 200 && head.status != 206) return nullptr;
    action = resume_action(head.status, head.content_range, local);
    if (action == ResumeAction::Mismatch) return nullptr;
    if (to_stdout) return file = stdout;
    file = std::fopen(path.c_str(), action == ResumeAction::Append ? "ab" : "wb");
    if (!file) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    return file;
  };
  auto close = [&]() {
    if (!file || file == stdout) return file ? std::fflush(stdout) == 0 : true;
    const bool ok = std::fclose(file) == 0;
    file = nullptr;
    return ok;
  };

  uint64_t written = 0;
  ApiClient::Response response;
  try {
    response = client.download(request.path, local, sink, written);
  } catch (const Unreachable& e) {
    close();
    say(e.what());
    if (written > 0 && !to_stdout)
      say(std::to_string(local + written) + " bytes of " + path +
          " are there: run the same command with --continue to resume");
    return code(Exit::Unreachable);
  } catch (const std::exception& e) {
    close();
    say(e.what());
    return code(Exit::Other);
  }
  if (!close()) {
    say("cannot write " + path + ": " + std::strerror(errno));
    return code(Exit::Other);
  }
  if (response.status == 416 && local > 0) {
    // RFC 9110 asks for "Content-Range: bytes */SIZE" here; libsoup sends
    // none, so the size comes from a HEAD.
    std::string range = response.content_range;
    if (range.empty()) {
      try {
        const ApiClient::Response head = client.send("HEAD", request.path);
        if (head.status == 200 && head.content_length >= 0)
          range = "bytes */" + std::to_string(head.content_length);
      } catch (const Unreachable& e) {
        say(e.what());
        return code(Exit::Unreachable);
      }
    }
    if (resume_action(416, range, local) == ResumeAction::Complete) {
      say(path + " is already complete (" + std::to_string(local) + " bytes)");
      return code(Exit::Ok);
    }
    say(path + " has " + std::to_string(local) + " bytes, more than the recording (" +
        (range.empty() ? "size unknown" : range.substr(8) + " bytes") + "); nothing written");
    return code(Exit::Other);
  }
  if (response.status == 200 || response.status == 206) {
    if (action == ResumeAction::Mismatch) {
      say("the server's range (" + response.content_range + ") does not continue " + path + " at " +
          std::to_string(local) + " bytes; nothing written");
      return code(Exit::Other);
    }
    if (!to_stdout) {
      std::string summary = path + ": " + std::to_string(written) + " bytes written";
      if (action == ResumeAction::Append)
        summary += " after the " + std::to_string(local) + " already there";
      else if (local > 0)
        summary += " (the server sent the whole file again)";
      std::cerr << summary << "\n";
    }
    return code(Exit::Ok);
  }
  return failed(response, request, global);
}

int run(const std::vector<std::string>& args) {
  Invocation invocation;
  ApiRequest request;
  try {
    invocation = parse_command_line(args, environment);
    if (invocation.text) {
      std::cout << *invocation.text;
      return code(Exit::Ok);
    }
    request = request_for(invocation.command);
  } catch (const UsageError& e) {
    say(e.what());
    std::cerr << "Try 'mixcastctl --help' or 'mixcastctl COMMAND --help'.\n";
    return code(Exit::Usage);
  }
  const GlobalOptions& global = invocation.global;
  std::string body = request.body;
  if (!request.body_file.empty() && !read_input(request.body_file, body)) return code(Exit::Usage);

  std::unique_ptr<ApiClient> client;
  try {
    client = std::make_unique<ApiClient>(
        ApiClient::Options{global.server, global.key, global.cacert, global.timeout_s});
  } catch (const std::invalid_argument& e) {
    say(e.what());
    return code(Exit::Usage);
  }

  try {
    if (request.view == View::Download) return download(*client, request, global);
    const ApiClient::Response response =
        client->send(request.method, request.path, request.content_type, body);
    return answered(response, request, global);
  } catch (const Unreachable& e) {
    say(e.what());
    const std::string what = e.what();
    if (global.cacert.empty() && what.find("SSL") != std::string::npos)
      say("hint: for a server with a private CA, give its certificate with --cacert FILE");
    return code(Exit::Unreachable);
  } catch (const std::exception& e) {
    say(e.what());
    return code(Exit::Other);
  }
}

}  // namespace
}  // namespace mixcast::ctl

int main(int argc, char** argv) {
  const int status = mixcast::ctl::run(std::vector<std::string>(argv + 1, argv + argc));
  // Out without exit handlers: after a timeout, cpprest's thread pool may
  // still be freeing the abandoned TLS connection while OpenSSL's atexit
  // cleanup tears its locks down, and the two spin on each other forever.
  // Everything that matters (output, a downloaded file) is done by now.
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(status);
}
