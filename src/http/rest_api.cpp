#include "http/rest_api.h"

#include <sstream>

#include "http/json_util.h"
#include "http/reply.h"

namespace mixcast {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/')) out.push_back(part);
  if (!path.empty() && path.back() == '/') out.emplace_back();
  return out;
}

std::string body_of(SoupServerMessage* msg) {
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  return body && body->data ? std::string(body->data, body->length) : std::string();
}

// The media type without parameters, lower case; "" when there is none.
std::string media_type(SoupServerMessage* msg) {
  const char* type =
      soup_message_headers_get_content_type(soup_server_message_get_request_headers(msg), nullptr);
  if (!type) return "";
  GCharPtr lower(g_ascii_strdown(type, -1));
  return lower.get();
}

bool is_yaml(const std::string& type) {
  return type == "application/yaml" || type == "application/x-yaml" || type == "text/yaml" ||
         type == "text/x-yaml" || type == "text/plain";
}

// Throws ApiError (415) unless the body is declared as JSON.
JsonObjectReader json_body(SoupServerMessage* msg) {
  if (media_type(msg) != "application/json")
    throw api_error(ErrorKind::UnsupportedMediaType, "send the body as application/json");
  return JsonObjectReader(body_of(msg));
}

std::string query_value(GHashTable* query, const char* name) {
  const char* value = query ? static_cast<const char*>(g_hash_table_lookup(query, name)) : nullptr;
  return value ? value : "";
}

// 405 has no ErrorKind of its own: it is about the route, not the operation.
// `allowed` is the Allow header (methods only, RFC 9110); `hint` adds to the message.
void send_method_not_allowed(SoupServerMessage* msg, const std::string& method, const char* allowed,
                             const char* hint = nullptr) {
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", allowed);
  send_json_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                  "method " + method + " is not allowed here (allowed: " + allowed + ")" +
                      (hint ? std::string("; ") + hint : std::string()));
}

void send_no_content(SoupServerMessage* msg) {
  soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

// For an operation that answers later: 204 when it is done, else its error.
OperatorApi::Done no_content_later(SoupServerMessage* msg) {
  return [reply = DeferredReply(msg)](ApiResult failed) {
    if (failed)
      send_api_error(reply.message(), *failed);
    else
      send_no_content(reply.message());
    reply.finish();
  };
}

}  // namespace

void RestApi::handle(SoupServerMessage* msg, const std::string& method, const std::string& path,
                     GHashTable* query) {
  const std::vector<std::string> at = split_path(path);
  try {
    if (at.empty()) {
      send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint: /api/v1/" + path);
    } else if (at[0] == "rooms" && at.size() == 1) {
      rooms(msg, method);
    } else if (at[0] == "rooms") {
      room(msg, method, at, query);
    } else if (at[0] == "layouts") {
      layouts(msg, method, at);
    } else if (at[0] == "tokens" && at.size() == 1) {
      tokens(msg, method);
    } else if (at[0] == "reload" && at.size() == 1) {
      reload(msg, method);
    } else {
      send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint: /api/v1/" + path);
    }
  } catch (const ApiError& e) {
    send_api_error(msg, e);
  }
}

RoomStatus RestApi::current(const std::string& room) const {
  auto status = api_.room(room);
  if (!status) throw api_error(ErrorKind::NotFound, "no room named '" + room + "'");
  return std::move(*status);
}

void RestApi::send_room(SoupServerMessage* msg, const std::string& name, int status) {
  auto status_of_room = api_.room(name);
  if (!status_of_room) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no room named '" + name + "'");
    return;
  }
  JsonWriter out;
  write_room(out, *status_of_room);
  send_json(msg, status, out.text(true));
}

