// The pure decisions behind the operator's output controls (Room's
// add_rtmp_output and friends): what a new RTMP destination may look like,
// and what it is called when the operator gives no name.
#pragma once

#include <functional>
#include <string>

#include "core/api_error.h"
#include "core/config.h"

namespace mixcast {

// The names of the room's own HLS and recording outputs: never an RTMP name.
inline constexpr const char* kHlsOutputName = "hls";
inline constexpr const char* kRecordingOutputName = "recording";

// A destination the operator asks for, checked as the config file's are
// (docs/configuration.md, rtmp): a URL starting rtmp:// or rtmps:// with a
// host (field "url"); a name, when given, of 1-64 characters A-Z a-z 0-9 _ -
// that is not "hls" or "recording" (field "name"); retries, backoff and
// queue in range. Uniqueness in the room is the room's check (Conflict).
ApiResult check_rtmp_output(const RtmpConfig& rtmp);

// "<prefix><N>" for the smallest N >= 0 that is not `taken`.
std::string unique_output_name(const std::string& prefix,
                               const std::function<bool(const std::string&)>& taken);

}  // namespace mixcast
