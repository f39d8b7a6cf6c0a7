#include "integration_support.h"

#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

namespace mixcast::testing {

namespace {

const char* kRtmpModule = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

// Owns a JsonParser; root() is null when the text is not JSON.
class Json {
 public:
  explicit Json(const std::string& text) : parser_(json_parser_new()) {
    if (!json_parser_load_from_data(parser_, text.data(), static_cast<gssize>(text.size()),
                                    nullptr))
      failed_ = true;
  }
  ~Json() { g_object_unref(parser_); }
  Json(const Json&) = delete;
  Json& operator=(const Json&) = delete;
  JsonNode* root() const { return failed_ ? nullptr : json_parser_get_root(parser_); }

 private:
  JsonParser* parser_;
  bool failed_ = false;
};

std::string string_member(JsonObject* object, const char* name) {
  if (!json_object_has_member(object, name)) return "";
  JsonNode* node = json_object_get_member(object, name);
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
    return json_node_get_string(node);
  return "";
}

int64_t int_member(JsonObject* object, const char* name) {
  if (!json_object_has_member(object, name)) return 0;
  JsonNode* node = json_object_get_member(object, name);
  return JSON_NODE_HOLDS_VALUE(node) ? json_node_get_int(node) : 0;
}

// The digits of a segment's name ("segment00042.ts" -> 42), -1 without any.
int segment_number(const std::string& name) {
  const size_t end = name.find_last_of("0123456789");
  if (end == std::string::npos) return -1;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
  return std::atoi(name.substr(begin, end - begin + 1).c_str());
}

}  // namespace

std::string small_room_config(const std::string& room, const std::string& outputs_yaml,
                              const std::string& recordings) {
  return "log_level: info\n"
         "http:\n"
         "  port: {port}\n"
         "media:\n"
         "  width: 640\n"
         "  height: 360\n"
         "  fps: 30\n"
         "  video_bitrate_kbps: 800\n"
         "  video_encoder: x264\n"
         "  keyframe_interval_s: 2\n"
         "paths:\n"
         "  layouts: {root}/config/layouts\n"
         "  pipelines: {root}/pipelines\n"
         "  hls: {dir}/hls\n"
         "  recordings: " +
         recordings +
         "\n"
         "rooms:\n"
         "  - name: " +
         room +
         "\n"
         "    layout: grid\n"
         "    outputs:\n" +
         outputs_yaml +
         "    sources:\n"
         "      - name: Alice\n"
         "        uri: test://color?color=red&tone=440\n"
         "      - name: Bob\n"
         "        uri: test://color?color=green&tone=660\n";
}

// ---------------------------------------------------------------------------

RtmpServer::RtmpServer(const std::string& dir, int port) : dir_(dir), port_(port) {
  std::filesystem::create_directories(record_dir());
  const std::string p = std::to_string(port);
  write_file(dir_ + "/nginx.conf", std::string("load_module ") + kRtmpModule +
                                       ";\n"
                                       "daemon off;\n"
                                       "master_process off;\n"
                                       "pid " +
                                       dir_ + "/nginx.pid;\n" + "error_log " + dir_ +
                                       "/nginx-error.log info;\n"
                                       "events { worker_connections 64; }\n"
                                       "rtmp {\n"
                                       "  server {\n"
                                       "    listen 127.0.0.1:" +
                                       p +
                                       ";\n"
                                       "    application live {\n"
                                       "      live on;\n"
                                       "      record all;\n"
                                       "      record_path " +
                                       record_dir() +
                                       ";\n"
                                       "      record_unique on;\n"
                                       "    }\n"
                                       "  }\n"
                                       "}\n");
}

RtmpServer::~RtmpServer() {
  if (process_) process_->stop(SIGKILL, 5);
}

bool RtmpServer::available() {
  int code = -1;
  run_command("command -v nginx >/dev/null 2>&1", &code);
  return code == 0 && std::filesystem::exists(kRtmpModule);
}

bool RtmpServer::start(double timeout_s) {
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"nginx", "-e", dir_ + "/nginx-error.log", "-p", dir_ + "/", "-c",
                               dir_ + "/nginx.conf"},
      dir_ + "/nginx.out", dir_);
  return wait_until([this] { return process_->running() && tcp_port_open(port_); }, timeout_s);
}

void RtmpServer::kill() {
  if (process_) process_->stop(SIGKILL, 5);
}

