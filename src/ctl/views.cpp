#include "ctl/views.h"

#include <cpprest/json.h>

#include <cmath>
#include <cstdio>

#include "ctl/table.h"

namespace mixcast::ctl {

namespace {

using web::json::value;

value parse_object(const std::string& body) {
  std::error_code ec;
  value root = value::parse(body, ec);
  if (ec || !root.is_object())
    throw UnexpectedAnswer("the server's answer is not a JSON object: " + body.substr(0, 200));
  return root;
}

const value* member(const value& object, const char* name) {
  if (!object.is_object() || !object.has_field(name)) return nullptr;
  const value& v = object.at(name);
  return v.is_null() ? nullptr : &v;
}

std::string text(const value& object, const char* name, const std::string& fallback = "") {
  const value* v = member(object, name);
  if (!v) return fallback;
  if (v->is_string()) return v->as_string().empty() ? fallback : v->as_string();
  return v->serialize();
}

double number(const value& object, const char* name, double fallback = 0) {
  const value* v = member(object, name);
  return v && v->is_number() ? v->as_double() : fallback;
}

int64_t integer(const value& object, const char* name) {
  const value* v = member(object, name);
  if (!v || !v->is_number()) return 0;
  return v->as_number().is_integral() ? v->as_number().to_int64()
                                      : static_cast<int64_t>(v->as_double());
}

bool flag(const value& object, const char* name) {
  const value* v = member(object, name);
  return v && v->is_boolean() && v->as_bool();
}

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

// The array `name` of the answer (an object), or an error naming it.
const web::json::array& array_of(const value& root, const char* name) {
  const value* v = member(root, name);
  if (!v || !v->is_array())
    throw UnexpectedAnswer(std::string("the server's answer has no '") + name + "' list");
  return v->as_array();
}

std::string canvas(const value& room) {
  return std::to_string(integer(room, "width")) + "x" + std::to_string(integer(room, "height")) +
         "@" + std::to_string(integer(room, "fps"));
}

// The array `name` of a room; an empty one when it is missing.
const web::json::array& list_or_empty(const value& room, const char* name) {
  static const value empty = value::array();
  const value* v = member(room, name);
  return v && v->is_array() ? v->as_array() : empty.as_array();
}

Table participants_of(const web::json::array& participants) {
  Table table({"ID", "NAME", "AUDIO", "VIDEO", "VOLUME", "PINNED", "SPEAKING"});
  for (const value& p : participants) {
    const std::string video =
        flag(p, "video_muted") ? "muted" : (flag(p, "has_video") ? "on" : "none");
    table.add_row({text(p, "id"), text(p, "name"), flag(p, "audio_muted") ? "muted" : "on", video,
                   human_db(number(p, "volume_db")), yes_no(flag(p, "pinned")),
                   yes_no(flag(p, "speaking"))});
  }
  return table;
}

void add_output(Table& table, const value& o) {
  table.add_row({text(o, "name"), text(o, "kind"), text(o, "state"),
                 std::to_string(integer(o, "attempt")), human_bytes(integer(o, "bytes")),
                 text(o, "last_error", "-")});
}

Table outputs_of(const web::json::array& outputs) {
  Table table({"NAME", "KIND", "STATE", "ATTEMPT", "BYTES", "LAST-ERROR"});
  for (const value& o : outputs) add_output(table, o);
  return table;
}

std::string or_none(const Table& table) {
  return table.rows() == 0 ? "(none)\n" : table.render();
}

std::string room_view(const value& room) {
  Table fields;
  fields.add_row({"name", text(room, "name")});
  fields.add_row({"layout", text(room, "layout")});
  fields.add_row({"canvas", canvas(room)});
  fields.add_row({"frames", std::to_string(integer(room, "video_frames_encoded"))});
  fields.add_row({"core rebuilds", std::to_string(integer(room, "core_rebuilds"))});
  fields.add_row({"last core error", text(room, "last_core_error", "-")});
  fields.add_row({"hls", text(room, "hls", "-")});
  std::string out = fields.render();
  out += "\nparticipants:\n" + or_none(participants_of(list_or_empty(room, "participants")));
  out += "\noutputs:\n" + or_none(outputs_of(list_or_empty(room, "outputs")));
  return out;
}

// printf's %.*f with a unit; "-" for a value the server reports as null.
std::string fixed(const value& object, const char* name, int digits, const char* unit) {
  const value* v = member(object, name);
  if (!v || !v->is_number()) return "-";
  char text[48];
  std::snprintf(text, sizeof text, "%.*f%s", digits, v->as_double(), unit);
  return text;
}

int64_t dropped(const value& counters) {
  const value* input = member(counters, "input");
  if (!input) return 0;
  int64_t total = 0;
  for (const char* kind : {"video", "audio"})
    if (const value* k = member(*input, kind)) total += integer(*k, "dropped");
  return total;
}

std::string guards(const value& stats) {
  const value* input = member(stats, "input");
  std::string out;
  for (const char* kind : {"video", "audio"}) {
    const value* k = input ? member(*input, kind) : nullptr;
    if (!k) continue;
    if (!out.empty()) out += "; ";
    out += std::string(kind) + " " + std::to_string(integer(*k, "passed")) + " passed, " +
           std::to_string(integer(*k, "dropped")) + " dropped, " +
           std::to_string(integer(*k, "repaired")) + " repaired";
  }
  return out.empty() ? "-" : out;
}

std::string stats_view(const value& stats) {
  Table fields;
  fields.add_row({"room", text(stats, "room")});
  // Under persistent overload the room encodes one frame in two on purpose.
  const int64_t fps = integer(stats, "fps");
  const double programme_fps = number(stats, "programme_fps", static_cast<double>(fps));
  std::string target = "target " + std::to_string(fps);
  if (programme_fps < static_cast<double>(fps))
    target += "; " + fixed(stats, "programme_fps", 0, "") + " while overloaded";
  fields.add_row({"encoder fps", fixed(stats, "encoder_fps", 2, "") + " (" + target + ")"});
  std::string frames = std::to_string(integer(stats, "video_frames_encoded"));
  if (const int64_t skipped = integer(stats, "video_frames_skipped"))
    frames += ", " + std::to_string(skipped) + " skipped";
  if (const int64_t thinned = integer(stats, "video_frames_thinned"))
    frames += ", " + std::to_string(thinned) + " thinned";
  fields.add_row({"frames", frames});
  fields.add_row({"core rebuilds", std::to_string(integer(stats, "core_rebuilds"))});
  fields.add_row({"viewers", std::to_string(integer(stats, "viewers"))});
  fields.add_row({"input", guards(stats)});
  Table participants({"ID", "NAME", "LEVEL", "IN", "OUT", "LOSS", "JITTER", "RTT", "DROPPED"});
  for (const value& p : list_or_empty(stats, "participants")) {
    static const value no_network = value::object();
    const value* network = member(p, "network");
    const value& net = network ? *network : no_network;
    participants.add_row({text(p, "id"), text(p, "name"), fixed(p, "audio_level_db", 1, " dB"),
                          fixed(net, "bitrate_in_kbps", 0, " kbps"),
                          fixed(net, "bitrate_out_kbps", 0, " kbps"),
                          fixed(net, "loss_percent", 2, "%"), fixed(net, "jitter_ms", 1, " ms"),
                          fixed(net, "rtt_ms", 1, " ms"), std::to_string(dropped(p))});
  }
  return fields.render() + "\nparticipants:\n" + or_none(participants) + "\noutputs:\n" +
         or_none(outputs_of(list_or_empty(stats, "outputs")));
}

}  // namespace

std::string rooms_table(const std::string& body) {
  Table table({"NAME", "LAYOUT", "SIZE", "PARTICIPANTS", "OUTPUTS", "FRAMES"});
  const value root = parse_object(body);
  for (const value& room : array_of(root, "rooms"))
    table.add_row({text(room, "name"), text(room, "layout"), canvas(room),
                   std::to_string(list_or_empty(room, "participants").size()),
                   std::to_string(list_or_empty(room, "outputs").size()),
                   std::to_string(integer(room, "video_frames_encoded"))});
  return table.render();
}

std::string participants_table(const std::string& body) {
  const value root = parse_object(body);
  return participants_of(array_of(root, "participants")).render();
}

std::string outputs_table(const std::string& body) {
  const value root = parse_object(body);
  return outputs_of(array_of(root, "outputs")).render();
}

std::string recordings_table(const std::string& body) {
  // STATE: being written now, finalized, or neither (cut short by a crash).
  Table table({"FILE", "SIZE", "DURATION", "STATE"});
  const value root = parse_object(body);
  for (const value& r : array_of(root, "recordings"))
    table.add_row(
        {text(r, "file"), human_bytes(integer(r, "size_bytes")),
         human_duration(number(r, "duration_s") > 0 ? number(r, "duration_s") : -1),
         flag(r, "recording") ? "writing" : (flag(r, "finished") ? "finished" : "unfinished")});
  return table.render();
}

std::string render(const ApiRequest& request, const std::string& body) {
  switch (request.view) {
    case View::RoomList:
      return rooms_table(body);
    case View::Room:
      return room_view(parse_object(body));
    case View::RoomStats:
      return stats_view(parse_object(body));
    case View::ParticipantList:
      return participants_table(body);
    case View::Participant: {
      value participants = value::array();
      participants[0] = parse_object(body);
      return participants_of(participants.as_array()).render();
    }
    case View::SourceId: {
      const std::string id = text(parse_object(body), "id");
      if (id.empty()) throw UnexpectedAnswer("the server's answer has no 'id'");
      return id + "\n";
    }
    case View::LayoutList: {
      Table table({"NAME", "FILE"});
      const value root = parse_object(body);
      for (const value& l : array_of(root, "layouts"))
        table.add_row({text(l, "name"), text(l, "file")});
      return table.render();
    }
    case View::Text:
      return body.empty() || body.back() == '\n' ? body : body + "\n";
    case View::Validation:
      return (request.body_file == "-" ? std::string("<stdin>") : request.body_file) + ": valid\n";
    case View::OutputList:
      return outputs_table(body);
    case View::Output: {
      Table table({"NAME", "KIND", "STATE", "ATTEMPT", "BYTES", "LAST-ERROR"});
      add_output(table, parse_object(body));
      return table.render();
    }
    case View::RoomOutputs:
      return outputs_table(body);
    case View::RecordingList:
      return recordings_table(body);
    case View::Token: {
      const std::string token = text(parse_object(body), "token");
      if (token.empty()) throw UnexpectedAnswer("the server's answer has no 'token'");
      return token + "\n";
    }
    case View::Health:
      return text(parse_object(body), "status", "ok") + "\n";
    case View::Done:
      return request.done_message + "\n";
    case View::Download:
      return "";
  }
  return "";
}

}  // namespace mixcast::ctl
