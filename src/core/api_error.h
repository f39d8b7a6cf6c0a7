// Typed failures of an operation an operator or a client asked for. The HTTP
// layer maps each kind to its status; nothing infers a status from an error's
// text.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace mixcast {

enum class ErrorKind {
  BadRequest,            // 400: a field is missing or has a bad value (`field` names it)
  Unauthorized,          // 401: no credentials, or bad ones
  Forbidden,             // 403: valid credentials without the grant
  NotFound,              // 404
  Conflict,              // 409: a name already taken, a state that does not allow it
  TooLarge,              // 413
  UnsupportedMediaType,  // 415
  Unprocessable,         // 422: a layout (or other file) that does not validate (`issues`)
  TooManyRequests,       // 429
  Unavailable,           // 503: the room is stopping, a limit of the server is reached
  Internal,              // 500
};
int http_status(ErrorKind kind);

struct ApiError {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  std::string field;              // the request field at fault, when there is one
  std::vector<FileIssue> issues;  // Unprocessable: every problem, with line and column
  // When the client may try again, in whole seconds (the Retry-After header);
  // 0: not said.
  int retry_after_s = 0;

  int status() const { return http_status(kind); }
};

// nullopt: the operation was done. Otherwise why it was not.
using ApiResult = std::optional<ApiError>;

inline ApiError api_error(ErrorKind kind, std::string message, std::string field = {}) {
  return ApiError{kind, std::move(message), std::move(field), {}, 0};
}

// The server is draining (SIGTERM): it takes no new session or room. 503,
// try again after `retry_after_s` (elsewhere, or here once restarted).
inline ApiError server_stopping_error(int retry_after_s) {
  ApiError error = api_error(ErrorKind::Unavailable, "the server is stopping");
  error.retry_after_s = retry_after_s;
  return error;
}

}  // namespace mixcast
