#include "core/profile.h"

#include "core/yaml_guard.h"
#include "core/yaml_keys.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mixcast {

namespace {

const std::vector<std::string> kKinds = {"video", "audio"};
const std::vector<std::string> kCodecs = {"h264", "vp8", "aac", "opus"};

FileIssue issue_at(const std::string& file, const YAML::Mark& mark, std::string field,
                   std::string message) {
  return FileIssue{file, mark.line + 1, mark.column + 1, std::move(field), std::move(message)};
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

EncoderProfile parse_profile(const std::string& yaml_text, const std::string& file) {
  IssueList issues;
  EncoderProfile profile;
  profile.file = file;
  profile.name = std::filesystem::path(file).stem().string();
  check_yaml_terminates(yaml_text, file);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    issues.add(issue_at(file, e.mark, "", "malformed YAML: " + e.msg));
    issues.throw_if_any();
  }
  if (!root.IsMap()) {
    issues.add(FileIssue{file, 1, 0, "", "an encoder profile must be a YAML mapping"});
    issues.throw_if_any();
  }
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (!value.IsScalar()) {
      issues.add(issue_at(file, value.Mark(), key, "must be a string"));
      continue;
    }
    if (key == "kind") {
      profile.kind = value.as<std::string>();
      if (!contains(kKinds, profile.kind))
        issues.add(issue_at(file, value.Mark(), key, "must be video or audio"));
    } else if (key == "codec") {
      profile.codec = value.as<std::string>();
      if (!contains(kCodecs, profile.codec))
        issues.add(issue_at(file, value.Mark(), key, "must be one of h264, vp8, aac, opus"));
    } else if (key == "description") {
      profile.description = value.as<std::string>();
    } else if (key == "launch") {
      profile.launch = value.as<std::string>();
      profile.launch_line = value.Mark().line + 1;
    } else {
      static constexpr std::string_view kKeys[] = {"kind", "codec", "description", "launch"};
      issues.add(issue_at(file, entry.first.Mark(), key, unknown_key_message(key, kKeys)));
    }
  }
  for (const char* required : {"kind", "codec", "launch"}) {
    if (!root[required]) issues.add(FileIssue{file, 1, 0, required, "missing"});
  }
  if (!profile.kind.empty() && !profile.codec.empty()) {
    const bool video_codec = profile.codec == "h264" || profile.codec == "vp8";
    if (video_codec != (profile.kind == "video"))
      issues.add(issue_at(file, root["codec"].Mark(), "codec",
                          profile.codec + " does not match kind " + profile.kind));
  }
  issues.throw_if_any();
  return profile;
}

std::map<std::string, EncoderProfile> load_profiles(const std::string& dir) {
  std::map<std::string, EncoderProfile> profiles;
  IssueList issues;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  if (ec) {
    issues.add(FileIssue{dir, 0, 0, "", "cannot read encoder profile directory: " + ec.message()});
    issues.throw_if_any();
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    try {
      auto profile = parse_profile(text.str(), path.string());
      profiles.emplace(profile.name, std::move(profile));
    } catch (const FileError& e) {
      for (const auto& issue : e.issues()) issues.add(issue);
    }
  }
  issues.throw_if_any();
  return profiles;
}

std::string expand_launch(const EncoderProfile& profile, const ProfileVars& vars,
                          IssueList& issues) {
  std::string out;
  const std::string& in = profile.launch;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '{') {
      out += in[i];
      continue;
    }
    const size_t close = in.find('}', i);
    if (close == std::string::npos) {
      issues.add(FileIssue{profile.file, profile.launch_line, 0, "launch", "unclosed '{'"});
      return out;
    }
    const std::string name = in.substr(i + 1, close - i - 1);
    const auto it = vars.find(name);
    if (it == vars.end()) {
      issues.add(FileIssue{profile.file, profile.launch_line, 0, "launch",
                           "unknown placeholder {" + name + "}"});
    } else {
      out += it->second;
    }
    i = close;
  }
  return out;
}

}  // namespace mixcast