void RestApi::rooms(SoupServerMessage* msg, const std::string& method) {
  if (method == "GET" || method == "HEAD") {
    JsonWriter out;
    out.begin_object().key("rooms").begin_array();
    for (const auto& r : api_.rooms()) write_room(out, r);
    out.end_array().end_object();
    send_json(msg, SOUP_STATUS_OK, out.text(true));
  } else if (method == "POST") {
    // Strict JSON first (a clear message for a malformed body); the room's
    // fields are then read by the config's own room reader.
    json_body(msg);
    std::string name;
    if (auto failed = api_.create_room(body_of(msg), name)) throw *failed;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location",
                                 ("/api/v1/rooms/" + name).c_str());
    send_room(msg, name, SOUP_STATUS_CREATED);
  } else {
    send_method_not_allowed(msg, method, "GET, POST");
  }
}

void RestApi::room(SoupServerMessage* msg, const std::string& method,
                   const std::vector<std::string>& at, GHashTable* query) {
  const std::string& name = at[1];
  // A closed room's recordings stay on disk: they are listed and deleted
  // whether the room is open or not (the server looks for them itself). The
  // name becomes a directory name, so only a valid room name gets that far.
  if (at.size() >= 3 && at[2] == "recordings" && valid_room_name(name)) {
    recordings(msg, method, at);
    return;
  }
  if (!api_.room(name)) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no room named '" + name + "'");
    return;
  }
  if (at.size() == 2) {
    if (method == "GET" || method == "HEAD") {
      send_room(msg, name);
    } else if (method == "DELETE") {
      api_.delete_room(name, no_content_later(msg));
    } else {
      send_method_not_allowed(msg, method, "GET, DELETE");
    }
    return;
  }
  const std::string& what = at[2];
  if (what == "rebuild" && at.size() == 3) {
    if (method != "POST") return send_method_not_allowed(msg, method, "POST");
    if (auto failed = api_.rebuild_room(name)) throw *failed;
    send_room(msg, name, SOUP_STATUS_ACCEPTED);
  } else if (what == "participants") {
    participants(msg, method, at, query);
  } else if (what == "sources") {
    sources(msg, method, at);
  } else if (what == "layout" && at.size() == 3) {
    apply_layout(msg, method, name);
  } else if (what == "outputs" || what == "hls" || what == "recording") {
    outputs(msg, method, at);
  } else if (what == "stats" && at.size() == 3) {
    if (method != "GET" && method != "HEAD") return send_method_not_allowed(msg, method, "GET");
    JsonWriter out;
    write_room_stats(out, current(name));
    send_json(msg, SOUP_STATUS_OK, out.text(true));
  } else {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint under /api/v1/rooms/" + name);
  }
}

void RestApi::participants(SoupServerMessage* msg, const std::string& method,
                           const std::vector<std::string>& at, GHashTable* query) {
  const std::string& room = at[1];
  if (at.size() == 3) {
    if (method != "GET" && method != "HEAD") return send_method_not_allowed(msg, method, "GET");
    JsonWriter out;
    out.begin_object().key("participants").begin_array();
    const RoomStatus status = current(room);
    for (const auto& p : status.participants) write_participant(out, p);
    out.end_array().end_object();
    send_json(msg, SOUP_STATUS_OK, out.text(true));
    return;
  }
  if (at.size() != 4) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
    return;
  }
  const std::string& id = at[3];
  auto find = [&]() -> std::optional<ParticipantStatus> {
    const RoomStatus status = current(room);
    for (const auto& p : status.participants)
      if (p.id == id) return p;
    return std::nullopt;
  };
  if (method == "GET" || method == "HEAD") {
    auto p = find();
    if (!p)
      throw api_error(ErrorKind::NotFound, "no participant '" + id + "' in room '" + room + "'");
    JsonWriter out;
    write_participant(out, *p);
    send_json(msg, SOUP_STATUS_OK, out.text(true));
  } else if (method == "PATCH") {
    const JsonObjectReader body = json_body(msg);
    body.only({"name", "audio_muted", "video_muted", "volume_db", "pinned"});
    ParticipantChange change;
    change.name = body.string("name");
    change.audio_muted = body.boolean("audio_muted");
    change.video_muted = body.boolean("video_muted");
    change.volume_db = body.number("volume_db");
    change.pinned = body.boolean("pinned");
    if (auto failed = api_.change_participant(room, id, change)) throw *failed;
    auto p = find();
    if (!p) throw api_error(ErrorKind::NotFound, "participant '" + id + "' left");
    JsonWriter out;
    write_participant(out, *p);
    send_json(msg, SOUP_STATUS_OK, out.text(true));
  } else if (method == "DELETE") {
    std::string reason = query_value(query, "reason");
    if (reason.empty()) reason = "removed by the operator";
    if (auto failed = api_.kick_participant(room, id, reason)) throw *failed;
    send_no_content(msg);
  } else {
    send_method_not_allowed(msg, method, "GET, PATCH, DELETE");
  }
}

