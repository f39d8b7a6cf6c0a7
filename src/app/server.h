// The whole server: loads and checks the configuration, owns the rooms and
// the HTTP server, and stops everything cleanly on SIGINT/SIGTERM.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/layout.h"
#include "core/profile.h"
#include "http/http_server.h"
#include "media/room.h"

namespace mixcast {

// Everything read from disk at start-up, checked as one: config, encoder
// profiles, the layout of every room, every source URI.
struct LoadedConfig {
  Config config;
  std::map<std::string, EncoderProfile> profiles;
  std::map<std::string, Layout> layouts;            // by layout name
  std::map<std::string, std::string> layout_files;  // by layout name
  std::vector<std::string> warnings;                // worth a line in the log at start
};

// Throws FileError listing every problem found.
LoadedConfig load_everything(const std::string& config_path);

class Server : public HttpServer::Backend, public Room::Listener {
 public:
  explicit Server(LoadedConfig loaded);
  virtual ~Server();

  // Starts HTTP and every room; returns false (after logging why) on failure.
  bool start();
  // Stops every room cleanly, then quits the main loop.
  void shutdown();
  int run();  // runs the main loop until shutdown

  Room* room(const std::string& name);

 private:
  std::vector<RoomStatus> room_statuses() const override;
  std::optional<RoomStatus> room_status(const std::string& name) const override;
  bool room_rebuild(const std::string& name) override;
  void session_offer(Session kind, const std::string& room, const std::string& name,
                     std::string offer_sdp, SdpOffer offer, OfferReply reply) override;
  bool session_delete(Session kind, const std::string& room, const std::string& session) override;
  bool session_trickle(Session kind, const std::string& room, const std::string& session,
                       const std::vector<std::pair<int, std::string>>& candidates) override;
  void ws_message(WebSocketClient& client, const WsMessage& message) override;
  void ws_closed(WebSocketClient& client) override;
  void on_room_event(const std::string& room, const RoomEvent& event) override;

  // Starts a WebRTC session in `room_name` (WHIP, WHEP or WebSocket). The
  // reply runs exactly once with 201 and the answer, or an error status.
  void start_session(Session kind, const std::string& room_name, const std::string& name,
                     std::string offer_sdp, SdpOffer offer,
                     WebRtcSession::CandidateCallback on_candidate, OfferReply reply);
  // Removes a WebRTC participant or viewer; false when there is none.
  bool end_session(Session kind, const std::string& room_name, const std::string& session,
                   const std::string& reason);
  void ws_join(WebSocketClient& client, const WsMessage& message);
  // Ends a WebSocket client's own session, if it has one.
  void ws_leave(uint64_t client, const std::string& reason);
  void ws_send(uint64_t client, const std::string& json);
  // For a room made on demand: (re)arms or cancels its idle close.
  void check_idle(const std::string& room_name);
  void close_room(const std::string& room_name);
  RoomSetup room_setup(const RoomConfig& room) const;
  WebRtcSettings webrtc_settings() const;
  // The room a WebRTC join goes to, created on demand when the config allows
  // it. nullptr with an HTTP status and message otherwise.
  Room* room_for_join(const std::string& name, int& status, std::string& error);

  // What a WebSocket client is doing in which room.
  struct WsPeer {
    WebSocketClient* client = nullptr;
    std::string room;  // set by join or watch
    Session kind = Session::Publisher;
    std::string session;   // participant or viewer id once joined
    bool joining = false;  // the answer is on its way
    // A browser trickles candidates as soon as it has made its offer, before
    // the answer: they wait here until the session exists.
    std::vector<std::pair<int, std::string>> early_candidates;
  };

  LoadedConfig loaded_;
  std::map<uint64_t, WsPeer> ws_peers_;
  // Rooms made on demand, open now; each closes after idle_room_close_s
  // without participants or viewers (its recording and playlist finished).
  std::map<std::string, SourceId> created_rooms_;                      // name -> pending close
  std::vector<std::shared_ptr<std::unique_ptr<Room>>> closing_rooms_;  // finishing their outputs
  std::unique_ptr<HttpServer> http_;
  std::map<std::string, std::unique_ptr<Room>> rooms_;
  GMainLoop* loop_ = nullptr;
  bool shutting_down_ = false;
};

}  // namespace mixcast
