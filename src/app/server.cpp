#include "app/server.h"

#include "app/supervisor.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "core/ice_server.h"
#include "core/log.h"
#include "core/source_uri.h"
#include "http/json_util.h"
#include "http/tls_certificate.h"
#include "media/encoder.h"
#include "media/reaper.h"

namespace mixcast {

namespace {
// Rooms made on demand each run a pipeline and an encoder: a bound on what
// anonymous joins can start.
constexpr size_t kMaxCreatedRooms = 16;

std::string absolute(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}
}  // namespace

LoadedConfig load_everything(const std::string& config_path) {
  LoadedConfig out;
  out.config = load_config_file(config_path);  // throws on its own errors
  IssueList issues;
  try {
    out.profiles = load_profiles(out.config.pipelines_dir());
  } catch (const FileError& e) {
    for (const auto& issue : e.issues()) issues.add(issue);
  }
  check_encoder_profiles(out.config, out.profiles, issues);
  check_tls_files(out.config, issues);

  const std::string config_dir = std::filesystem::path(out.config.file).parent_path().string();
  for (size_t r = 0; r < out.config.rooms.size(); ++r) {
    const RoomConfig& room = out.config.rooms[r];
    const std::string field = "rooms[" + std::to_string(r) + "]";
    if (!out.layouts.count(room.layout)) {
      const std::string file = out.config.layouts_dir() + "/" + room.layout + ".yaml";
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) {
        const FilePos pos = out.config.position_of(field + ".layout");
        issues.add(FileIssue{out.config.file, pos.line ? pos.line : room.line, pos.column,
                             field + ".layout",
                             "unknown layout '" + room.layout + "': no file " + file});
      } else {
        try {
          out.layouts.emplace(room.layout, load_layout_file(file));
          out.layout_files.emplace(room.layout, file);
        } catch (const FileError& e) {
          for (const auto& issue : e.issues()) issues.add(issue);
        }
      }
    }
    for (size_t s = 0; s < room.sources.size(); ++s) {
      std::string error;
      if (!parse_source_uri(room.sources[s].uri, config_dir, error)) {
        const std::string uri_field = field + ".sources[" + std::to_string(s) + "].uri";
        const FilePos pos = out.config.position_of(uri_field);
        issues.add(FileIssue{out.config.file, pos.line ? pos.line : room.sources[s].line,
                             pos.column, uri_field, error});
      }
    }
  }
  // Rooms created on demand take this layout: check it now, not at the first join.
  const WebRtcConfig& webrtc = out.config.webrtc;
  if (webrtc.auto_create_rooms && !out.layouts.count(webrtc.room_layout)) {
    const std::string file = out.config.layouts_dir() + "/" + webrtc.room_layout + ".yaml";
    std::error_code missing;
    if (!out.config.positions.count("webrtc.room_layout") &&
        !std::filesystem::exists(file, missing)) {
      // The default layout is not in this config's layouts directory and the
      // config never asked for it: run without rooms on demand, and say so.
      out.config.webrtc.auto_create_rooms = false;
      out.warnings.push_back("rooms are not created on demand: no " + file +
                             " (set webrtc.room_layout to one of your layouts)");
    } else {
      try {
        out.layouts.emplace(webrtc.room_layout, load_layout_file(file));
        out.layout_files.emplace(webrtc.room_layout, file);
      } catch (const FileError& e) {
        const FilePos pos = out.config.position_of("webrtc.room_layout");
        std::error_code ec;
        if (!std::filesystem::exists(file, ec))
          issues.add(FileIssue{out.config.file, pos.line, pos.column, "webrtc.room_layout",
                               "unknown layout '" + webrtc.room_layout + "': no file " + file});
        else
          for (const auto& issue : e.issues()) issues.add(issue);
      }
    }
  }
  issues.throw_if_any();
  return out;
}

Server::Server(LoadedConfig loaded) : loaded_(std::move(loaded)) {
  loop_ = g_main_loop_new(nullptr, FALSE);
}

Server::~Server() {
  created_rooms_.clear();
  closing_rooms_.clear();
  rooms_.clear();
  http_.reset();
  g_main_loop_unref(loop_);
}