void RtmpServer::stop() {
  if (process_) process_->stop(SIGTERM, 5);
}

bool RtmpServer::running() {
  return process_ && process_->running();
}

std::string RtmpServer::url(const std::string& key) const {
  return "rtmp://127.0.0.1:" + std::to_string(port_) + "/live/" + key;
}

std::vector<std::string> RtmpServer::recorded_files() const {
  return files_in(record_dir(), ".flv");
}

std::string RtmpServer::log() const {
  return read_file(dir_ + "/nginx.out") + read_file(dir_ + "/nginx-error.log");
}

bool tcp_port_open(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// ---------------------------------------------------------------------------

std::optional<OutputInfo> output_info(const ServerUnderTest& server, const std::string& room,
                                      const std::string& output) {
  const HttpResponse response = server.get("/api/v1/rooms/" + room);
  if (response.status != 200) return std::nullopt;
  Json json(response.body);
  JsonNode* root = json.root();
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return std::nullopt;
  JsonObject* object = json_node_get_object(root);
  if (!json_object_has_member(object, "outputs")) return std::nullopt;
  JsonArray* outputs = json_object_get_array_member(object, "outputs");
  if (!outputs) return std::nullopt;
  for (guint i = 0; i < json_array_get_length(outputs); ++i) {
    JsonObject* o = json_array_get_object_element(outputs, i);
    if (!o || string_member(o, "name") != output) continue;
    OutputInfo info;
    info.name = output;
    info.kind = string_member(o, "kind");
    info.target = string_member(o, "target");
    info.state = string_member(o, "state");
    info.attempt = static_cast<int>(int_member(o, "attempt"));
    info.last_error = string_member(o, "last_error");
    info.bytes = int_member(o, "bytes");
    return info;
  }
  return std::nullopt;
}

int64_t frames_encoded(const ServerUnderTest& server, const std::string& room) {
  const HttpResponse response = server.get("/api/v1/rooms/" + room);
  if (response.status != 200) return -1;
  Json json(response.body);
  JsonNode* root = json.root();
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return -1;
  JsonObject* object = json_node_get_object(root);
  if (!json_object_has_member(object, "video_frames_encoded")) return -1;
  return int_member(object, "video_frames_encoded");
}

std::string describe(const std::optional<OutputInfo>& info) {
  if (!info) return "(no such output in the API)";
  return info->state + " (attempt " + std::to_string(info->attempt) + ", bytes " +
         std::to_string(info->bytes) + ", last_error \"" + info->last_error + "\")";
}

bool json_has_member(const std::string& text, const std::string& name) {
  Json json(text);
  JsonNode* root = json.root();
  return root && JSON_NODE_HOLDS_OBJECT(root) &&
         json_object_has_member(json_node_get_object(root), name.c_str());
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// ---------------------------------------------------------------------------

std::vector<StreamInfo> probe_streams(const std::string& input, double timeout_s) {
  const std::string out = run_command(
      "timeout " + std::to_string(static_cast<int>(timeout_s)) +
      " ffprobe -v error -show_entries stream=codec_type,codec_name,width,height,r_frame_rate "
      "-of json " +
      shell_quote(input) + " 2>/dev/null");
  std::vector<StreamInfo> streams;
  Json json(out);
  JsonNode* root = json.root();
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return streams;
  JsonObject* object = json_node_get_object(root);
  if (!json_object_has_member(object, "streams")) return streams;
  JsonArray* array = json_object_get_array_member(object, "streams");
  for (guint i = 0; array && i < json_array_get_length(array); ++i) {
    JsonObject* s = json_array_get_object_element(array, i);
    StreamInfo info;
    info.codec_type = string_member(s, "codec_type");
    info.codec_name = string_member(s, "codec_name");
    info.width = static_cast<int>(int_member(s, "width"));
    info.height = static_cast<int>(int_member(s, "height"));
    info.r_frame_rate = string_member(s, "r_frame_rate");
    streams.push_back(info);
  }
  return streams;
}

const StreamInfo* find_stream(const std::vector<StreamInfo>& streams, const std::string& type) {
  for (const auto& s : streams)
    if (s.codec_type == type) return &s;
  return nullptr;
}

double probe_duration(const std::string& input) {
  int code = -1;
  const std::string out =
      run_command("timeout 30 ffprobe -v error -show_entries format=duration -of csv=p=0 " +
                      shell_quote(input) + " 2>/dev/null",
                  &code);
  if (code != 0) return -1;
  char* end = nullptr;
  const double value = std::strtod(out.c_str(), &end);
  return end == out.c_str() ? -1 : value;
}

std::vector<double> video_frame_times(const std::string& file, bool* ok) {
  int code = -1;
  const std::string out = run_command(
      "timeout 60 ffprobe -v error -select_streams v:0 -show_entries frame=pts_time -of csv=p=0 " +
          shell_quote(file) + " 2>/dev/null",
      &code);
  std::vector<double> times;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || !(std::isdigit(static_cast<unsigned char>(line[0])) || line[0] == '-'))
      continue;
    times.push_back(std::strtod(line.c_str(), nullptr));
  }
  if (ok) *ok = code == 0 && !times.empty();
  return times;
}