void RestApi::sources(SoupServerMessage* msg, const std::string& method,
                      const std::vector<std::string>& at) {
  const std::string& room = at[1];
  if (at.size() == 3) {
    if (method != "POST") return send_method_not_allowed(msg, method, "POST");
    const JsonObjectReader body = json_body(msg);
    body.only({"name", "identity", "uri", "loop"});
    SourceConfig source;
    source.uri = body.string("uri").value_or("");
    if (source.uri.empty()) throw api_error(ErrorKind::BadRequest, "'uri' is required", "uri");
    source.name = body.string("name").value_or("");
    if (source.name.empty()) throw api_error(ErrorKind::BadRequest, "'name' is required", "name");
    source.identity = body.string("identity").value_or(source.name);
    source.loop = body.boolean("loop").value_or(false);
    std::string id;
    if (auto failed = api_.add_source(room, source, id)) throw *failed;
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Location",
                                 ("/api/v1/rooms/" + room + "/participants/" + id).c_str());
    JsonWriter out;
    out.begin_object().field("id", id).field("name", source.name).field("uri", source.uri);
    send_json(msg, SOUP_STATUS_CREATED, out.end_object().text(true));
  } else if (at.size() == 4) {
    if (method != "DELETE") return send_method_not_allowed(msg, method, "DELETE");
    if (auto failed = api_.kick_participant(room, at[3], "source removed by the operator"))
      throw *failed;
    send_no_content(msg);
  } else {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
  }
}