RoomSetup Server::room_setup(const RoomConfig& room) const {
  const Config& c = loaded_.config;
  RoomSetup setup;
  setup.room = room;
  setup.media = c.media;
  setup.layout = loaded_.layouts.at(room.layout);
  setup.layout_file = loaded_.layout_files.at(room.layout);
  setup.video_profile = loaded_.profiles.at(c.media.video_encoder);
  setup.audio_profile = loaded_.profiles.at(c.media.audio_encoder);
  setup.hls_dir = absolute(c.paths.hls + "/" + room.name);
  setup.recordings_dir = absolute(c.paths.recordings + "/" + room.name);
  setup.sources_base_dir = std::filesystem::path(c.file).parent_path().string();
  setup.keyframe_min_interval_s = c.webrtc.keyframe_min_interval_s;
  if (auto vp8 = loaded_.profiles.find(c.webrtc.vp8_encoder); vp8 != loaded_.profiles.end())
    setup.vp8_profile = vp8->second;
  return setup;
}

WebRtcSettings Server::webrtc_settings() const {
  const WebRtcConfig& w = loaded_.config.webrtc;
  WebRtcSettings s;
  s.stun_servers = w.stun_servers;
  s.turn_servers = w.turn_servers;
  s.ice_addresses = w.ice_addresses;
  s.udp_port_min = w.udp_port_min;
  s.udp_port_max = w.udp_port_max;
  s.jitterbuffer_latency_ms = w.jitterbuffer_latency_ms;
  s.gathering_timeout_s = w.ice_gathering_timeout_s;
  s.departure_timeout_s = w.departure_timeout_s;
  return s;
}

Room* Server::room_for_join(const std::string& name, int& status, std::string& error) {
  if (Room* existing = room(name)) return existing;
  const WebRtcConfig& w = loaded_.config.webrtc;
  if (!w.auto_create_rooms) {
    status = 404;
    error = "no room named '" + name + "'";
    return nullptr;
  }
  if (!valid_room_name(name)) {
    status = 400;
    error = "a room name is 1 to 64 characters from A-Z a-z 0-9 _ -";
    return nullptr;
  }
  if (created_rooms_.size() >= kMaxCreatedRooms) {
    status = 503;
    error = "too many rooms made on demand are open (" + std::to_string(kMaxCreatedRooms) + ")";
    return nullptr;
  }
  RoomConfig config;
  config.name = name;
  config.layout = w.room_layout;
  config.outputs = loaded_.config.default_outputs;
  try {
    auto created = std::make_unique<Room>(room_setup(config), this);
    created->start();
    Room* raw = created.get();
    rooms_.emplace(name, std::move(created));
    created_rooms_.emplace(name, SourceId());
    LOG_INFO << "room " << name << " created on demand (layout " << config.layout << ")";
    // Closes again if the join that made it fails and nobody comes.
    check_idle(name);
    return raw;
  } catch (const std::exception& e) {
    LOG_ERROR << "room " << name << ": " << e.what();
    status = 503;
    error = std::string("cannot create the room: ") + e.what();
    return nullptr;
  }
}

bool Server::start() {
  const Config& c = loaded_.config;
  for (const auto& warning : loaded_.warnings) LOG_WARN << warning;
  if (c.http.enabled) {
    HttpServer::Dirs dirs{
        absolute(c.paths.hls), absolute(c.paths.recordings),
        absolute(std::filesystem::path(c.file).parent_path().string() + "/../web")};
    http_ = std::make_unique<HttpServer>(c.http, dirs, *this);
    // RFC 9725: WHIP/WHEP clients learn the ICE servers from Link headers.
    std::vector<std::string> links;
    for (const auto& url : c.webrtc.stun_servers)
      if (std::string error; auto server = parse_ice_server(url, error))
        links.push_back(ice_server_link(*server));
    for (const auto& url : c.webrtc.turn_servers)
      if (std::string error; auto server = parse_ice_server(url, error))
        links.push_back(ice_server_link(*server));
    http_->set_ice_server_links(std::move(links));
    std::string error;
    if (!http_->start(error)) {
      LOG_ERROR << error;
      return false;
    }
  }
  for (const auto& room_config : c.rooms) {
    try {
      auto room = std::make_unique<Room>(room_setup(room_config), this);
      room->start();
      rooms_.emplace(room_config.name, std::move(room));
    } catch (const std::exception& e) {
      LOG_ERROR << "room " << room_config.name << ": " << e.what();
      return false;
    }
  }
  if (http_) {
    const std::string base = http_->base_url();
    LOG_INFO << "HTTP on " << base << "  (state: " << base << "/api/v1/rooms)";
    for (const auto& [name, room] : rooms_) {
      LOG_INFO << "room " << name << ": watch " << base << "/?room=" << name << "  HLS " << base
               << "/hls/" << name << "/index.m3u8  recordings " << base << "/recordings/" << name
               << "/";
    }
  }
  return true;
}