size_t largest_gap_at(const std::vector<double>& times) {
  size_t at = 0;
  for (size_t i = 1; i < times.size(); ++i)
    if (times[i] - times[i - 1] > times[at + 1] - times[at]) at = i - 1;
  return at;
}

double largest_gap(const std::vector<double>& times) {
  if (times.size() < 2) return 0;
  const size_t at = largest_gap_at(times);
  return times[at + 1] - times[at];
}

std::vector<std::string> files_in(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && path.size() >= suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(path);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------------------

int Playlist::last_number() const {
  return uris.empty() ? -1 : segment_number(uris.back());
}

Playlist parse_playlist(const std::string& text) {
  Playlist playlist;
  std::istringstream lines(text);
  std::string line;
  std::string last_tag;
  while (std::getline(lines, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    if (line.rfind("#EXTINF:", 0) == 0) {
      playlist.durations.push_back(std::strtod(line.c_str() + 8, nullptr));
    } else if (line.rfind("#EXT-X-MEDIA-SEQUENCE:", 0) == 0) {
      playlist.media_sequence = std::strtol(line.c_str() + 22, nullptr, 10);
    } else if (line.rfind("#EXT-X-DISCONTINUITY-SEQUENCE:", 0) == 0) {
      playlist.discontinuity_sequence = std::strtol(line.c_str() + 30, nullptr, 10);
    } else if (line == "#EXT-X-DISCONTINUITY") {
      ++playlist.discontinuities;
    } else if (line[0] != '#') {
      playlist.uris.push_back(line);
    }
    last_tag = line;
  }
  playlist.ended = last_tag == "#EXT-X-ENDLIST";
  return playlist;
}

// ---------------------------------------------------------------------------

namespace {

// The node at a dotted path ("error.issues.0.line"), or nullptr.
JsonNode* node_at(JsonNode* node, const std::string& path) {
  std::istringstream parts(path);
  std::string part;
  while (node && std::getline(parts, part, '.')) {
    if (part.empty()) continue;
    if (JSON_NODE_HOLDS_OBJECT(node)) {
      JsonObject* object = json_node_get_object(node);
      node = json_object_has_member(object, part.c_str())
                 ? json_object_get_member(object, part.c_str())
                 : nullptr;
    } else if (JSON_NODE_HOLDS_ARRAY(node)) {
      JsonArray* array = json_node_get_array(node);
      char* end = nullptr;
      const long index = std::strtol(part.c_str(), &end, 10);
      node = *end == '\0' && index >= 0 && index < static_cast<long>(json_array_get_length(array))
                 ? json_array_get_element(array, static_cast<guint>(index))
                 : nullptr;
    } else {
      node = nullptr;
    }
  }
  return node;
}

bool bool_member(JsonObject* object, const char* name) {
  if (!json_object_has_member(object, name)) return false;
  JsonNode* node = json_object_get_member(object, name);
  return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_BOOLEAN &&
         json_node_get_boolean(node);
}

double double_member(JsonObject* object, const char* name) {
  if (!json_object_has_member(object, name)) return 0;
  JsonNode* node = json_object_get_member(object, name);
  if (!JSON_NODE_HOLDS_VALUE(node)) return 0;
  if (json_node_get_value_type(node) == G_TYPE_DOUBLE) return json_node_get_double(node);
  if (json_node_get_value_type(node) == G_TYPE_INT64)
    return static_cast<double>(json_node_get_int(node));
  return 0;
}

JsonArray* array_member(JsonObject* object, const char* name) {
  if (!json_object_has_member(object, name)) return nullptr;
  JsonNode* node = json_object_get_member(object, name);
  return JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : nullptr;
}

}  // namespace

std::optional<std::string> json_get(const std::string& text, const std::string& path) {
  Json json(text);
  JsonNode* node = node_at(json.root(), path);
  if (!node || !JSON_NODE_HOLDS_VALUE(node)) return std::nullopt;
  switch (json_node_get_value_type(node)) {
    case G_TYPE_STRING:
      return std::string(json_node_get_string(node));
    case G_TYPE_INT64:
      return std::to_string(json_node_get_int(node));
    case G_TYPE_DOUBLE: {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return std::string(g_ascii_dtostr(buf, sizeof buf, json_node_get_double(node)));
    }
    case G_TYPE_BOOLEAN:
      return std::string(json_node_get_boolean(node) ? "true" : "false");
    default:
      return std::nullopt;
  }
}

int json_array_length(const std::string& text, const std::string& path) {
  Json json(text);
  JsonNode* node = node_at(json.root(), path);
  if (!node || !JSON_NODE_HOLDS_ARRAY(node)) return -1;
  return static_cast<int>(json_array_get_length(json_node_get_array(node)));
}

const ParticipantInfo* RoomInfo::participant(const std::string& id) const {
  for (const auto& p : participants)
    if (p.id == id) return &p;
  return nullptr;
}

const ParticipantInfo* RoomInfo::named(const std::string& wanted) const {
  for (const auto& p : participants)
    if (p.name == wanted) return &p;
  return nullptr;
}

std::vector<TileInfo> RoomInfo::tiles_of(const std::string& participant_id) const {
  std::vector<TileInfo> out;
  for (const auto& t : tiles)
    if (t.participant == participant_id) out.push_back(t);
  return out;
}

std::optional<RoomInfo> parse_room(const std::string& text) {
  Json json(text);
  JsonNode* root = json.root();
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return std::nullopt;
  JsonObject* o = json_node_get_object(root);
  if (!json_object_has_member(o, "name")) return std::nullopt;
  RoomInfo room;
  room.name = string_member(o, "name");
  room.layout = string_member(o, "layout");
  room.width = static_cast<int>(int_member(o, "width"));
  room.height = static_cast<int>(int_member(o, "height"));
  room.video_frames_encoded = int_member(o, "video_frames_encoded");
  room.video_frames_skipped = int_member(o, "video_frames_skipped");
  room.video_frames_thinned = int_member(o, "video_frames_thinned");
  if (JsonArray* a = array_member(o, "participants")) {
    for (guint i = 0; i < json_array_get_length(a); ++i) {
      JsonObject* p = json_array_get_object_element(a, i);
      ParticipantInfo info;
      info.id = string_member(p, "id");
      info.name = string_member(p, "name");
      info.identity = string_member(p, "identity");
      info.source = string_member(p, "source");
      info.slot = static_cast<int>(int_member(p, "slot"));
      info.has_video = bool_member(p, "has_video");
      info.audio_muted = bool_member(p, "audio_muted");
      info.video_muted = bool_member(p, "video_muted");
      info.pinned = bool_member(p, "pinned");
      info.volume_db = double_member(p, "volume_db");
      room.participants.push_back(info);
    }
  }
  if (JsonArray* a = array_member(o, "tiles")) {
    for (guint i = 0; i < json_array_get_length(a); ++i) {
      JsonObject* t = json_array_get_object_element(a, i);
      TileInfo tile;
      tile.participant = string_member(t, "participant");
      tile.region = string_member(t, "region");
      tile.x = static_cast<int>(int_member(t, "x"));
      tile.y = static_cast<int>(int_member(t, "y"));
      tile.width = static_cast<int>(int_member(t, "width"));
      tile.height = static_cast<int>(int_member(t, "height"));
      tile.z = static_cast<int>(int_member(t, "z"));
      tile.placeholder = bool_member(t, "placeholder");
      room.tiles.push_back(tile);
    }
  }
  if (JsonArray* a = array_member(o, "outputs")) {
    for (guint i = 0; i < json_array_get_length(a); ++i) {
      JsonObject* out = json_array_get_object_element(a, i);
      OutputInfo info;
      info.name = string_member(out, "name");
      info.kind = string_member(out, "kind");
      info.target = string_member(out, "target");
      info.state = string_member(out, "state");
      info.attempt = static_cast<int>(int_member(out, "attempt"));
      info.last_error = string_member(out, "last_error");
      info.bytes = int_member(out, "bytes");
      room.outputs.push_back(info);
    }
  }
  return room;
}

std::optional<RoomInfo> room_info(const ServerUnderTest& server, const std::string& room) {
  const HttpResponse response = server.get("/api/v1/rooms/" + room);
  if (response.status != 200) return std::nullopt;
  return parse_room(response.body);
}

HttpResponse http_exchange(int port, const std::string& method, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const std::string& body, double timeout_s) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{static_cast<time_t>(timeout_s), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return {};
  }
  std::string request =
      method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may refuse a large body early
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<size_t>(n));
  close(fd);
  return parse_http_response(raw);
}

