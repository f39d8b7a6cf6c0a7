// The server's side of the REST API (OperatorApi): what each operation does
// to the registry and the rooms. Routing and JSON are in http/rest_api.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/server.h"
#include "core/log.h"
#include "core/participant_controls.h"
#include "core/recording_files.h"
#include "core/source_uri.h"
#include "media/recording_probe.h"

namespace mixcast {

namespace {

// The issues of a file error as a typed error of `kind`, naming the first
// field at fault.
ApiError from_file_error(ErrorKind kind, const FileError& e, const std::string& what) {
  ApiError error = api_error(kind, what);
  error.issues = e.issues();
  if (!e.issues().empty()) {
    const FileIssue& first = e.issues().front();
    error.field = first.field;
    error.message += ": " + (first.field.empty() ? "" : first.field + ": ") + first.message;
    if (e.issues().size() > 1)
      error.message += " (and " + std::to_string(e.issues().size() - 1) + " more)";
  }
  return error;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A plain file name: no directories, nothing hidden.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name != "..";
}

}  // namespace

ApiResult Server::ensure_layout(const std::string& name, const std::string& field) {
  if (loaded_.layouts.count(name)) return std::nullopt;
  if (!plain_file_name(name) || name.find('.') != std::string::npos)
    return api_error(ErrorKind::BadRequest, "a layout name is a file name without .yaml", field);
  const std::string file = loaded_.config.layouts_dir() + "/" + name + ".yaml";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return api_error(ErrorKind::NotFound, "no layout '" + name + "' (no file " + file + ")", field);
  try {
    loaded_.layouts.emplace(name, load_layout_file(file));
    loaded_.layout_files.emplace(name, file);
  } catch (const FileError& e) {
    return from_file_error(ErrorKind::Unprocessable, e, "layout '" + name + "' does not validate");
  }
  return std::nullopt;
}

std::unique_ptr<Room> Server::make_room(const RoomConfig& config, Room::Listener& events) {
  if (auto failed = ensure_layout(config.layout, "layout")) throw *failed;
  return std::make_unique<Room>(room_setup(config), &events);
}

ApiResult Server::create_room(const std::string& body, std::string& name) {
  if (shutting_down_) return server_stopping_error(loaded_.config.drain_retry_after_s);
  RoomConfig config;
  try {
    config = parse_room_config(body, loaded_.config);
  } catch (const FileError& e) {
    return from_file_error(ErrorKind::BadRequest, e, "bad room");
  }
  if (auto failed = ensure_layout(config.layout, "layout")) {
    // A layout the room names but that is not there is the request's fault.
    if (failed->kind == ErrorKind::NotFound) failed->kind = ErrorKind::BadRequest;
    return failed;
  }
  const std::string base = std::filesystem::path(loaded_.config.file).parent_path().string();
  for (size_t i = 0; i < config.sources.size(); ++i) {
    std::string error;
    if (!parse_source_uri(config.sources[i].uri, base, error))
      return api_error(ErrorKind::BadRequest, error, "sources[" + std::to_string(i) + "].uri");
  }
  if (auto failed = registry_.create(config, RoomRegistry::Origin::Api)) return failed;
  name = config.name;
  return std::nullopt;
}

void Server::delete_room(const std::string& name, Done done) {
  if (auto failed = registry_.close(name, "deleted over the API", [done] { done(std::nullopt); }))
    done(failed);
}

ApiResult Server::rebuild_room(const std::string& name) {
  existing_room(name).rebuild_core("asked over the API");
  return std::nullopt;
}

ApiResult Server::change_participant(const std::string& room_name, const std::string& id,
                                     const ParticipantChange& change) {
  Room& r = existing_room(room_name);
  // Every value is checked before any is applied: a bad request changes nothing.
  // (the room checks them again, with the same rules).
  if (change.name)
    if (auto bad = validate_display_name(*change.name)) return bad;
  if (change.volume_db)
    if (auto bad = validate_volume_db(*change.volume_db)) return bad;
  bool known = false;
  for (const auto& p : r.status().participants) known = known || p.id == id;
  if (!known)
    return api_error(ErrorKind::NotFound,
                     "no participant '" + id + "' in room '" + room_name + "'");
  if (change.name)
    if (auto failed = r.rename_participant(id, *change.name)) return failed;
  if (change.audio_muted)
    if (auto failed = r.set_muted(id, Participant::Stream::Audio, *change.audio_muted))
      return failed;
  if (change.video_muted)
    if (auto failed = r.set_muted(id, Participant::Stream::Video, *change.video_muted))
      return failed;
  if (change.volume_db)
    if (auto failed = r.set_volume_db(id, *change.volume_db)) return failed;
  if (change.pinned)
    if (auto failed = r.set_pinned(id, *change.pinned)) return failed;
  return std::nullopt;
}

ApiResult Server::kick_participant(const std::string& room_name, const std::string& id,
                                   const std::string& reason) {
  Room& r = existing_room(room_name);
  const RoomStatus status = r.status();
  for (const auto& p : status.participants) {
    if (p.id != id) continue;
    r.remove_participant(id, reason);
    return std::nullopt;
  }
  return api_error(ErrorKind::NotFound, "no participant '" + id + "' in room '" + room_name + "'");
}

ApiResult Server::add_source(const std::string& room_name, const SourceConfig& source,
                             std::string& id) {
  Room& r = existing_room(room_name);
  if (r.stopping()) return api_error(ErrorKind::Unavailable, "the room is stopping");
  std::string error;
  const std::string base = std::filesystem::path(loaded_.config.file).parent_path().string();
  if (!parse_source_uri(source.uri, base, error))
    return api_error(ErrorKind::BadRequest, error, "uri");
  id = r.add_source(source, error);
  if (id.empty()) return api_error(ErrorKind::BadRequest, "cannot add the source: " + error, "uri");
  return std::nullopt;
}

std::vector<LayoutInfo> Server::layouts() const {
  std::vector<LayoutInfo> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(loaded_.config.layouts_dir(), ec)) {
    const auto& path = entry.path();
    if (!entry.is_regular_file() || path.extension() != ".yaml") continue;
    if (path.filename().string()[0] == '.') continue;
    out.push_back(LayoutInfo{path.stem().string(), path.string()});
  }
  std::sort(out.begin(), out.end(),
            [](const LayoutInfo& a, const LayoutInfo& b) { return a.name < b.name; });
  return out;
}

