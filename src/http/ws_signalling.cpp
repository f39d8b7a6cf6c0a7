#include "http/ws_signalling.h"

#include <glib.h>

#include "base/glib_ptr.h"

namespace mixcast {

void WsSignalling::send(uint64_t client, const std::string& json) {
  auto it = peers_.find(client);
  if (it != peers_.end()) it->second.client->send(json);
}

void WsSignalling::on_message(WebSocketClient& client, const WsMessage& message) {
  Peer& peer = peers_[client.id()];
  peer.client = &client;
  if (message.type == "join") {
    join(client, message);
  } else if (message.type == "watch") {
    watch(client, message);
  } else if (message.type == "candidate") {
    candidate(client, message);
  } else if (message.type == "leave") {
    leave(client.id(), "left");
    client.close();
  } else {
    client.send_error(400, "unknown message type '" + message.type + "'");
  }
}

void WsSignalling::watch(WebSocketClient& client, const WsMessage& message) {
  Peer& peer = peers_[client.id()];
  if (!peer.room.empty()) {
    client.send_error(409, "this WebSocket is already in room '" + peer.room + "'");
    return;
  }
  std::string display_name;
  if (!authorize(client, message, AccessNeed::subscribe(message.room), display_name)) return;
  ApiError refused;
  auto status = backend_.room_to_watch(message.room, refused);
  if (!status) {
    client.send_error(refused.status(), refused.message);
    return;
  }
  peer.room = message.room;
  client.send(room_state_message(*status));
}

void WsSignalling::candidate(WebSocketClient& client, const WsMessage& message) {
  Peer& peer = peers_[client.id()];
  if (peer.session.empty() && !peer.joining) {
    client.send_error(409, "join before sending candidates");
    return;
  }
  if (message.candidate.empty()) return;  // end of the client's candidates
  std::string line = message.candidate;
  if (line.rfind("a=", 0) == 0) line.erase(0, 2);
  if (peer.joining) {
    constexpr size_t kMaxEarlyCandidates = 64;
    if (peer.early_candidates.size() < kMaxEarlyCandidates)
      peer.early_candidates.emplace_back(message.mline, line);
    return;
  }
  backend_.session_trickle(peer.kind, peer.room, peer.session, {{message.mline, line}});
}

void WsSignalling::join(WebSocketClient& client, const WsMessage& message) {
  Peer& peer = peers_[client.id()];
  if (peer.joining || !peer.session.empty()) {
    client.send_error(409, "this WebSocket has already joined");
    return;
  }
  if (!peer.room.empty() && peer.room != message.room) {
    client.send_error(409, "this WebSocket is watching room '" + peer.room + "'");
    return;
  }
  if (message.role != "" && message.role != "publisher" && message.role != "viewer") {
    client.send_error(400, "'role' is publisher or viewer");
    return;
  }
  // Credentials first: a caller without them learns nothing about its offer.
  const Session kind = message.role == "viewer" ? Session::Viewer : Session::Publisher;
  std::string display_name = message.name;
  if (!authorize(client, message,
                 kind == Session::Viewer ? AccessNeed::subscribe(message.room)
                                         : AccessNeed::publish(message.room),
                 display_name))
    return;
  std::string error;
  auto offer = parse_sdp_offer(message.sdp, error);
  if (!offer) {
    client.send_error(400, "bad SDP offer: " + error);
    return;
  }
  const uint64_t id = client.id();
  peer.joining = true;
  peer.kind = kind;
  auto on_candidate = [this, t = lifetime_.token(), id](int mline, const std::string& line) {
    if (!Lifetime::alive(t)) return;
    JsonWriter out;
    out.begin_object().field("type", "candidate").field("mline", mline);
    send(id, out.field("candidate", line).end_object().text());
  };
  const std::string room = message.room;
  backend_.session_offer(
      kind, room, display_name, message.sdp, std::move(*offer), on_candidate,
      [this, t = lifetime_.token(), id, room, kind](int status, const std::string& body,
                                                    const std::string& session) {
        if (!Lifetime::alive(t)) return;
        auto it = peers_.find(id);
        if (it == peers_.end()) {
          // The socket closed while the answer was being made. Not from
          // inside the session's own callback: end it from the main loop.
          if (status == 201)
            post_to_main([this, t, kind, room, session] {
              if (Lifetime::alive(t)) backend_.session_end(kind, room, session, "WebSocket closed");
            });
          return;
        }
        Peer& p = it->second;
        p.joining = false;
        const auto early = std::exchange(p.early_candidates, {});
        if (status != 201) {
          p.client->send_error(status, body);
          return;
        }
        const bool had_room = !p.room.empty();
        p.room = room;
        p.session = session;
        if (!early.empty()) backend_.session_trickle(kind, room, session, early);
        JsonWriter answer;
        answer.begin_object().field("type", "answer").field("room", room);
        p.client->send(answer.field("id", session).field("sdp", body).end_object().text());
        if (!had_room) {
          ApiError ignored;
          if (auto state = backend_.room_to_watch(room, ignored))
            p.client->send(room_state_message(*state));
        }
      });
}

bool WsSignalling::authorize(WebSocketClient& client, const WsMessage& message,
                             const AccessNeed& need, std::string& display_name) {
  if (!access_.enabled()) return true;
  const std::string& token = client.url_token().empty() ? message.token : client.url_token();
  std::optional<std::string_view> credential;
  if (!token.empty()) credential = token;
  const AccessDecision decision =
      access_.check(credential, need, static_cast<int64_t>(g_get_real_time() / 1000000));
  if (!decision.allowed) {
    client.send_error(decision.status, decision.message);
    return false;
  }
  // The token names its bearer; the message's name is only a fallback.
  if (decision.grant)
    display_name = decision.grant->name.empty() ? decision.grant->identity : decision.grant->name;
  return true;
}

void WsSignalling::leave(uint64_t client, const std::string& reason) {
  auto it = peers_.find(client);
  if (it == peers_.end() || it->second.session.empty()) return;
  const std::string session = std::exchange(it->second.session, "");
  backend_.session_end(it->second.kind, it->second.room, session, reason);
}

void WsSignalling::on_closed(WebSocketClient& client) {
  leave(client.id(), "WebSocket closed");
  peers_.erase(client.id());
}

void WsSignalling::on_room_event(const std::string& room, const RoomEvent& event) {
  const std::string message = room_event_message(event);
  const bool departure =
      event.kind == RoomEventKind::ParticipantLeft || event.kind == RoomEventKind::ViewerLeft;
  for (auto& [id, peer] : peers_) {
    if (peer.room != room) continue;
    if (departure && !peer.session.empty() && peer.session == event.id) {
      // This client's own session ended (DELETE, a kick, ICE failure, timeout).
      peer.session.clear();
      JsonWriter out;
      out.begin_object().field("type", "left").field("reason", event.detail);
      peer.client->send(out.end_object().text());
      peer.client->close();
      continue;
    }
    if (event.is_viewer_event()) continue;  // viewers are not shown to others
    peer.client->send(message);
  }
}

void WsSignalling::on_room_closing(const std::string& room, const std::string& why) {
  // Its watchers hear it, and the name is free for a new room at once.
  for (auto& [id, peer] : peers_) {
    if (peer.room != room) continue;
    JsonWriter out;
    peer.client->send(out.begin_object()
                          .field("type", "room_closed")
                          .field("room", room)
                          .field("reason", why)
                          .end_object()
                          .text());
    peer.room.clear();
    peer.session.clear();
    peer.client->close();
  }
}

}  // namespace mixcast
