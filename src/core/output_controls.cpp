#include "core/output_controls.h"

#include <cctype>
#include <cmath>

namespace mixcast {

namespace {

ApiError bad(std::string field, std::string message) {
  return api_error(ErrorKind::BadRequest, std::move(message), std::move(field));
}

bool positive(double value) {
  return value > 0 && std::isfinite(value);
}

}  // namespace

ApiResult check_rtmp_output(const RtmpConfig& rtmp) {
  const std::string& url = rtmp.url;
  std::string rest;
  for (const char* scheme : {"rtmp://", "rtmps://"})
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  if (url.empty()) return bad("url", "url is required (rtmp://... or rtmps://...)");
  if (rest.empty() || rest[0] == '/' || rest[0] == ':')
    return bad("url", "url must be rtmp://host/... or rtmps://host/...");
  for (unsigned char c : url)
    if (std::iscntrl(c) || std::isspace(c)) return bad("url", "url must not contain spaces");
  if (!rtmp.name.empty()) {
    if (!valid_room_name(rtmp.name))
      return bad("name", "name must be 1 to 64 characters from A-Z a-z 0-9 _ -");
    if (rtmp.name == kHlsOutputName || rtmp.name == kRecordingOutputName)
      return bad("name", "\"" + rtmp.name + "\" is the name of the room's own output");
  }
  if (rtmp.max_retries < -1)
    return bad("max_retries", "max_retries must be -1 (retry forever) or more");
  if (!positive(rtmp.backoff_max_s)) return bad("backoff_max_s", "backoff_max_s must be > 0");
  if (!positive(rtmp.backoff_initial_s) || rtmp.backoff_initial_s > rtmp.backoff_max_s)
    return bad("backoff_initial_s", "backoff_initial_s must be > 0 and at most backoff_max_s");
  if (!positive(rtmp.queue_s)) return bad("queue_s", "queue_s must be > 0");
  return std::nullopt;
}

std::string unique_output_name(const std::string& prefix,
                               const std::function<bool(const std::string&)>& taken) {
  for (int n = 0;; ++n) {
    std::string name = prefix + std::to_string(n);
    if (!taken(name)) return name;
  }
}

}  // namespace mixcast
