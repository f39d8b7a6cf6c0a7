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

// The webhook of a room event (Standard Webhooks' dotted names), or nullptr
// for events that are only of interest to the room's WebSocket clients.
const char* webhook_type(RoomEventKind kind) {
  switch (kind) {
    case RoomEventKind::ParticipantJoined:
      return "participant.joined";
    case RoomEventKind::ParticipantLeft:
      return "participant.left";
    case RoomEventKind::OutputState:
      return "output.state_changed";
    case RoomEventKind::LayoutChanged:
      return "layout.changed";
    case RoomEventKind::RecordingFinished:
      return "recording.finished";
    case RoomEventKind::RoomError:
      return "room.error";
    case RoomEventKind::RoomRecovered:
      return "room.recovered";
    default:
      return nullptr;
  }
}

}  // namespace

std::string absolute_path(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

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
  // Webhook URLs and secrets are checked with the sender's own rules.
  IssueList webhook_issues;
  validate(out.config.webhooks, webhook_issues);
  for (FileIssue issue : webhook_issues.issues()) {
    const FilePos pos = out.config.position_of(issue.field);
    issue.file = out.config.file;
    issue.line = pos.line;
    issue.column = pos.column;
    issues.add(std::move(issue));
  }
  issues.throw_if_any();
  return out;
}

Server::Server(LoadedConfig loaded)
    : loaded_(std::move(loaded)),
      access_(with_environment(loaded_.config.auth, g_getenv("MIXCAST_API_KEYS"),
                               g_getenv("MIXCAST_TOKEN_SECRET"), generated_secret_)),
      registry_(loaded_.config, *this) {
  loop_ = g_main_loop_new(nullptr, FALSE);
}