int Server::run() {
  // SIGINT/SIGTERM are taken by the supervisor's thread (main() blocks them
  // everywhere else), so that a stop is bounded even when the main loop
  // is not turning.
  Supervisor& supervisor =
      Supervisor::start(loaded_.config.shutdown_timeout_s, [this] { shutdown(); });
  g_main_loop_run(loop_);
  supervisor.main_loop_ended();
  // Branches still going to NULL on their own threads (outputs, departed
  // participants): a moment for them, within the supervisor's bound.
  if (!reaper::wait_all(2.0))
    LOG_WARN << reaper::in_flight() << " branch(es) still stopping at exit";
  return 0;
}

void Server::shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  LOG_INFO << "stopping: finishing recordings and playlists";
  auto remaining = std::make_shared<size_t>(rooms_.size());
  if (rooms_.empty()) g_main_loop_quit(loop_);
  for (auto& [name, room] : rooms_) {
    room->stop([this, remaining] {
      if (--*remaining == 0) g_main_loop_quit(loop_);
    });
  }
}

Room* Server::room(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

bool Server::room_rebuild(const std::string& name) {
  Room* r = room(name);
  if (!r) return false;
  r->rebuild_core("asked over the API");
  return true;
}

std::vector<RoomStatus> Server::room_statuses() const {
  std::vector<RoomStatus> out;
  for (const auto& [name, room] : rooms_) out.push_back(room->status());
  return out;
}

std::optional<RoomStatus> Server::room_status(const std::string& name) const {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return std::nullopt;
  return it->second->status();
}

void Server::session_offer(Session kind, const std::string& room_name, const std::string& name,
                           std::string offer_sdp, SdpOffer offer, OfferReply reply) {
  start_session(kind, room_name, name, std::move(offer_sdp), std::move(offer), nullptr,
                std::move(reply));
}

void Server::start_session(Session kind, const std::string& room_name, const std::string& name,
                           std::string offer_sdp, SdpOffer offer,
                           WebRtcSession::CandidateCallback on_candidate, OfferReply reply_once) {
  // Whatever happens, the client gets exactly one reply.
  auto replied = std::make_shared<bool>(false);
  OfferReply reply = [replied, reply_once](int status, const std::string& body,
                                           const std::string& session) {
    if (std::exchange(*replied, true)) return;
    reply_once(status, body, session);
  };
  if (shutting_down_) {
    reply(503, "the server is stopping", "");
    return;
  }
  int status = 0;
  std::string error;
  Room* room = room_for_join(room_name, status, error);
  if (!room) {
    reply(status, error, "");
    return;
  }
  // The id is known only once the room admitted the session; the answer
  // comes later (after ICE gathering unless trickling) or, on failure, at once.
  auto id = std::make_shared<std::string>();
  // A session that fails while the room admits it says "ended before the
  // answer" from its destructor: the room's own reason is the one to send.
  auto admitting = std::make_shared<bool>(true);
  auto on_answer = [reply, id, admitting](bool ok, const std::string& sdp_or_error) {
    if (*admitting && !ok) return;
    reply(ok ? 201 : 400, sdp_or_error, ok ? *id : "");
  };
  WebRtcSession::Callbacks callbacks{on_answer, std::move(on_candidate)};
  *id = kind == Session::Publisher
            ? room->add_webrtc_publisher(name, std::move(offer_sdp), std::move(offer),
                                         webrtc_settings(), std::move(callbacks), error)
            : room->add_webrtc_viewer(std::move(offer_sdp), std::move(offer), webrtc_settings(),
                                      std::move(callbacks), error);
  *admitting = false;
  if (id->empty()) {
    // A stopping room cannot take anyone; an offer we cannot serve is the client's.
    const bool stopping = error.find("stopping") != std::string::npos;
    reply(stopping ? 503 : 400, "cannot join: " + error, "");
  }
}

bool Server::session_delete(Session kind, const std::string& room_name,
                            const std::string& session) {
  return end_session(kind, room_name, session,
                     kind == Session::Viewer ? "WHEP DELETE" : "WHIP DELETE");
}

bool Server::end_session(Session kind, const std::string& room_name, const std::string& session,
                         const std::string& reason) {
  Room* room = this->room(room_name);
  if (!room) return false;
  if (kind == Session::Viewer) {
    if (!room->webrtc_viewer(session)) return false;
    room->remove_viewer(session, reason);
    return true;
  }
  if (!room->webrtc_participant(session)) return false;
  room->remove_participant(session, reason);
  return true;
}

bool Server::session_trickle(Session kind, const std::string& room_name, const std::string& session,
                             const std::vector<std::pair<int, std::string>>& candidates) {
  Room* room = this->room(room_name);
  if (!room) return false;
  WebRtcParticipant* participant =
      kind == Session::Publisher ? room->webrtc_participant(session) : nullptr;
  WebRtcViewer* viewer = kind == Session::Viewer ? room->webrtc_viewer(session) : nullptr;
  if (!participant && !viewer) return false;
  for (const auto& [mline, candidate] : candidates) {
    if (participant) participant->add_remote_candidate(mline, candidate);
    if (viewer) viewer->add_remote_candidate(mline, candidate);
  }
  return true;
}

void Server::ws_send(uint64_t client, const std::string& json) {
  auto it = ws_peers_.find(client);
  if (it != ws_peers_.end()) it->second.client->send(json);
}

void Server::ws_message(WebSocketClient& client, const WsMessage& message) {
  WsPeer& peer = ws_peers_[client.id()];
  peer.client = &client;
  if (message.type == "join") {
    ws_join(client, message);
  } else if (message.type == "watch") {
    if (!peer.room.empty()) {
      client.send_error(409, "this WebSocket is already in room '" + peer.room + "'");
      return;
    }
    int code = 0;
    std::string error;
    if (!room_for_join(message.room, code, error)) {
      client.send_error(code, error);
      return;
    }
    peer.room = message.room;
    if (auto status = room_status(message.room)) client.send(room_state_message(*status));
  } else if (message.type == "candidate") {
    if (peer.session.empty() && !peer.joining) {
      client.send_error(409, "join before sending candidates");
      return;
    }
    if (message.candidate.empty()) return;  // end of the client's candidates
    std::string candidate = message.candidate;
    if (candidate.rfind("a=", 0) == 0) candidate.erase(0, 2);
    if (peer.joining) {
      constexpr size_t kMaxEarlyCandidates = 64;
      if (peer.early_candidates.size() < kMaxEarlyCandidates)
        peer.early_candidates.emplace_back(message.mline, candidate);
      return;
    }
    session_trickle(peer.kind, peer.room, peer.session, {{message.mline, candidate}});
  } else if (message.type == "leave") {
    ws_leave(client.id(), "left");
    client.close();
  } else {
    client.send_error(400, "unknown message type '" + message.type + "'");
  }
}

void Server::ws_join(WebSocketClient& client, const WsMessage& message) {
  WsPeer& peer = ws_peers_[client.id()];
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
  std::string error;
  auto offer = parse_sdp_offer(message.sdp, error);
  if (!offer) {
    client.send_error(400, "bad SDP offer: " + error);
    return;
  }
  const Session kind = message.role == "viewer" ? Session::Viewer : Session::Publisher;
  const uint64_t id = client.id();
  peer.joining = true;
  peer.kind = kind;
  auto on_candidate = [this, id](int mline, const std::string& candidate) {
    JsonWriter out;
    out.begin_object().field("type", "candidate").field("mline", mline);
    ws_send(id, out.field("candidate", candidate).end_object().text());
  };
  const std::string room_name = message.room;
  start_session(
      kind, room_name, message.name, message.sdp, std::move(*offer), on_candidate,
      [this, id, room_name, kind](int status, const std::string& body, const std::string& session) {
        auto it = ws_peers_.find(id);
        if (it == ws_peers_.end()) {
          // The socket closed while the answer was being made. Not from
          // inside the session's own callback: end it from the main loop.
          if (status == 201)
            post_to_main([this, kind, room_name, session] {
              end_session(kind, room_name, session, "WebSocket closed");
            });
          return;
        }
        WsPeer& p = it->second;
        p.joining = false;
        const auto early = std::exchange(p.early_candidates, {});
        if (status != 201) {
          p.client->send_error(status, body);
          return;
        }
        const bool had_room = !p.room.empty();
        p.room = room_name;
        p.session = session;
        if (!early.empty()) session_trickle(kind, room_name, session, early);
        JsonWriter answer;
        answer.begin_object().field("type", "answer").field("room", room_name);
        p.client->send(answer.field("id", session).field("sdp", body).end_object().text());
        if (!had_room) {
          if (auto state = room_status(room_name)) p.client->send(room_state_message(*state));
        }
      });
}

void Server::ws_leave(uint64_t client, const std::string& reason) {
  auto it = ws_peers_.find(client);
  if (it == ws_peers_.end() || it->second.session.empty()) return;
  const std::string session = std::exchange(it->second.session, "");
  end_session(it->second.kind, it->second.room, session, reason);
}

void Server::ws_closed(WebSocketClient& client) {
  ws_leave(client.id(), "WebSocket closed");
  ws_peers_.erase(client.id());
}

void Server::check_idle(const std::string& room_name) {
  auto it = created_rooms_.find(room_name);
  Room* room = this->room(room_name);
  if (it == created_rooms_.end() || !room || shutting_down_) return;
  const double idle_s = loaded_.config.webrtc.idle_room_close_s;
  if (!room->deserted() || idle_s <= 0) {
    it->second.reset();
    return;
  }
  if (it->second) return;  // already counting
  it->second = run_after(idle_s, [this, room_name] { close_room(room_name); });
}

void Server::close_room(const std::string& room_name) {
  auto it = created_rooms_.find(room_name);
  Room* room = this->room(room_name);
  if (it == created_rooms_.end() || !room || shutting_down_) return;
  it->second.reset();
  if (!room->deserted()) return;
  LOG_INFO << "room " << room_name << ": empty for " << loaded_.config.webrtc.idle_room_close_s
           << " s, closing (it was made on demand)";
  created_rooms_.erase(it);
  // Its watchers hear it, and the name is free for a new room at once.
  for (auto& [id, peer] : ws_peers_) {
    if (peer.room != room_name) continue;
    JsonWriter out;
    peer.client->send(out.begin_object()
                          .field("type", "room_closed")
                          .field("room", room_name)
                          .end_object()
                          .text());
    peer.room.clear();
    peer.client->close();
  }
  auto node = rooms_.extract(room_name);
  auto closing = std::make_shared<std::unique_ptr<Room>>(std::move(node.mapped()));
  closing_rooms_.push_back(closing);
  (*closing)->stop([this, closing] {
    // Not inside the room's own callback: destroy it from the main loop.
    post_to_main([this, closing] {
      closing->reset();
      closing_rooms_.erase(std::remove(closing_rooms_.begin(), closing_rooms_.end(), closing),
                           closing_rooms_.end());
    });
  });
}

void Server::on_room_event(const std::string& room, const RoomEvent& event) {
  LOG_DEBUG << "room " << room << ": event " << to_string(event.kind) << " " << event.id << " "
            << event.name << " " << event.detail;
  if (event.is_membership_change()) check_idle(room);
  const std::string message = room_event_message(event);
  const bool departure =
      event.kind == RoomEventKind::ParticipantLeft || event.kind == RoomEventKind::ViewerLeft;
  for (auto& [id, peer] : ws_peers_) {
    if (peer.room != room) continue;
    if (departure && !peer.session.empty() && peer.session == event.id) {
      // This client's own session ended (DELETE, ICE failure, timeout).
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

}  // namespace mixcast
