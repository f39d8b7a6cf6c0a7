#include "core/http_route.h"

#include <array>
#include <vector>

namespace mixcast {

namespace {

using namespace std::string_view_literals;

// First match wins: a literal segment comes before a "{...}" in the same place.
constexpr std::array kTemplates = {
    "/"sv,
    "/metrics"sv,
    "/healthz"sv,
    "/ws"sv,
    "/whip/{room}"sv,
    "/whip/{room}/{session}"sv,
    "/whep/{room}"sv,
    "/whep/{room}/{session}"sv,
    "/hls/{room}/{file}"sv,
    "/recordings/{room}/"sv,  // the listing
    "/recordings/{room}/{file}"sv,
    "/api/v1/rooms"sv,
    "/api/v1/rooms/{room}"sv,
    "/api/v1/rooms/{room}/rebuild"sv,
    "/api/v1/rooms/{room}/participants"sv,
    "/api/v1/rooms/{room}/participants/{id}"sv,
    "/api/v1/rooms/{room}/sources"sv,
    "/api/v1/rooms/{room}/sources/{id}"sv,
    "/api/v1/rooms/{room}/layout"sv,
    "/api/v1/rooms/{room}/outputs"sv,
    "/api/v1/rooms/{room}/outputs/{output}"sv,
    "/api/v1/rooms/{room}/hls/{action}"sv,
    "/api/v1/rooms/{room}/recording/{action}"sv,
    "/api/v1/rooms/{room}/recordings"sv,
    "/api/v1/rooms/{room}/recordings/{file}"sv,
    "/api/v1/rooms/{room}/stats"sv,
    "/api/v1/layouts"sv,
    "/api/v1/layouts/validate"sv,
    "/api/v1/layouts/{layout}"sv,
    "/api/v1/tokens"sv,
    "/api/v1/reload"sv,
};

// Deeper than any template (or static page): no need to look further.
constexpr size_t kMaxSegments = 8;

// The segments after the leading '/': "/a//b/" is {"a", "", "b", ""}. Stops
// after kMaxSegments + 1, so that a huge path costs no more than a short one.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (segments.size() <= kMaxSegments) {
    const size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// What a "{...}" stands for: a name or id, never nothing or a step out.
bool is_value(std::string_view segment) {
  return !segment.empty() && segment != "." && segment != "..";
}

bool matches(std::string_view route, const std::vector<std::string_view>& segments) {
  const auto pattern = split_path(route);
  if (pattern.size() != segments.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const bool placeholder = pattern[i].starts_with('{');
    if (placeholder ? !is_value(segments[i]) : pattern[i] != segments[i]) return false;
  }
  return true;
}

}  // namespace

std::span<const std::string_view> route_templates() {
  return kTemplates;
}

std::string_view method_label(std::string_view method) {
  for (std::string_view known :
       {"GET"sv, "HEAD"sv, "POST"sv, "PUT"sv, "PATCH"sv, "DELETE"sv, "OPTIONS"sv})
    if (method == known) return known;
  return "other";
}

std::string route_label(std::string_view method, std::string_view path) {
  if (method_label(method) == "other") return "other";
  path = path.substr(0, path.find_first_of("?#"));
  if (!path.starts_with('/')) return "other";
  const auto segments = split_path(path);
  for (std::string_view route : kTemplates)
    if (matches(route, segments)) return std::string(route);

  const std::string_view first = segments[0];
  if (first == "api")
    return segments.size() >= 2 && segments[1] == "v1" ? "/api/v1/other" : "other";
  for (std::string_view routed :
       {"metrics"sv, "healthz"sv, "ws"sv, "whip"sv, "whep"sv, "hls"sv, "recordings"sv})
    if (first == routed) return "other";
  if (segments.size() > 3) return "other";
  for (std::string_view segment : segments)
    if (!is_value(segment)) return "other";
  return "/{page}";
}

bool starts_something_new(std::string_view method, std::string_view path) {
  if (method != "POST") return false;
  const std::string route = route_label(method, path);
  return route == "/whip/{room}" || route == "/whep/{room}" || route == "/api/v1/rooms" ||
         route == "/api/v1/rooms/{room}/sources" || route == "/api/v1/rooms/{room}/outputs";
}

}  // namespace mixcast
