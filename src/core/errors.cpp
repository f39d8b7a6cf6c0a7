#include "core/errors.h"

namespace mixcast {

std::string FileIssue::to_string() const {
  std::string out = file.empty() ? std::string("<config>") : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

namespace {
std::string join_issues(const std::vector<FileIssue>& issues) {
  std::string out;
  for (const auto& issue : issues) {
    if (!out.empty()) out += "\n";
    out += issue.to_string();
  }
  return out;
}
}  // namespace

FileError::FileError(std::vector<FileIssue> issues)
    : std::runtime_error(join_issues(issues)), issues_(std::move(issues)) {}

void IssueList::throw_if_any() const {
  if (!issues_.empty()) throw FileError(issues_);
}

}  // namespace mixcast