HttpResponse http_json(int port, const std::string& method, const std::string& path,
                       const std::string& json) {
  return http_exchange(port, method, path, {{"Content-Type", "application/json"}}, json);
}

// ---------------------------------------------------------------------------

std::string to_string(const Rgb& c) {
  return "(" + std::to_string(c.r) + "," + std::to_string(c.g) + "," + std::to_string(c.b) + ")";
}

bool near_colour(const Rgb& c, const Rgb& expected, int tolerance) {
  return std::abs(c.r - expected.r) <= tolerance && std::abs(c.g - expected.g) <= tolerance &&
         std::abs(c.b - expected.b) <= tolerance;
}

Rgb RgbFrame::at(int x, int y) const {
  x = std::clamp(x, 0, width - 1);
  y = std::clamp(y, 0, height - 1);
  const size_t i = (static_cast<size_t>(y) * width + x) * 3;
  return {pixels[i], pixels[i + 1], pixels[i + 2]};
}

Rgb RgbFrame::mean(int x, int y, int w, int h) const {
  const int x0 = std::max(0, x), y0 = std::max(0, y);
  const int x1 = std::min(width, x + w), y1 = std::min(height, y + h);
  if (x1 <= x0 || y1 <= y0) return {};
  long long r = 0, g = 0, b = 0;
  for (int yy = y0; yy < y1; ++yy) {
    for (int xx = x0; xx < x1; ++xx) {
      const size_t i = (static_cast<size_t>(yy) * width + xx) * 3;
      r += pixels[i];
      g += pixels[i + 1];
      b += pixels[i + 2];
    }
  }
  const long long count = static_cast<long long>(x1 - x0) * (y1 - y0);
  return {static_cast<int>(r / count), static_cast<int>(g / count), static_cast<int>(b / count)};
}