void RestApi::outputs(SoupServerMessage* msg, const std::string& method,
                      const std::vector<std::string>& at) {
  const std::string& room = at[1];
  const std::string& what = at[2];
  auto answer_with_room = [this, room](const DeferredReply& reply) {
    return [this, room, reply](ApiResult failed) {
      if (failed)
        send_api_error(reply.message(), *failed);
      else
        send_room(reply.message(), room);
      reply.finish();
    };
  };
  if (what == "hls" || what == "recording") {
    if (at.size() != 4) {
      send_json_error(msg, SOUP_STATUS_NOT_FOUND,
                      "POST /api/v1/rooms/{room}/" + what + "/{action}");
      return;
    }
    if (method != "POST") return send_method_not_allowed(msg, method, "POST");
    const std::string& verb = at[3];
    std::optional<OutputAction> action;
    if (what == "hls" && verb == "start") action = OutputAction::HlsStart;
    if (what == "hls" && verb == "stop") action = OutputAction::HlsStop;
    if (what == "recording" && verb == "start") action = OutputAction::RecordingStart;
    if (what == "recording" && verb == "stop") action = OutputAction::RecordingStop;
    if (what == "recording" && verb == "split") action = OutputAction::RecordingSplit;
    if (!action) {
      send_json_error(
          msg, SOUP_STATUS_NOT_FOUND,
          what == "hls" ? "HLS actions: start, stop" : "recording actions: start, stop, split");
      return;
    }
    DeferredReply reply(msg);
    api_.output_action(room, *action, answer_with_room(reply));
    return;
  }
  if (at.size() == 3) {
    if (method == "GET" || method == "HEAD") {
      JsonWriter out;
      out.begin_object().key("outputs").begin_array();
      const RoomStatus status = current(room);
      for (const auto& o : status.outputs) write_output(out, o);
      out.end_array().end_object();
      send_json(msg, SOUP_STATUS_OK, out.text(true));
    } else if (method == "POST") {
      const JsonObjectReader body = json_body(msg);
      body.only(
          {"kind", "name", "url", "max_retries", "backoff_initial_s", "backoff_max_s", "queue_s"});
      const std::string kind = body.string("kind").value_or("rtmp");
      if (kind != "rtmp")
        throw api_error(ErrorKind::BadRequest,
                        "outputs added at run time are RTMP pushes (kind 'rtmp'); HLS and the "
                        "recording have their own start and stop",
                        "kind");
      RtmpConfig rtmp;
      rtmp.name = body.string("name").value_or("");
      rtmp.url = body.string("url").value_or("");
      if (rtmp.url.empty()) throw api_error(ErrorKind::BadRequest, "'url' is required", "url");
      if (auto v = body.integer("max_retries")) rtmp.max_retries = static_cast<int>(*v);
      if (auto v = body.number("backoff_initial_s")) rtmp.backoff_initial_s = *v;
      if (auto v = body.number("backoff_max_s")) rtmp.backoff_max_s = *v;
      if (auto v = body.number("queue_s")) rtmp.queue_s = *v;
      if (auto failed = api_.add_rtmp_output(room, rtmp)) throw *failed;
      // The new output is the last one of its room.
      const auto outputs = current(room).outputs;
      JsonWriter out;
      write_output(out, outputs.back());
      soup_message_headers_replace(
          soup_server_message_get_response_headers(msg), "Location",
          ("/api/v1/rooms/" + room + "/outputs/" + outputs.back().name).c_str());
      send_json(msg, SOUP_STATUS_CREATED, out.text(true));
    } else {
      send_method_not_allowed(msg, method, "GET, POST");
    }
    return;
  }
  if (at.size() != 4) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
    return;
  }
  const std::string& name = at[3];
  if (method == "GET" || method == "HEAD") {
    const RoomStatus status = current(room);
    for (const auto& o : status.outputs) {
      if (o.name != name) continue;
      JsonWriter out;
      write_output(out, o);
      send_json(msg, SOUP_STATUS_OK, out.text(true));
      return;
    }
    throw api_error(ErrorKind::NotFound, "no output '" + name + "' in room '" + room + "'");
  } else if (method == "DELETE") {
    api_.remove_output(room, name, no_content_later(msg));
  } else {
    send_method_not_allowed(msg, method, "GET, DELETE");
  }
}

void RestApi::recordings(SoupServerMessage* msg, const std::string& method,
                         const std::vector<std::string>& at) {
  const std::string& room = at[1];
  if (at.size() == 3) {
    if (method != "GET" && method != "HEAD") return send_method_not_allowed(msg, method, "GET");
    DeferredReply reply(msg);
    api_.recordings(room, [reply, room](ApiResult failed, std::vector<RecordingInfo> files) {
      if (failed) {
        send_api_error(reply.message(), *failed);
      } else {
        JsonWriter out;
        out.begin_object().key("recordings").begin_array();
        for (const auto& f : files) {
          out.begin_object()
              .field("file", f.file)
              .field("url", "/recordings/" + room + "/" + f.file)
              .field("size_bytes", f.size_bytes)
              .key("duration_s");
          if (f.duration_s < 0)
            json_builder_add_null_value(out.get());
          else
            out.value(f.duration_s);
          out.field("finished", f.finished).field("recording", f.recording).end_object();
        }
        out.end_array().end_object();
        send_json(reply.message(), SOUP_STATUS_OK, out.text(true));
      }
      reply.finish();
    });
  } else if (at.size() == 4) {
    if (method != "DELETE")
      return send_method_not_allowed(msg, method, "DELETE",
                                     "download the file from /recordings/{room}/{file}");
    if (auto failed = api_.delete_recording(room, at[3])) throw *failed;
    send_no_content(msg);
  } else {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
  }
}

