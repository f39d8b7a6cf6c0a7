#include "app/server.h"

#include <glib-unix.h>

#include <filesystem>
#include <utility>

#include "core/log.h"
#include "core/source_uri.h"
#include "media/encoder.h"

namespace mixcast {

namespace {
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
  issues.throw_if_any();
  return out;
}

Server::Server(LoadedConfig loaded) : loaded_(std::move(loaded)) {
  loop_ = g_main_loop_new(nullptr, FALSE);
}

Server::~Server() {
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
  return setup;
}

bool Server::start() {
  const Config& c = loaded_.config;
  if (c.http.enabled) {
    HttpServer::Dirs dirs{
        absolute(c.paths.hls), absolute(c.paths.recordings),
        absolute(std::filesystem::path(c.file).parent_path().string() + "/../web")};
    http_ = std::make_unique<HttpServer>(c.http, dirs, *this);
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
  auto on_signal = [](gpointer self) -> gboolean {
    static_cast<Server*>(self)->shutdown();
    return G_SOURCE_CONTINUE;
  };
  const guint sigint = g_unix_signal_add(SIGINT, on_signal, this);
  const guint sigterm = g_unix_signal_add(SIGTERM, on_signal, this);
  g_main_loop_run(loop_);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  return 0;
}

void Server::shutdown() {
  if (shutting_down_) {
    // The same request delivered twice (to the process and to its group)
    // arrives within milliseconds; only a later one means "quit now".
    if (g_get_monotonic_time() - shutdown_started_us_ < 2 * G_USEC_PER_SEC) return;
    LOG_WARN << "second signal: quitting without waiting for the outputs";
    g_main_loop_quit(loop_);
    return;
  }
  shutting_down_ = true;
  shutdown_started_us_ = g_get_monotonic_time();
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
                           std::string offer_sdp, SdpOffer offer, OfferReply reply_once) {
  // Whatever happens, the HTTP request gets exactly one reply.
  auto replied = std::make_shared<bool>(false);
  OfferReply reply = [replied, reply_once](int status, const std::string& body,
                                           const std::string& session) {
    if (std::exchange(*replied, true)) return;
    reply_once(status, body, session);
  };
  Room* room = this->room(room_name);
  if (!room) {
    reply(404, "no room named '" + room_name + "'", "");
    return;
  }
  // The id is known only once the room admitted the session; the answer
  // comes later (after ICE gathering) or, on failure, at once.
  auto id = std::make_shared<std::string>();
  auto on_answer = [reply, id](bool ok, const std::string& sdp_or_error) {
    reply(ok ? 201 : 400, sdp_or_error, ok ? *id : "");
  };
  std::string error;
  *id = kind == Session::Publisher
            ? room->add_webrtc_publisher(name, std::move(offer_sdp), std::move(offer),
                                         WebRtcSettings{}, on_answer, error)
            : room->add_webrtc_viewer(std::move(offer_sdp), std::move(offer), WebRtcSettings{},
                                      on_answer, error);
  if (id->empty()) reply(kind == Session::Viewer ? 400 : 503, "cannot join: " + error, "");
}

bool Server::session_delete(Session kind, const std::string& room_name,
                            const std::string& session) {
  Room* room = this->room(room_name);
  if (!room) return false;
  if (kind == Session::Viewer) {
    if (!room->webrtc_viewer(session)) return false;
    room->remove_viewer(session, "WHEP DELETE");
    return true;
  }
  if (!room->webrtc_participant(session)) return false;
  room->remove_participant(session, "WHIP DELETE");
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

void Server::on_room_event(const std::string& room, const std::string& event,
                           const std::string& detail) {
  LOG_DEBUG << "room " << room << ": event " << event << " " << detail;
}

}  // namespace mixcast