ApiResult Server::layout_text(const std::string& name, std::string& yaml) const {
  for (const auto& layout : layouts()) {
    if (layout.name != name) continue;
    yaml = read_text(layout.file);
    return std::nullopt;
  }
  return api_error(ErrorKind::NotFound, "no layout '" + name + "'");
}

ApiResult Server::validate_layout(const std::string& yaml) const {
  try {
    parse_layout(yaml, "<request>");
  } catch (const FileError& e) {
    return from_file_error(ErrorKind::Unprocessable, e, "the layout does not validate");
  }
  return std::nullopt;
}

ApiResult Server::apply_layout(const std::string& room_name, const std::string& name,
                               const std::string& yaml) {
  Room& r = existing_room(room_name);
  if (!name.empty()) {
    // Read again from the file: it may have been edited since it was loaded.
    if (auto failed = ensure_layout(name, "name")) return failed;
    const std::string file = loaded_.layout_files.at(name);
    try {
      Layout layout = load_layout_file(file);
      loaded_.layouts[name] = layout;
      r.switch_layout(std::move(layout), file);
    } catch (const FileError& e) {
      return from_file_error(ErrorKind::Unprocessable, e,
                             "layout '" + name + "' does not validate");
    }
    return std::nullopt;
  }
  try {
    r.switch_layout(parse_layout(yaml, "<request>"), "");
  } catch (const FileError& e) {
    return from_file_error(ErrorKind::Unprocessable, e, "the layout does not validate");
  }
  return std::nullopt;
}

std::string Server::recordings_dir(const std::string& room) const {
  return absolute_path(loaded_.config.paths.recordings + "/" + room);
}

