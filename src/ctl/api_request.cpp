#include "ctl/api_request.h"

#include <cpprest/json.h>

#include <charconv>
#include <cmath>

namespace mixcast::ctl {

namespace {

const char* kJson = "application/json";
const char* kYaml = "application/yaml";

std::string room_path(const std::string& room) {
  return "/api/v1/rooms/" + encode_component(room);
}

std::string quoted(const std::string& text) {
  return "'" + text + "'";
}

double number_option(const Command& command, const std::string& option) {
  const std::string text = *command.value(option);
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value))
    throw UsageError(option + ": '" + text + "' is not a number");
  return value;
}

int64_t integer_option(const Command& command, const std::string& option) {
  const std::string text = *command.value(option);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end)
    throw UsageError(option + ": '" + text + "' is not a whole number");
  return value;
}

std::string required(const Command& command, const std::string& option) {
  auto value = command.value(option);
  if (!value || value->empty()) throw UsageError("'" + command.name() + "' needs " + option);
  return *value;
}

void exclusive(const Command& command, const std::string& a, const std::string& b) {
  if (command.has(a) && command.has(b)) throw UsageError(a + " and " + b + " exclude each other");
}

ApiRequest get(std::string path, View view) {
  ApiRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.view = view;
  return r;
}

ApiRequest post(std::string path, View view) {
  ApiRequest r = get(std::move(path), view);
  r.method = "POST";
  return r;
}

ApiRequest done(std::string method, std::string path, std::string message) {
  ApiRequest r = get(std::move(path), View::Done);
  r.method = std::move(method);
  r.done_message = std::move(message);
  return r;
}

void json_body(ApiRequest& r, const web::json::value& body) {
  r.content_type = kJson;
  r.body = body.serialize();
}

ApiRequest rooms(const Command& c) {
  const std::string& verb = c.verb;
  if (verb == "list") return get("/api/v1/rooms", View::RoomList);
  if (verb == "get") return get(room_path(c.args[0]), View::Room);
  if (verb == "stats") return get(room_path(c.args[0]) + "/stats", View::RoomStats);
  if (verb == "delete")
    return done("DELETE", room_path(c.args[0]), "room " + quoted(c.args[0]) + " deleted");
  if (verb == "rebuild") return post(room_path(c.args[0]) + "/rebuild", View::Room);
  // create
  ApiRequest r = post("/api/v1/rooms", View::Room);
  if (c.has("--file")) {
    if (c.has("--name") || c.has("--layout"))
      throw UsageError("--file takes the whole room: give --name and --layout in the file");
    r.content_type = kJson;
    r.body_file = required(c, "--file");
    return r;
  }
  if (!c.has("--name")) throw UsageError("'rooms create' needs --file FILE or --name NAME");
  web::json::value body = web::json::value::object(true);
  body["name"] = web::json::value::string(required(c, "--name"));
  if (c.has("--layout")) body["layout"] = web::json::value::string(required(c, "--layout"));
  json_body(r, body);
  return r;
}

ApiRequest participants(const Command& c) {
  const std::string path = room_path(c.args[0]) + "/participants";
  if (c.verb == "list") return get(path, View::ParticipantList);
  const std::string& id = c.args[1];
  if (c.verb == "kick") {
    std::string target = path + "/" + encode_component(id);
    if (c.has("--reason")) target += "?reason=" + encode_component(*c.value("--reason"));
    return done("DELETE", target, "participant " + quoted(id) + " removed");
  }
  // update: only what was asked for changes.
  exclusive(c, "--mute-audio", "--unmute-audio");
  exclusive(c, "--mute-video", "--unmute-video");
  exclusive(c, "--pin", "--unpin");
  web::json::value body = web::json::value::object(true);
  if (c.has("--name")) body["name"] = web::json::value::string(required(c, "--name"));
  if (c.has("--mute-audio") || c.has("--unmute-audio"))
    body["audio_muted"] = web::json::value::boolean(c.has("--mute-audio"));
  if (c.has("--mute-video") || c.has("--unmute-video"))
    body["video_muted"] = web::json::value::boolean(c.has("--mute-video"));
  if (c.has("--volume-db"))
    body["volume_db"] = web::json::value::number(number_option(c, "--volume-db"));
  if (c.has("--pin") || c.has("--unpin"))
    body["pinned"] = web::json::value::boolean(c.has("--pin"));
  if (body.size() == 0)
    throw UsageError(
        "'participants update' needs something to change: --name, --mute-audio, "
        "--unmute-audio, --mute-video, --unmute-video, --volume-db, --pin or --unpin");
  ApiRequest r = get(path + "/" + encode_component(id), View::Participant);
  r.method = "PATCH";
  json_body(r, body);
  return r;
}

ApiRequest sources(const Command& c) {
  const std::string path = room_path(c.args[0]) + "/sources";
  if (c.verb == "remove")
    return done("DELETE", path + "/" + encode_component(c.args[1]),
                "source " + quoted(c.args[1]) + " removed");
  web::json::value body = web::json::value::object(true);
  body["name"] = web::json::value::string(required(c, "--name"));
  body["uri"] = web::json::value::string(required(c, "--uri"));
  if (c.has("--identity")) body["identity"] = web::json::value::string(required(c, "--identity"));
  if (c.has("--loop")) body["loop"] = web::json::value::boolean(true);
  ApiRequest r = post(path, View::SourceId);
  json_body(r, body);
  return r;
}