void RestApi::layouts(SoupServerMessage* msg, const std::string& method,
                      const std::vector<std::string>& at) {
  if (at.size() == 1) {
    if (method != "GET" && method != "HEAD") return send_method_not_allowed(msg, method, "GET");
    JsonWriter out;
    out.begin_object().key("layouts").begin_array();
    for (const auto& l : api_.layouts())
      out.begin_object().field("name", l.name).field("file", l.file).end_object();
    out.end_array().end_object();
    send_json(msg, SOUP_STATUS_OK, out.text(true));
    return;
  }
  if (at.size() != 2) {
    send_json_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
    return;
  }
  if (at[1] == "validate") {
    if (method != "POST") return send_method_not_allowed(msg, method, "POST");
    if (!is_yaml(media_type(msg)))
      throw api_error(ErrorKind::UnsupportedMediaType, "send the layout as application/yaml");
    if (auto failed = api_.validate_layout(body_of(msg))) throw *failed;
    send_json(msg, SOUP_STATUS_OK, "{\"valid\": true}");
    return;
  }
  if (method != "GET" && method != "HEAD") return send_method_not_allowed(msg, method, "GET");
  std::string yaml;
  if (auto failed = api_.layout_text(at[1], yaml)) throw *failed;
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg, "application/yaml", SOUP_MEMORY_COPY, yaml.data(),
                                   yaml.size());
}

void RestApi::apply_layout(SoupServerMessage* msg, const std::string& method,
                           const std::string& room) {
  if (method != "PUT") return send_method_not_allowed(msg, method, "PUT");
  const std::string type = media_type(msg);
  if (is_yaml(type)) {
    if (auto failed = api_.apply_layout(room, "", body_of(msg))) throw *failed;
  } else {
    const JsonObjectReader body = json_body(msg);
    body.only({"name"});
    const std::string name = body.string("name").value_or("");
    if (name.empty())
      throw api_error(ErrorKind::BadRequest,
                      "'name' is required (or send the layout itself as application/yaml)", "name");
    if (auto failed = api_.apply_layout(room, name, "")) throw *failed;
  }
  send_room(msg, room);
}

void RestApi::tokens(SoupServerMessage* msg, const std::string& method) {
  if (method != "POST") return send_method_not_allowed(msg, method, "POST");
  const JsonObjectReader body = json_body(msg);
  body.only({"room", "identity", "name", "can_publish", "can_subscribe", "ttl_s", "not_before"});
  TokenRequest request;
  request.room = body.string("room").value_or("");
  if (request.room.empty()) throw api_error(ErrorKind::BadRequest, "'room' is required", "room");
  request.identity = body.string("identity").value_or("");
  if (request.identity.empty())
    throw api_error(ErrorKind::BadRequest, "'identity' is required", "identity");
  request.name = body.string("name").value_or(request.identity);
  request.can_publish = body.boolean("can_publish").value_or(true);
  request.can_subscribe = body.boolean("can_subscribe").value_or(true);
  request.ttl_s = body.integer("ttl_s").value_or(3600);
  if (request.ttl_s < 1 || request.ttl_s > 7 * 24 * 3600)
    throw api_error(ErrorKind::BadRequest, "'ttl_s' must be between 1 and 604800", "ttl_s");
  request.not_before = body.integer("not_before").value_or(0);
  MintedToken minted;
  if (auto failed = api_.mint_token(request, minted)) throw *failed;
  JsonWriter out;
  out.begin_object().field("token", minted.token).field("expires_at", minted.expires_at);
  out.field("room", request.room).field("identity", request.identity);
  send_json(msg, SOUP_STATUS_CREATED, out.end_object().text(true));
}

void RestApi::reload(SoupServerMessage* msg, const std::string& method) {
  if (method != "POST") return send_method_not_allowed(msg, method, "POST");
  ReloadReport report;
  if (auto failed = api_.reload_config(report)) throw *failed;
  JsonWriter out;
  out.begin_object().field("summary", report.summary).key("needs_restart").begin_array();
  for (const auto& field : report.needs_restart) out.value(field);
  out.end_array().end_object();
  send_json(msg, SOUP_STATUS_OK, out.text(true));
}

}  // namespace mixcast
