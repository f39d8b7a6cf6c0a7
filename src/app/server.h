// The whole server: loads and checks the configuration, owns the rooms and
// the HTTP server, drains and stops everything cleanly on SIGINT/SIGTERM,
// and reloads the config on SIGHUP.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/room_registry.h"
#include "app/webhook_sender.h"
#include "core/config.h"
#include "core/layout.h"
#include "core/profile.h"
#include "http/http_server.h"
#include "http/operator_api.h"
#include "media/room.h"

namespace mixcast {

struct RoomDiff;

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
// `path` made absolute against the working directory, normalised.
std::string absolute_path(const std::string& path);

class Server : public HttpServer::Backend, public OperatorApi, private RoomRegistry::Listener {
 public:
  explicit Server(LoadedConfig loaded);
  virtual ~Server();

  // Starts HTTP and every room; returns false (after logging why) on failure.
  bool start();
  // Drains: new sessions and rooms are refused (503, Retry-After), the
  // WebSocket clients are told and closed, every room stops cleanly; then
  // the main loop quits.
  void shutdown();
  // Reads the config file again (SIGHUP; POST /api/v1/reload is
  // reload_config): a file with problems is logged and changes nothing;
  // otherwise what changed is applied where it can be live
  // (core/config_diff.h) and the rest is named as needing a restart.
  // Definitions: server_reload.cpp.
  void reload();
  int run();  // runs the main loop until shutdown

  Room* find_room(const std::string& name) { return registry_.find(name); }

 private:
  // OperatorApi (the REST API)
  std::vector<RoomStatus> rooms() const override;
  std::optional<RoomStatus> room(const std::string& name) const override;
  ApiResult create_room(const std::string& body, std::string& name) override;
  void delete_room(const std::string& name, Done done) override;
  ApiResult rebuild_room(const std::string& name) override;
  ApiResult change_participant(const std::string& room, const std::string& id,
                               const ParticipantChange& change) override;
  ApiResult kick_participant(const std::string& room, const std::string& id,
                             const std::string& reason) override;
  ApiResult add_source(const std::string& room, const SourceConfig& source,
                       std::string& id) override;
  std::vector<LayoutInfo> layouts() const override;
  ApiResult layout_text(const std::string& name, std::string& yaml) const override;
  ApiResult validate_layout(const std::string& yaml) const override;
  ApiResult apply_layout(const std::string& room, const std::string& name,
                         const std::string& yaml) override;
  ApiResult add_rtmp_output(const std::string& room, const RtmpConfig& rtmp) override;
  void remove_output(const std::string& room, const std::string& name, Done done) override;
  void output_action(const std::string& room, OutputAction action, Done done) override;
  void recordings(const std::string& room, RecordingsDone done) override;
  // The recordings directory of `room`, and the files its recording writes now.
  std::string recordings_dir(const std::string& room) const;
  std::vector<std::string> files_being_recorded(const std::string& room) const;
  ApiResult delete_recording(const std::string& room, const std::string& file) override;
  ApiResult mint_token(const TokenRequest& request, MintedToken& out) override;
  ApiResult reload_config(ReloadReport& out) override;

  // HttpServer::Backend (WHIP, WHEP, WebSocket, /metrics). A session's
  // reply runs exactly once with 201 and the answer, or an error status.
  void session_offer(Session kind, const std::string& room, const std::string& name,
                     std::string offer_sdp, SdpOffer offer, CandidateCallback on_candidate,
                     OfferReply reply) override;
  bool session_end(Session kind, const std::string& room, const std::string& session,
                   const std::string& reason) override;
  bool session_trickle(Session kind, const std::string& room, const std::string& session,
                       const std::vector<std::pair<int, std::string>>& candidates) override;
  std::optional<RoomStatus> room_to_watch(const std::string& room, ApiError& error) override;
  std::string metrics_text() override;

  // RoomRegistry::Listener
  std::unique_ptr<Room> make_room(const RoomConfig& config, Room::Listener& events) override;
  void on_room_event(const std::string& room, const RoomEvent& event) override;
  void on_room_opened(const std::string& room) override;
  void on_room_closing(const std::string& room, const std::string& why) override;
  void on_room_closed(const std::string& room) override;

  // A reload's changes of one open room of the config (server_reload.cpp).
  void apply_room_change(Room& room, const RoomDiff& change);
  RoomSetup room_setup(const RoomConfig& room) const;
  WebRtcSettings webrtc_settings() const;
  // The layout `name` of the layouts directory, loaded once; NotFound
  // (field `field`) when there is no such file, Unprocessable when it does
  // not validate.
  ApiResult ensure_layout(const std::string& name, const std::string& field);
  // The room, or NotFound.
  Room& existing_room(const std::string& name) const;

  LoadedConfig loaded_;
  bool generated_secret_ = false;
  AccessControl access_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<WebhookSender> webhooks_;  // when the config has targets
  RoomRegistry registry_;
  GMainLoop* loop_ = nullptr;
  bool shutting_down_ = false;
  LimitCounts limit_counts_;  // refusals of the rooms' participant and viewer limits
  uint64_t reloads_applied_ = 0;  // SIGHUP: files taken (whatever they changed)
  uint64_t reloads_failed_ = 0;   // SIGHUP: files refused (nothing changed)
};

}  // namespace mixcast