ApiRequest layouts(const Command& c) {
  if (c.verb == "list") return get("/api/v1/layouts", View::LayoutList);
  if (c.verb == "get") return get("/api/v1/layouts/" + encode_component(c.args[0]), View::Text);
  if (c.verb == "validate") {
    ApiRequest r = post("/api/v1/layouts/validate", View::Validation);
    r.content_type = kYaml;
    r.body_file = c.args[0];
    return r;
  }
  // apply
  ApiRequest r = get(room_path(c.args[0]) + "/layout", View::Room);
  r.method = "PUT";
  exclusive(c, "--name", "--file");
  if (c.has("--file")) {
    r.content_type = kYaml;
    r.body_file = required(c, "--file");
  } else if (c.has("--name")) {
    web::json::value body = web::json::value::object(true);
    body["name"] = web::json::value::string(required(c, "--name"));
    json_body(r, body);
  } else {
    throw UsageError("'layouts apply' needs --name NAME or --file FILE");
  }
  return r;
}

ApiRequest outputs(const Command& c) {
  const std::string path = room_path(c.args[0]) + "/outputs";
  if (c.verb == "list") return get(path, View::OutputList);
  if (c.verb == "remove")
    return done("DELETE", path + "/" + encode_component(c.args[1]),
                "output " + quoted(c.args[1]) + " removed");
  web::json::value body = web::json::value::object(true);
  body["kind"] = web::json::value::string("rtmp");
  body["url"] = web::json::value::string(required(c, "--url"));
  if (c.has("--name")) body["name"] = web::json::value::string(required(c, "--name"));
  ApiRequest r = post(path, View::Output);
  json_body(r, body);
  return r;
}

ApiRequest recordings(const Command& c) {
  const std::string& room = c.args[0];
  if (c.verb == "list") return get(room_path(room) + "/recordings", View::RecordingList);
  const std::string& file = c.args[1];
  if (c.verb == "delete")
    return done("DELETE", room_path(room) + "/recordings/" + encode_component(file),
                "recording " + quoted(file) + " deleted");
  // download
  ApiRequest r =
      get("/recordings/" + encode_component(room) + "/" + encode_component(file), View::Download);
  if (c.has("--output")) {
    r.output_path = required(c, "--output");
  } else {
    const size_t slash = file.find_last_of('/');
    r.output_path = slash == std::string::npos ? file : file.substr(slash + 1);
    if (r.output_path.empty() || r.output_path == "." || r.output_path == "..")
      throw UsageError("name the local file with -o PATH");
  }
  r.resume = c.has("--continue");
  if (r.resume && r.output_path == "-")
    throw UsageError("--continue needs a file to continue, not standard output");
  return r;
}

ApiRequest tokens(const Command& c) {
  web::json::value body = web::json::value::object(true);
  body["room"] = web::json::value::string(c.args[0]);
  body["identity"] = web::json::value::string(c.args[1]);
  if (c.has("--name")) body["name"] = web::json::value::string(required(c, "--name"));
  body["can_publish"] = web::json::value::boolean(!c.has("--no-publish"));
  body["can_subscribe"] = web::json::value::boolean(!c.has("--no-subscribe"));
  if (c.has("--ttl")) {
    const int64_t ttl = integer_option(c, "--ttl");
    if (ttl < 1) throw UsageError("--ttl: must be at least 1 second");
    body["ttl_s"] = web::json::value::number(ttl);
  }
  ApiRequest r = post("/api/v1/tokens", View::Token);
  json_body(r, body);
  return r;
}

}  // namespace

std::string encode_component(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

ApiRequest request_for(const Command& c) {
  const std::string& group = c.group;
  if (group == "rooms") return rooms(c);
  if (group == "participants") return participants(c);
  if (group == "sources") return sources(c);
  if (group == "layouts") return layouts(c);
  if (group == "outputs") return outputs(c);
  if (group == "hls" || group == "recording")
    return post(room_path(c.args[0]) + "/" + group + "/" + c.verb, View::RoomOutputs);
  if (group == "recordings") return recordings(c);
  if (group == "tokens") return tokens(c);
  if (group == "metrics") return get("/metrics", View::Text);
  if (group == "health") return get("/healthz", View::Health);
  throw UsageError("unknown command '" + c.name() + "'");
}

ResumeAction resume_action(int status, std::string_view content_range, uint64_t local_size) {
  auto number = [](std::string_view text, uint64_t& value) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && ptr == text.data() + text.size();
  };
  if (status == 200) return ResumeAction::Replace;
  // "bytes 100-199/200" (206) or "bytes */200" (416)
  if (content_range.rfind("bytes ", 0) != 0) return ResumeAction::Mismatch;
  const std::string_view range = content_range.substr(6);
  const size_t slash = range.find('/');
  if (slash == std::string_view::npos) return ResumeAction::Mismatch;
  const std::string_view span = range.substr(0, slash), total = range.substr(slash + 1);
  uint64_t size = 0;
  const bool size_known = number(total, size);
  if (status == 206) {
    const size_t dash = span.find('-');
    uint64_t first = 0;
    if (dash == std::string_view::npos || !number(span.substr(0, dash), first))
      return ResumeAction::Mismatch;
    return first == local_size ? ResumeAction::Append : ResumeAction::Mismatch;
  }
  if (status == 416 && span == "*" && size_known && size == local_size && local_size > 0)
    return ResumeAction::Complete;
  return ResumeAction::Mismatch;
}

}  // namespace mixcast::ctl
