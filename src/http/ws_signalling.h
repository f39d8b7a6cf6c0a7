// The WebSocket protocol of /ws (docs/http-api.md): browsers join a room as
// publisher or viewer (SDP offer, trickled candidates), watch its events,
// and leave. One WsSignalling serves every client of the HTTP server; the
// WebRTC sessions themselves are the backend's. Main loop only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/lifetime.h"
#include "core/access.h"
#include "core/room_status.h"
#include "http/json_util.h"
#include "http/session_backend.h"
#include "http/websocket.h"

namespace mixcast {

class WsSignalling {
 public:
  WsSignalling(SessionBackend& backend, const AccessControl& access)
      : backend_(backend), access_(access) {}

  void on_message(WebSocketClient& client, const WsMessage& message);
  // The client is going: its session, if any, ends.
  void on_closed(WebSocketClient& client);
  // Events of `room` go to its clients; a client's own departure ends it.
  void on_room_event(const std::string& room, const RoomEvent& event);
  // The room closes: its clients hear `room_closed` and are let go.
  void on_room_closing(const std::string& room, const std::string& why);

 private:
  using Session = SessionBackend::Session;
  // What a WebSocket client is doing in which room.
  struct Peer {
    WebSocketClient* client = nullptr;
    std::string room;  // set by join or watch
    Session kind = Session::Publisher;
    std::string session;   // participant or viewer id once joined
    bool joining = false;  // the answer is on its way
    // A browser trickles candidates as soon as it has made its offer, before
    // the answer: they wait here until the session exists.
    std::vector<std::pair<int, std::string>> early_candidates;
  };

  void join(WebSocketClient& client, const WsMessage& message);
  void watch(WebSocketClient& client, const WsMessage& message);
  void candidate(WebSocketClient& client, const WsMessage& message);
  // Whether the client may do `need`: its URL's token, else the message's.
  // Sends the error and returns false when not; a token names its bearer.
  bool authorize(WebSocketClient& client, const WsMessage& message, const AccessNeed& need,
                 std::string& display_name);
  // Ends the client's own session, if it has one.
  void leave(uint64_t client, const std::string& reason);
  void send(uint64_t client, const std::string& json);

  SessionBackend& backend_;
  const AccessControl& access_;
  std::map<uint64_t, Peer> peers_;
  Lifetime lifetime_;
};

}  // namespace mixcast