namespace {

// Runs ffmpeg with `args`; stderr goes to `log_file`. True on exit 0.
bool ffmpeg(const std::string& args, const std::string& log_file, std::string* error) {
  int code = -1;
  run_command(
      "timeout 60 ffmpeg -nostdin -hide_banner -v error " + args + " 2>" + shell_quote(log_file),
      &code);
  if (code == 0) return true;
  if (error)
    *error = "ffmpeg " + args + " (exit " + std::to_string(code) + "): " + read_file(log_file);
  return false;
}

std::optional<RgbFrame> read_ppm(const std::string& path) {
  const std::string data = read_file(path);
  std::istringstream in(data);
  std::string magic;
  int width = 0, height = 0, max = 0;
  in >> magic >> width >> height >> max;
  if (magic != "P6" || width <= 0 || height <= 0 || max != 255) return std::nullopt;
  const size_t start = static_cast<size_t>(in.tellg()) + 1;  // one whitespace after maxval
  const size_t size = static_cast<size_t>(width) * height * 3;
  if (data.size() < start + size) return std::nullopt;
  RgbFrame frame;
  frame.width = width;
  frame.height = height;
  frame.pixels.assign(data.begin() + static_cast<std::ptrdiff_t>(start),
                      data.begin() + static_cast<std::ptrdiff_t>(start + size));
  return frame;
}

}  // namespace

std::optional<RgbFrame> last_video_frame(const std::string& file, std::string* error) {
  const std::string ppm = file + ".last.ppm";
  // image2 with -update rewrites the one picture for every frame: the last stays.
  if (!ffmpeg("-i " + shell_quote(file) + " -map 0:v:0 -update 1 -c:v ppm -f image2 -y " +
                  shell_quote(ppm),
              file + ".video.log", error))
    return std::nullopt;
  auto frame = read_ppm(ppm);
  if (!frame && error) *error = file + ": ffmpeg wrote no readable picture";
  return frame;
}

