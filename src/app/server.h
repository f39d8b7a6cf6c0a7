// The whole server: loads and checks the configuration, owns the rooms and
// the HTTP server, and stops everything cleanly on SIGINT/SIGTERM.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

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
  void session_offer(Session kind, const std::string& room, const std::string& name,
                     std::string offer_sdp, SdpOffer offer, OfferReply reply) override;
  bool session_delete(Session kind, const std::string& room, const std::string& session) override;
  bool session_trickle(Session kind, const std::string& room, const std::string& session,
                       const std::vector<std::pair<int, std::string>>& candidates) override;
  void on_room_event(const std::string& room, const std::string& event,
                     const std::string& detail) override;
  RoomSetup room_setup(const RoomConfig& room) const;

  LoadedConfig loaded_;
  std::unique_ptr<HttpServer> http_;
  std::map<std::string, std::unique_ptr<Room>> rooms_;
  GMainLoop* loop_ = nullptr;
  bool shutting_down_ = false;
  gint64 shutdown_started_us_ = 0;
};

}  // namespace mixcast
