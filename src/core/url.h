// URL helpers for logs and the API. Pure code.
#pragma once

#include <string>

namespace mixcast {

// Hides what a stream URL must not leak into logs or the API: user info and
// the stream key (the last path segment) of RTMP URLs.
// "rtmp://user:secret@host/app/key" -> "rtmp://host/app/***".
std::string redact_url(const std::string& url);

}  // namespace mixcast
