#include "ctl/exit_status.h"

#include <cpprest/json.h>

#include "ctl/table.h"

namespace mixcast::ctl {

Exit exit_for_status(int status) {
  if (status >= 200 && status <= 299) return Exit::Ok;
  switch (status) {
    case 401:
    case 403:
      return Exit::Auth;
    case 404:
      return Exit::NotFound;
    case 400:
    case 409:
    case 413:
    case 415:
    case 422:
      return Exit::Rejected;
    default:
      break;
  }
  if (status >= 500 && status <= 599) return Exit::ServerError;
  return Exit::Other;
}

namespace {

std::string string_at(const web::json::object& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->second.is_string() ? it->second.as_string() : "";
}

int int_at(const web::json::object& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->second.is_number() && it->second.is_integer()
             ? it->second.as_integer()
             : 0;
}

std::string first_line(const std::string& text) {
  const size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  std::string line = text.substr(start, text.find_first_of("\r\n", start) - start);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

ApiFailure parse_failure(int status, const std::string& reason, const std::string& body) {
  ApiFailure failure;
  failure.status = status;
  std::error_code ec;
  const web::json::value root = web::json::value::parse(body, ec);
  if (!ec && root.is_object() && root.has_object_field("error")) {
    const web::json::object& error = root.at("error").as_object();
    failure.message = string_at(error, "message");
    failure.field = string_at(error, "field");
    auto issues = error.find("issues");
    if (issues != error.end() && issues->second.is_array()) {
      for (const auto& item : issues->second.as_array()) {
        if (!item.is_object()) continue;
        const web::json::object& issue = item.as_object();
        failure.issues.push_back({int_at(issue, "line"), int_at(issue, "column"),
                                  string_at(issue, "field"), string_at(issue, "message")});
      }
    }
  } else {
    failure.message = first_line(body);
  }
  if (failure.message.empty()) failure.message = reason.empty() ? "no message" : reason;
  return failure;
}

std::string issue_line(const Issue& issue, const std::string& source) {
  std::string line = source;
  if (issue.line > 0) {
    line += ":" + std::to_string(issue.line);
    if (issue.column > 0) line += ":" + std::to_string(issue.column);
  }
  line += ": ";
  if (!issue.field.empty()) line += issue.field + ": ";
  return printable(line + issue.message);
}

std::vector<std::string> failure_lines(const ApiFailure& failure, const std::string& source) {
  std::string first = "mixcastctl: " + std::to_string(failure.status) + ": " + failure.message;
  if (!failure.field.empty()) first += " (field: " + failure.field + ")";
  std::vector<std::string> lines{printable(first)};
  for (const Issue& issue : failure.issues)
    lines.push_back(issue_line(issue, source.empty() ? "request" : source));
  return lines;
}

}  // namespace mixcast::ctl