std::vector<float> decode_audio(const std::string& file, int rate, std::string* error) {
  const std::string pcm = file + ".f32";
  std::vector<float> samples;
  if (!ffmpeg("-i " + shell_quote(file) + " -map 0:a:0 -ac 1 -ar " + std::to_string(rate) +
                  " -f f32le -y " + shell_quote(pcm),
              file + ".audio.log", error))
    return samples;
  const std::string bytes = read_file(pcm);
  samples.resize(bytes.size() / sizeof(float));
  std::memcpy(samples.data(), bytes.data(), samples.size() * sizeof(float));
  return samples;
}

double tone_amplitude(const std::vector<float>& x, double hz, int rate) {
  if (x.empty()) return 0;
  const double coeff = 2 * std::cos(2 * M_PI * hz / rate);
  double s1 = 0, s2 = 0;
  for (const float v : x) {
    const double s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double n = static_cast<double>(x.size());
  return 2 * std::sqrt(std::max(0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / n;
}

double amplitude_db(double ratio) {
  return ratio > 1e-10 ? 20 * std::log10(ratio) : -200;
}

bool decodes_cleanly(const std::string& file, std::string* log) {
  const std::string log_file = file + ".decode.log";
  int code = -1;
  run_command("timeout 120 ffmpeg -nostdin -hide_banner -v error -i " + shell_quote(file) +
                  " -f null - 2>" + shell_quote(log_file),
              &code);
  const std::string said = read_file(log_file);
  if (log) *log = "exit " + std::to_string(code) + ": " + said;
  return code == 0 && said.empty();
}

// ---------------------------------------------------------------------------

HlsViewer::HlsViewer(const ServerUnderTest& server, std::string room, std::string work_dir)
    : server_(server), room_(std::move(room)), work_dir_(std::move(work_dir)) {
  std::filesystem::create_directories(work_dir_);
}

int HlsViewer::newest() const {
  const HttpResponse response = server_.get(playlist_path());
  if (response.status != 200) return -1;
  return parse_playlist(response.body).last_number();
}

std::optional<HlsSample> HlsViewer::fetch(int number) const {
  const HttpResponse listing = server_.get(playlist_path());
  if (listing.status != 200) return std::nullopt;
  std::string uri;
  for (const auto& u : parse_playlist(listing.body).uris)
    if (segment_number(u) == number) uri = u;
  if (uri.empty()) return std::nullopt;
  const HttpResponse segment = server_.get("/hls/" + room_ + "/" + uri);
  if (segment.status != 200 || segment.body.empty()) return std::nullopt;
  const std::string file = work_dir_ + "/" + std::to_string(number) + "-" + uri;
  write_file(file, segment.body);
  HlsSample sample;
  sample.segment = number;
  auto frame = last_video_frame(file);
  if (!frame) return std::nullopt;
  sample.frame = std::move(*frame);
  sample.audio = decode_audio(file);
  // The first quarter may still carry the previous state (in flight when the
  // segment began) and the AAC decoder's start.
  sample.audio.erase(sample.audio.begin(),
                     sample.audio.begin() + static_cast<std::ptrdiff_t>(sample.audio.size() / 4));
  return sample;
}

std::optional<HlsSample> HlsViewer::next(int from, double timeout_s) const {
  std::optional<HlsSample> sample;
  wait_until(
      [&] {
        const int n = newest();
        if (n < from) return false;
        sample = fetch(n);
        return sample.has_value();
      },
      timeout_s);
  return sample;
}

bool HlsViewer::wait_for(int from, double timeout_s,
                         const std::function<bool(const HlsSample&, std::string& why)>& check,
                         std::string* why_all) const {
  int examined = from - 1;
  return wait_until(
      [&] {
        const int n = newest();
        if (n <= examined) return false;
        examined = n;  // the newest only: never falls behind the live edge
        const auto sample = fetch(n);
        std::string why;
        const bool ok = sample && check(*sample, why);
        if (why_all)
          *why_all += "segment " + std::to_string(n) + ": " + (sample ? why : "not decoded") + "\n";
        return ok;
      },
      timeout_s);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double env_seconds(const char* name, double fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  const double seconds = std::strtod(value, &end);
  return end && *end == '\0' && seconds > 0 ? seconds : fallback;
}

void report_figure(const std::string& text) {
  std::cout << "figure: " << text << std::endl;
}

void sleep_s(double seconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
}

}  // namespace mixcast::testing
