// Helpers for the integration tests: nginx with the RTMP module as a test
// RTMP server, the server's JSON API, ffprobe and HLS playlists.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"

namespace mixcast::testing {

// A config with one room `room` of two synthetic participants on a small
// canvas (640x360@30, x264 at 800 kbit/s: cheap on a 2-core CI machine).
// `outputs_yaml` is the room's `outputs` mapping, indented for its place
// (6 spaces), e.g. "      rtmp: []\n". `recordings` replaces the recordings
// path. The result still holds ServerUnderTest's {port}, {dir}, {root}.
std::string small_room_config(const std::string& room, const std::string& outputs_yaml,
                              const std::string& recordings = "{dir}/recordings");

// nginx with libnginx-mod-rtmp on 127.0.0.1:port, application "live" recording
// every publish into its own FLV (record_unique) in record_dir().
class RtmpServer {
 public:
  RtmpServer(const std::string& dir, int port);
  ~RtmpServer();
  RtmpServer(const RtmpServer&) = delete;
  RtmpServer& operator=(const RtmpServer&) = delete;

  static bool available();  // nginx and the module are installed
  // Starts nginx and waits until the port accepts connections.
  bool start(double timeout_s = 10);
  void kill();  // SIGKILL: the server vanishes without closing anything cleanly
  void stop();  // SIGTERM
  bool running();

  int port() const { return port_; }
  std::string url(const std::string& key) const;
  std::string record_dir() const { return dir_ + "/records"; }
  std::vector<std::string> recorded_files() const;  // sorted
  std::string log() const;

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

// True if something accepts TCP connections on 127.0.0.1:port.
bool tcp_port_open(int port);

// One entry of /api/v1/rooms/{room} "outputs".
struct OutputInfo {
  std::string name;
  std::string kind;
  std::string target;
  std::string state;
  int attempt = 0;
  std::string last_error;
  int64_t bytes = 0;
};
std::optional<OutputInfo> output_info(const ServerUnderTest& server, const std::string& room,
                                      const std::string& output);
// The room's `video_frames_encoded` in /api/v1/rooms/{room}, -1 without an answer.
int64_t frames_encoded(const ServerUnderTest& server, const std::string& room);
// "state (attempt N, bytes B, last_error E)" for assertion messages.
std::string describe(const std::optional<OutputInfo>& info);

// The body parses as a JSON object that has the member `name`.
bool json_has_member(const std::string& json, const std::string& name);

// Single quotes for the shell.
std::string shell_quote(const std::string& text);

struct StreamInfo {
  std::string codec_type;  // "video", "audio"
  std::string codec_name;  // "h264", "aac"
  int width = 0;
  int height = 0;
  std::string r_frame_rate;  // "30/1"
};
// ffprobe's streams of a file or URL (empty when ffprobe fails).
std::vector<StreamInfo> probe_streams(const std::string& input, double timeout_s = 30);
const StreamInfo* find_stream(const std::vector<StreamInfo>& streams, const std::string& type);
// Container duration in seconds (-1 if unknown).
double probe_duration(const std::string& input);
// Presentation times of the decoded video frames, in file order. The decode
// must succeed (`ok` false otherwise).
std::vector<double> video_frame_times(const std::string& file, bool* ok = nullptr);
// Largest step between consecutive times (0 for fewer than two).
double largest_gap(const std::vector<double>& times);

// Regular files in `dir` whose names end with `suffix`, sorted.
std::vector<std::string> files_in(const std::string& dir, const std::string& suffix);

// An HLS media playlist.
struct Playlist {
  std::vector<double> durations;  // #EXTINF values
  std::vector<std::string> uris;  // segment URIs, in order
  bool ended = false;             // the last tag is #EXT-X-ENDLIST
  int last_number() const;        // the digits of the last segment's name; -1 if none
};
Playlist parse_playlist(const std::string& text);

double seconds_since(std::chrono::steady_clock::time_point start);
void sleep_s(double seconds);

}  // namespace mixcast::testing
