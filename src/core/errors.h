// Errors found in operator-written files (config, layouts, encoder profiles).
// Every issue names the file, the line and the field so that an operator can
// go straight to the mistake.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace mixcast {

struct FileIssue {
  std::string file;   // path as given by the operator, or a label such as "<inline>"
  int line = 0;       // 1-based; 0 when unknown
  int column = 0;     // 1-based; 0 when unknown
  std::string field;  // dotted path of the field, e.g. "rooms[0].outputs.rtmp[1].url"
  std::string message;

  // "file:line:column: field: message" (parts that are unknown are left out).
  std::string to_string() const;
};

// Thrown by parsers and validators; carries every issue found, not only the first.
class FileError : public std::runtime_error {
 public:
  explicit FileError(std::vector<FileIssue> issues);
  const std::vector<FileIssue>& issues() const { return issues_; }

 private:
  std::vector<FileIssue> issues_;
};

// Collects issues while a file is walked; throws once at the end.
class IssueList {
 public:
  void add(FileIssue issue) { issues_.push_back(std::move(issue)); }
  bool empty() const { return issues_.empty(); }
  const std::vector<FileIssue>& issues() const { return issues_; }
  void append(const IssueList& other) {
    issues_.insert(issues_.end(), other.issues_.begin(), other.issues_.end());
  }
  // Throws FileError when any issue was added.
  void throw_if_any() const;

 private:
  std::vector<FileIssue> issues_;
};

}  // namespace mixcast
