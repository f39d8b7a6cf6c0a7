#include "http/reply.h"

#include "http/json_util.h"

#include <algorithm>

namespace mixcast {

void send_json(SoupServerMessage* msg, int status, const std::string& body) {
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body.data(),
                                   body.size());
}

void send_json_error(SoupServerMessage* msg, int status, const std::string& message) {
  send_json(msg, status, json_error(status, message));
}

void send_api_error(SoupServerMessage* msg, const ApiError& error) {
  if (error.retry_after_s > 0)
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                                 std::to_string(error.retry_after_s).c_str());
  send_json(msg, error.status(), json_error(error));
}

void send_too_many(SoupServerMessage* msg, int64_t retry_after_s, const std::string& message) {
  ApiError error = api_error(ErrorKind::TooManyRequests, message);
  error.retry_after_s = int(std::max<int64_t>(retry_after_s, 1));
  send_api_error(msg, error);
}

DeferredReply::DeferredReply(SoupServerMessage* msg) : state_(std::make_shared<State>()) {
  state_->msg = msg;
  g_object_ref(msg);
  soup_server_message_pause(msg);
}

void DeferredReply::finish() const {
  if (state_->finished) return;
  state_->finished = true;
  soup_server_message_unpause(state_->msg);
}

DeferredReply::State::~State() {
  if (!finished) {
    send_json_error(msg, 500, "the request was dropped without an answer");
    soup_server_message_unpause(msg);
  }
  g_object_unref(msg);
}

}  // namespace mixcast
