// Replies of the HTTP layer: JSON bodies, typed errors, and requests that
// are answered later (the message is paused and held until then).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/api_error.h"

namespace mixcast {

void send_json(SoupServerMessage* msg, int status, const std::string& body);
// {"error": {"code": <status>, "message": <message>}}
void send_json_error(SoupServerMessage* msg, int status, const std::string& message);
// With Retry-After when the error says when to try again.
void send_api_error(SoupServerMessage* msg, const ApiError& error);
// 429 with Retry-After (whole seconds), a limit's refusal.
void send_too_many(SoupServerMessage* msg, int64_t retry_after_s, const std::string& message);

// Holds a paused request until it is answered (or, if never, answers 500
// when the last copy goes away). Copies share the one request.
class DeferredReply {
 public:
  explicit DeferredReply(SoupServerMessage* msg);
  SoupServerMessage* message() const { return state_->msg; }
  // Call after setting the response: sends it.
  void finish() const;

 private:
  struct State {
    SoupServerMessage* msg = nullptr;
    bool finished = false;
    ~State();
  };
  std::shared_ptr<State> state_;
};

}  // namespace mixcast
