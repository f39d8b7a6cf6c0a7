// What the WebRTC endpoints (WHIP, WHEP) and the WebSocket ask of the rooms:
// sessions started, trickled into and ended. Implemented by the server; every
// call on the main loop.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/api_error.h"
#include "core/room_status.h"
#include "core/sdp_offer.h"

namespace mixcast {

class SessionBackend {
 public:
  enum class Session { Publisher, Viewer };
  // The HTTP status, the body (an SDP answer, or an error message) and, on
  // success (201), the session id; exactly once, on the main loop.
  using OfferReply =
      std::function<void(int status, const std::string& body, const std::string& session)>;
  // Each local ICE candidate with its m-line index, then "" at the end.
  using CandidateCallback = std::function<void(int mline, const std::string& candidate)>;

  // Without `on_candidate` the answer waits for ICE gathering and carries
  // every candidate (WHIP/WHEP); with it the candidates trickle (WebSocket).
  virtual void session_offer(Session kind, const std::string& room, const std::string& name,
                             std::string offer_sdp, SdpOffer offer, CandidateCallback on_candidate,
                             OfferReply reply) = 0;
  // False when there is no such session.
  virtual bool session_end(Session kind, const std::string& room, const std::string& session,
                           const std::string& reason) = 0;
  virtual bool session_trickle(Session kind, const std::string& room, const std::string& session,
                               const std::vector<std::pair<int, std::string>>& candidates) = 0;
  // A room to watch (made on demand when the config allows): its status, or
  // why not.
  virtual std::optional<RoomStatus> room_to_watch(const std::string& room, ApiError& error) = 0;

 protected:
  ~SessionBackend() = default;
};

}  // namespace mixcast
