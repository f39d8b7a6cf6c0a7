#include "integration_support.h"

#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
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

double largest_gap(const std::vector<double>& times) {
  double gap = 0;
  for (size_t i = 1; i < times.size(); ++i) gap = std::max(gap, times[i] - times[i - 1]);
  return gap;
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
  if (uris.empty()) return -1;
  const std::string& name = uris.back();
  const size_t end = name.find_last_of("0123456789");
  if (end == std::string::npos) return -1;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(name[begin - 1]))) --begin;
  return std::atoi(name.substr(begin, end - begin + 1).c_str());
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
    } else if (line[0] != '#') {
      playlist.uris.push_back(line);
    }
    last_tag = line;
  }
  playlist.ended = last_tag == "#EXT-X-ENDLIST";
  return playlist;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void sleep_s(double seconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(seconds * 1000)));
}

}  // namespace mixcast::testing
