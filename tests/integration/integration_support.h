// Helpers for the integration tests: nginx with the RTMP module as a test
// RTMP server, the server's JSON API, ffprobe and HLS playlists, and the
// programme as a viewer gets it (HLS segments decoded to pictures and sound).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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
// Where that gap starts: the index of the time before it (0 with fewer
// than two times).
size_t largest_gap_at(const std::vector<double>& times);

// Regular files in `dir` whose names end with `suffix`, sorted.
std::vector<std::string> files_in(const std::string& dir, const std::string& suffix);

// An HLS media playlist.
struct Playlist {
  std::vector<double> durations;  // #EXTINF values
  std::vector<std::string> uris;  // segment URIs, in order
  bool ended = false;             // the last tag is #EXT-X-ENDLIST
  long media_sequence = -1;       // #EXT-X-MEDIA-SEQUENCE (-1 if absent)
  long discontinuity_sequence = 0;
  int discontinuities = 0;  // #EXT-X-DISCONTINUITY tags
  int last_number() const;  // the digits of the last segment's name; -1 if none
};
Playlist parse_playlist(const std::string& text);

// ---------------------------------------------------------------------------
// The REST API's JSON, read back.

// The value at `path` in a JSON text: members by name, array elements by
// index, joined with dots ("error.issues.0.line"). Strings as they are,
// numbers and booleans as JSON writes them; nullopt when absent or when the
// value is an object, an array or null.
std::optional<std::string> json_get(const std::string& json, const std::string& path);
// Elements of the array at `path` ("" for the root), -1 when it is not an array.
int json_array_length(const std::string& json, const std::string& path);

// One entry of a Room's "tiles": where a participant is in the picture.
struct TileInfo {
  std::string participant;
  std::string region;
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  int z = 0;
  bool placeholder = false;
  int center_x() const { return x + width / 2; }
  int center_y() const { return y + height / 2; }
  bool contains(int px, int py) const {
    return px >= x && px < x + width && py >= y && py < y + height;
  }
};

// One entry of a Room's "participants".
struct ParticipantInfo {
  std::string id;
  std::string name;
  std::string identity;
  std::string source;
  int slot = 0;
  bool has_video = false;
  bool audio_muted = false;
  bool video_muted = false;
  bool pinned = false;
  double volume_db = 0;
};

// GET /api/v1/rooms/{room}, parsed.
struct RoomInfo {
  std::string name;
  std::string layout;
  int width = 0;
  int height = 0;
  int64_t video_frames_encoded = 0;
  int64_t video_frames_skipped = 0;  // given up by an overloaded encoder
  int64_t video_frames_thinned = 0;
  std::vector<ParticipantInfo> participants;
  std::vector<TileInfo> tiles;
  std::vector<OutputInfo> outputs;
  const ParticipantInfo* participant(const std::string& id) const;  // nullptr if absent
  const ParticipantInfo* named(const std::string& name) const;      // by display name
  std::vector<TileInfo> tiles_of(const std::string& participant_id) const;
};
std::optional<RoomInfo> parse_room(const std::string& json);
std::optional<RoomInfo> room_info(const ServerUnderTest& server, const std::string& room);

// An HTTP/1.0 exchange with request headers of the caller's choosing (Range,
// Content-Type, ...), as http_request without them.
HttpResponse http_exchange(int port, const std::string& method, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& headers = {},
                           const std::string& body = "", double timeout_s = 10);
// A JSON body (Content-Type: application/json).
HttpResponse http_json(int port, const std::string& method, const std::string& path,
                       const std::string& json);

// ---------------------------------------------------------------------------
// Pictures and sound of the programme, decoded with ffmpeg.

struct Rgb {
  int r = 0;
  int g = 0;
  int b = 0;
};
std::string to_string(const Rgb& c);
// Every channel within `tolerance` of `expected`.
bool near_colour(const Rgb& c, const Rgb& expected, int tolerance = 60);

struct RgbFrame {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // RGB, rows top to bottom
  bool empty() const { return pixels.empty(); }
  Rgb at(int x, int y) const;
  // Mean colour of the rectangle, clipped to the frame.
  Rgb mean(int x, int y, int w, int h) const;
  // Mean colour of a 16x16 patch centred on (x, y).
  Rgb patch(int x, int y) const { return mean(x - 8, y - 8, 16, 16); }
};

// The last video frame of a media file as RGB at its own size.
std::optional<RgbFrame> last_video_frame(const std::string& file, std::string* error = nullptr);
// The first audio stream of a media file as mono float samples at `rate`.
std::vector<float> decode_audio(const std::string& file, int rate = 48000,
                                std::string* error = nullptr);
// Amplitude of a sine of `hz` in `samples` (one Goertzel bin over all of them):
// a full-scale sine is 1.0.
double tone_amplitude(const std::vector<float>& samples, double hz, int rate = 48000);
double amplitude_db(double ratio);  // 20 log10, with a floor at -200

// ffmpeg decodes the whole file without a single error message (stderr
// empty, exit 0). `log` gets what it said otherwise.
bool decodes_cleanly(const std::string& file, std::string* log = nullptr);

// ---------------------------------------------------------------------------
// The room's live HLS, as a player gets it: the playlist and segments over
// HTTP, each segment decoded with ffmpeg.

struct HlsSample {
  int segment = -1;          // its number (the digits of its name)
  RgbFrame frame;            // its last video frame
  std::vector<float> audio;  // its audio, mono at 48 kHz, first quarter cut
  double tone(double hz) const { return tone_amplitude(audio, hz); }
  Rgb patch(int x, int y) const { return frame.patch(x, y); }
};

class HlsViewer {
 public:
  // Segments are stored under `work_dir` while they are analysed.
  HlsViewer(const ServerUnderTest& server, std::string room, std::string work_dir);
  // Number of the newest listed segment; -1 when the playlist lists none.
  int newest() const;
  // The first segment number that began after this call: what a change made
  // just before it shows in.
  int mark() const { return newest() + 2; }
  // Segment `number` fetched and decoded; nullopt when not listed or broken.
  std::optional<HlsSample> fetch(int number) const;
  // Waits for a listed segment numbered `from` or later and decodes it (the
  // newest listed, when several are).
  std::optional<HlsSample> next(int from, double timeout_s) const;
  // Examines each new segment from `from` on until `check` holds; false on
  // timeout. `check` explains itself in `why`; `why_all` collects every line.
  bool wait_for(int from, double timeout_s,
                const std::function<bool(const HlsSample&, std::string& why)>& check,
                std::string* why_all = nullptr) const;

 private:
  std::string playlist_path() const { return "/hls/" + room_ + "/index.m3u8"; }
  const ServerUnderTest& server_;
  std::string room_;
  std::string work_dir_;
};

double seconds_since(std::chrono::steady_clock::time_point start);
void sleep_s(double seconds);
// The positive number of seconds in the environment variable `name`, else
// `fallback`: the benchmarks (bench/outages.sh) run the suite's outage tests
// for minutes instead of seconds.
double env_seconds(const char* name, double fallback);
// A measured figure on stdout ("figure: ..."), for benchmarks and CI logs.
void report_figure(const std::string& text);

}  // namespace mixcast::testing