std::vector<std::string> Server::files_being_recorded(const std::string& room) const {
  std::vector<std::string> writing;
  if (const Room* r = registry_.find(room))
    for (const auto& o : r->status().outputs)
      if (o.kind == "recording")
        writing.insert(writing.end(), o.open_files.begin(), o.open_files.end());
  return writing;
}

void Server::recordings(const std::string& room_name, RecordingsDone done) {
  // The name becomes a directory: only a room name may (never "..").
  if (!valid_room_name(room_name))
    return done(api_error(ErrorKind::NotFound, "no room or recordings named '" + room_name + "'"),
                {});
  const std::string dir = recordings_dir(room_name);
  std::error_code ec;
  // A room that is gone may have left recordings: those are listed too.
  if (!registry_.find(room_name) && !std::filesystem::is_directory(dir, ec))
    return done(api_error(ErrorKind::NotFound, "no room or recordings named '" + room_name + "'"),
                {});
  const std::vector<std::string> writing = files_being_recorded(room_name);
  // The discoverer demuxes each file: off the main loop.
  std::thread([dir, writing, done = std::move(done)] {
    std::vector<RecordingInfo> out;
    for (const RecordingFileInfo& f : list_recordings_with_duration(dir, 5)) {
      RecordingInfo info;
      info.file = f.name;
      info.size_bytes = f.size_bytes;
      info.finished = f.finished;
      info.recording = std::find(writing.begin(), writing.end(), f.path) != writing.end();
      info.duration_s = f.duration_s;
      out.push_back(std::move(info));
    }
    post_to_main([done, out = std::move(out)] { done(std::nullopt, out); });
  }).detach();
}

ApiResult Server::delete_recording(const std::string& room_name, const std::string& file) {
  if (!plain_file_name(file))
    return api_error(ErrorKind::BadRequest, "a recording is named by its file name", "file");
  if (!valid_room_name(room_name))
    return api_error(ErrorKind::NotFound, "no room or recordings named '" + room_name + "'");
  const std::string dir = recordings_dir(room_name);
  const std::vector<std::string> writing = files_being_recorded(room_name);
  for (const RecordingFileInfo& f : list_recordings(dir)) {
    if (f.name != file) continue;
    if (std::find(writing.begin(), writing.end(), f.path) != writing.end())
      return api_error(ErrorKind::Conflict,
                       "'" + file + "' is being recorded; stop or split the recording first");
    std::error_code ec;
    std::filesystem::remove(f.path, ec);
    if (ec) return api_error(ErrorKind::Internal, "cannot delete '" + file + "': " + ec.message());
    LOG_INFO << "room " << room_name << ": recording " << file << " deleted over the API";
    return std::nullopt;
  }
  return api_error(ErrorKind::NotFound, "no recording '" + file + "' in room '" + room_name + "'");
}

}  // namespace mixcast

namespace mixcast {

ApiResult Server::mint_token(const TokenRequest& request, MintedToken& out) {
  if (!access_.enabled())
    return api_error(ErrorKind::Conflict,
                     "join tokens need auth.api_keys and auth.token_secret in the config: without "
                     "them every endpoint is open and no token is asked for");
  if (!valid_room_name(request.room))
    return api_error(ErrorKind::BadRequest,
                     "a room name is 1 to 64 characters from A-Z a-z 0-9 _ -", "room");
  if (request.ttl_s > access_.config().max_token_ttl_s)
    return api_error(ErrorKind::BadRequest,
                     "'ttl_s' is over auth.max_token_ttl_s (" +
                         std::to_string(access_.config().max_token_ttl_s) + ")",
                     "ttl_s");
  const int64_t now = static_cast<int64_t>(g_get_real_time() / 1000000);
  JoinGrant grant;
  grant.room = request.room;
  grant.identity = request.identity;
  grant.name = request.name;
  grant.can_publish = request.can_publish;
  grant.can_subscribe = request.can_subscribe;
  grant.not_before = request.not_before;
  std::string error;
  out.token = access_.mint(grant, now, request.ttl_s, error);
  if (out.token.empty()) return api_error(ErrorKind::BadRequest, "cannot mint the token: " + error);
  out.expires_at = now + request.ttl_s;
  return std::nullopt;
}

}  // namespace mixcast