Server::~Server() {
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
  setup.hls_dir = absolute_path(c.paths.hls + "/" + room.name);
  setup.recordings_dir = absolute_path(c.paths.recordings + "/" + room.name);
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

bool Server::start() {
  const Config& c = loaded_.config;
  for (const auto& warning : loaded_.warnings) LOG_WARN << warning;
  if (!c.webhooks.targets.empty()) {
    webhooks_ = std::make_unique<WebhookSender>(c.webhooks);
    LOG_INFO << "webhooks: " << c.webhooks.targets.size() << " target(s), at most "
             << c.webhooks.queue_limit << " events queued per target";
  }
  if (c.http.enabled) {
    HttpServer::Dirs dirs{
        absolute_path(c.paths.hls), absolute_path(c.paths.recordings),
        absolute_path(std::filesystem::path(c.file).parent_path().string() + "/../web")};
    // With no admin keys nothing is protected: only this machine may reach
    // it, unless the config says so in as many words.
    const AuthConfig& auth = access_.config();
    if (!access_.enabled() && !auth.none && !is_loopback_address(c.http.address)) {
      LOG_ERROR << "http.address " << c.http.address
                << " is not a loopback address and no admin API keys are configured: set "
                   "auth.api_keys (or MIXCAST_API_KEYS), or write 'auth: none' to serve "
                   "everyone without credentials";
      return false;
    }
    if (access_.enabled())
      LOG_INFO << "auth: " << auth.api_keys.size()
               << " admin API key(s); join tokens required on WHIP, WHEP, the WebSocket and the "
                  "pages; HLS "
               << (auth.hls_public ? "public" : "needs a token")
               << (generated_secret_ ? "; no token_secret set: tokens minted now are valid until "
                                       "the server restarts"
                                     : "");
    else if (auth.none)
      LOG_WARN << "auth: none (as configured): every endpoint is open to whoever reaches "
               << c.http.address;
    else
      LOG_INFO << "auth: off (no admin API keys): serving " << c.http.address
               << " only, every endpoint open to local clients";
    http_ = std::make_unique<HttpServer>(c.http, c.limits, dirs, *this, *this, access_);
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
    if (auto failed = registry_.create(room_config, RoomRegistry::Origin::Config)) {
      LOG_ERROR << "room " << room_config.name << ": " << failed->message;
      return false;
    }
  }
  if (http_) {
    const std::string base = http_->base_url();
    LOG_INFO << "HTTP on " << base << "  (state: " << base << "/api/v1/rooms)";
    for (const Room* room : registry_.rooms()) {
      const std::string& name = room->name();
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
  Supervisor& supervisor = Supervisor::start(
      loaded_.config.shutdown_timeout_s, [this] { shutdown(); }, [this] { reload(); });
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
  const gint64 started_us = g_get_monotonic_time();
  LOG_INFO << "stopping: taking no new sessions or rooms, finishing recordings and playlists";
  // The WebSocket clients hear it first (server_stopping, then a close),
  // then the rooms finish their outputs; the loop ends once both are done.
  auto remaining = std::make_shared<int>(http_ ? 2 : 1);
  auto one_done = [this, remaining, started_us] {
    if (--*remaining > 0) return;
    LOG_INFO << "stopped cleanly in " << (g_get_monotonic_time() - started_us) / 1000 << " ms";
    g_main_loop_quit(loop_);
  };
  if (http_) http_->drain(loaded_.config.drain_retry_after_s, one_done);
  registry_.close_all(one_done);
}

Room& Server::existing_room(const std::string& name) const {
  Room* r = registry_.find(name);
  if (!r) throw api_error(ErrorKind::NotFound, "no room named '" + name + "'");
  return *r;
}

std::vector<RoomStatus> Server::rooms() const {
  std::vector<RoomStatus> out;
  for (const Room* r : registry_.rooms()) out.push_back(r->status());
  return out;
}

std::optional<RoomStatus> Server::room(const std::string& name) const {
  const Room* r = registry_.find(name);
  if (!r) return std::nullopt;
  return r->status();
}

void Server::session_offer(Session kind, const std::string& room_name, const std::string& name,
                           std::string offer_sdp, SdpOffer offer, CandidateCallback on_candidate,
                           OfferReply reply_once) {
  // Whatever happens, the client gets exactly one reply.
  auto replied = std::make_shared<bool>(false);
  OfferReply reply = [replied, reply_once](int status, const std::string& body,
                                           const std::string& session) {
    if (std::exchange(*replied, true)) return;
    reply_once(status, body, session);
  };
  if (shutting_down_) {
    // WHIP/WHEP are refused (with Retry-After) before they get here; a
    // WebSocket join that raced the drain gets this.
    reply(503, "the server is stopping", "");
    return;
  }
  ApiError refused;
  Room* room = registry_.for_join(room_name, refused);
  if (!room) {
    reply(refused.status(), refused.message, "");
    return;
  }
  if (room->stopping()) {
    reply(503, "cannot join: the room is stopping", "");
    return;
  }
  // A room's own limits, else the server's defaults (limits.*_per_room).
  const RoomConfig& own = room->config();
  const LimitsConfig& defaults = loaded_.config.limits;
  const int max_participants =
      own.max_participants > 0 ? own.max_participants : defaults.max_participants_per_room;
  const int max_viewers = own.max_viewers > 0 ? own.max_viewers : defaults.max_viewers_per_room;
  if (kind == Session::Publisher && max_participants > 0 &&
      room->participant_count() >= static_cast<size_t>(max_participants)) {
    limit_counts_.add(LimitReason::Participants);
    reply(409, "the room is full (" + std::to_string(max_participants) + " participants)", "");
    return;
  }
  if (kind == Session::Viewer && max_viewers > 0 &&
      room->viewer_count() >= static_cast<size_t>(max_viewers)) {
    limit_counts_.add(LimitReason::Viewers);
    reply(409, "the room has its most viewers (" + std::to_string(max_viewers) + ")", "");
    return;
  }
  std::string error;
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
  // An offer the room cannot serve is the client's.
  if (id->empty()) reply(400, "cannot join: " + error, "");
}

std::optional<RoomStatus> Server::room_to_watch(const std::string& room_name, ApiError& error) {
  Room* r = registry_.for_join(room_name, error);
  if (!r) return std::nullopt;
  return r->status();
}

bool Server::session_end(Session kind, const std::string& room_name, const std::string& session,
                         const std::string& reason) {
  Room* room = registry_.find(room_name);
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
  Room* room = registry_.find(room_name);
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

void Server::on_room_closing(const std::string& room_name, const std::string& why) {
  if (http_) http_->room_closing(room_name, why);
}

void Server::on_room_opened(const std::string& room_name) {
  if (!webhooks_) return;
  JsonWriter out;
  webhooks_->enqueue(room_name, "room.started",
                     out.begin_object().field("room", room_name).end_object().text());
}

void Server::on_room_closed(const std::string& room_name) {
  LOG_INFO << "room " << room_name << ": closed, recordings and playlist finished";
  if (!webhooks_) return;
  JsonWriter out;
  webhooks_->enqueue(room_name, "room.finished",
                     out.begin_object().field("room", room_name).end_object().text());
}

void Server::on_room_event(const std::string& room, const RoomEvent& event) {
  LOG_DEBUG << "room " << room << ": event " << to_string(event.kind) << " " << event.id << " "
            << event.name << " " << event.detail;
  if (webhooks_)
    if (const char* type = webhook_type(event.kind))
      webhooks_->enqueue(room, type, room_event_data(room, event));
  if (http_) http_->room_event(room, event);
}

}  // namespace mixcast
