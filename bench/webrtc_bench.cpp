// WebRTC figures of the real server (issue 3, performance), measured from the
// outside with webrtcbin peers in this process (tests/webrtc/webrtc_peer):
//
//   join     POST /whip to the publisher's colour at its tile centre in a WHEP
//            viewer's picture, over N joins (each publisher leaves again)
//   latency  glass to glass on the return path: a publisher whose colour flips
//            every second; when each flip shows at its tile, in its own
//            returned mix and in a WHEP viewer's
//   cpu      CPU and peak RSS of the server process (/proc/PID) over a fixed
//            window after warm-up: 4 WebRTC publishers vs 4 file sources
//   rooms    rooms of 4 WebRTC publishers added one by one until one of
//            them drops under 30 fps (only with --only rooms)
//   guests   one room of 2, 4, 8, 12 and 16 WebRTC publishers (--counts),
//            each taking its mix-minus back: the cost curve of a growing
//            room (only with --only guests)
//
// Not a test. Run inside tests/tools/netns-run (libnice ignores loopback);
// bench/webrtc.sh builds, runs and tabulates. Lines "RESULT key value unit"
// are for that script; the rest is for people.
#include <gst/gst.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process_figures.h"
#include "test_support.h"
#include "webrtc_peer.h"

namespace mt = mixcast::testing;
using mt::Clock;
using namespace std::chrono_literals;

namespace {

struct Settings {
  std::string only;  // "", "join", "latency", "cpu", "rooms" or "guests"
  int joins = 20;
  int flips = 24;
  int warmup_s = 5;
  int window_s = 20;
  int receiver_latency_ms = 50;     // the bench peers' jitterbuffer (the server's is 50)
  int mixer_latency_ms = -1;        // media.mixer_latency_ms; -1 keeps the server's default (40)
  int server_jitterbuffer_ms = -1;  // webrtc.jitterbuffer_latency_ms; -1: the default (50)
  int max_rooms = 6;                // bench_rooms stops there at the latest
  std::vector<int> counts = {2, 4, 8, 12, 16};  // bench_guests' room sizes
};

int g_mixer_latency_ms = -1;
int g_server_jitterbuffer_ms = -1;

constexpr int kWidth = 1280, kHeight = 720;  // the room's canvas
constexpr int kInWidth = 640, kInHeight = 360;
constexpr unsigned kRed = 0xffff0000, kGreen = 0xff00ff00, kBlue = 0xff0000ff;

// The canvas of mix-cpu.sh: a grid without gaps or labels, so a lone
// participant fills the canvas and its tile centre is the canvas centre.
const char* const kLayout = R"(name: bench
label: {show: false}
regions:
  - {show: all, arrange: grid, fit: cover}
)";

std::string config(bool recording, const std::vector<std::string>& files,
                   bool rooms_on_demand = false) {
  std::string yaml = R"(log_level: warning
http: {address: 0.0.0.0, port: {port}}
auth: none  # inside the bench's own network namespace
media: {width: 1280, height: 720, fps: 30, video_bitrate_kbps: 2500, audio_bitrate_kbps: 128,
        keyframe_interval_s: 2, video_encoder: x264, audio_encoder: aac{mixer}}
paths:
  layouts: {dir}/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
)";
  if (rooms_on_demand) {
    // Rooms come with their first WHIP join, each recording (bench_rooms).
    yaml += R"(webrtc: {room_layout: bench, idle_room_close_s: 0}
limits: {joins_per_minute_per_address: 0, max_websocket_connections_per_address: 1000}
default_outputs: {hls: {enabled: false}, recording: {enabled: true, format: mp4}}
)";
  } else {
    if (g_server_jitterbuffer_ms >= 0)
      yaml +=
          "webrtc: {jitterbuffer_latency_ms: " + std::to_string(g_server_jitterbuffer_ms) + "}\n";
    yaml += R"(rooms:
  - name: bench
    layout: bench
    outputs: {hls: {enabled: false}, recording: {enabled: )" +
            std::string(recording ? "true" : "false") + R"(, format: mp4}, rtmp: []}
)";
  }
  const std::string mixer = g_mixer_latency_ms < 0
                                ? std::string()
                                : ", mixer_latency_ms: " + std::to_string(g_mixer_latency_ms);
  yaml.replace(yaml.find("{mixer}"), 7, mixer);
  if (!files.empty() && !rooms_on_demand) {
    yaml += "    sources:\n";
    for (size_t i = 0; i < files.size(); ++i)
      yaml += "      - {name: file" + std::to_string(i) + ", uri: \"" + files[i] + "\"}\n";
  }
  return yaml;
}

bool start(mt::ServerUnderTest& server, const std::string& yaml) {
  std::system(("mkdir -p " + server.dir().file("layouts")).c_str());
  mt::write_file(server.dir().file("layouts/bench.yaml"), kLayout);
  if (server.start(yaml)) return true;
  std::fprintf(stderr, "the server did not start:\n%s\n", server.log().c_str());
  return false;
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

bool looks_like(const mt::WebRtcPeer::Sample& s, unsigned argb) {
  const int r = int((argb >> 16) & 0xff), g = int((argb >> 8) & 0xff), b = int(argb & 0xff);
  return std::abs(s.r - r) + std::abs(s.g - g) + std::abs(s.b - b) < 150;
}

struct Stats {
  size_t n = 0;
  double median = 0, min = 0, max = 0, p90 = 0, mean = 0;
};

Stats stats(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::ranges::sort(v);
  auto at = [&](double q) {  // linear interpolation between closest ranks
    const double pos = q * double(v.size() - 1);
    const size_t lo = size_t(pos);
    const size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
  };
  s.median = at(0.5);
  s.p90 = at(0.9);
  s.min = v.front();
  s.max = v.back();
  for (double x : v) s.mean += x / double(v.size());
  return s;
}

void report(const std::string& key, const Stats& s, int attempts) {
  std::printf("%s: n=%zu/%d median %.0f ms, min %.0f, p90 %.0f, max %.0f, mean %.0f\n", key.c_str(),
              s.n, attempts, s.median, s.min, s.p90, s.max, s.mean);
  std::printf("RESULT %s.n %zu of_%d\n", key.c_str(), s.n, attempts);
  for (auto [name, value] :
       {std::pair{"median", s.median}, {"min", s.min}, {"p90", s.p90}, {"max", s.max}})
    std::printf("RESULT %s.%s %.0f ms\n", key.c_str(), name, value);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------

bool bench_join(const Settings& settings) {
  std::printf("\n== join: POST /whip -> the publisher's colour at its tile in a WHEP viewer\n");
  mt::ServerUnderTest server("bench-join");
  if (!start(server, config(false, {}))) return false;
  auto viewer = mt::WebRtcPeer::viewer(settings.receiver_latency_ms);
  if (viewer->publish(server.port(), "/whep/bench").status != 201) return false;
  if (!mt::wait_until([&] { return viewer->frames_received() > 30; }, 15)) {
    std::fprintf(stderr, "the viewer gets no picture\n%s\n", server.log().c_str());
    return false;
  }
  viewer->watch_point(kWidth / 2, kHeight / 2);
  const unsigned colours[] = {kRed, kGreen, kBlue};
  std::vector<double> joins, answers;
  for (int i = 0; i < settings.joins; ++i) {
    const unsigned colour = colours[i % 3];
    mt::PublisherOptions options;
    options.argb = colour;
    options.tone_hz = 440 + 110 * (i % 3);
    options.codec = "h264";
    options.width = kInWidth;
    options.height = kInHeight;
    options.decode = false;  // it takes the mix back, undecoded
    options.latency_ms = settings.receiver_latency_ms;
    auto publisher = std::make_unique<mt::WebRtcPeer>(options);
    const auto response =
        publisher->publish(server.port(), "/whip/bench?name=join" + std::to_string(i));
    const auto answered = Clock::now();
    if (response.status != 201) {
      std::fprintf(stderr, "join %d: HTTP %d %s\n", i, response.status, response.body.c_str());
      continue;
    }
    const auto posted = publisher->post_time();
    std::optional<Clock::time_point> seen;
    mt::wait_until(
        [&] {
          for (const auto& s : viewer->watched())
            if (s.at >= posted && looks_like(s, colour)) {
              seen = s.at;
              return true;
            }
          return false;
        },
        10);
    if (seen) {
      joins.push_back(ms(*seen - posted));
      answers.push_back(ms(answered - posted));
      std::printf("  join %2d: answer %4.0f ms, visible %5.0f ms\n", i, answers.back(),
                  joins.back());
    } else {
      std::printf("  join %2d: not visible within 10 s\n", i);
    }
    std::fflush(stdout);
    const auto deleted = mt::http_request("DELETE", server.port(), response.headers.at("location"),
                                          "", "", "127.0.0.1", 5);
    if (deleted.status != 200) {
      std::fprintf(stderr, "join %d: DELETE answered %d: the server hangs?\n", i, deleted.status);
      return false;
    }
    publisher.reset();
    // Gone from the picture before the next one joins.
    const auto left = Clock::now();
    mt::wait_until(
        [&] {
          const auto samples = viewer->watched();
          return !samples.empty() && samples.back().at > left &&
                 !looks_like(samples.back(), colour);
        },
        5);
  }
  report("join.visible", stats(joins), settings.joins);
  report("join.answer", stats(answers), settings.joins);
  return true;
}

// ---------------------------------------------------------------------------

std::vector<double> flip_latencies(const std::vector<mt::WebRtcPeer::Flip>& flips,
                                   const std::vector<mt::WebRtcPeer::Sample>& samples,
                                   Clock::time_point from, int& missed) {
  std::vector<double> out;
  missed = 0;
  for (size_t i = 0; i + 1 < flips.size(); ++i) {
    if (flips[i].at < from) continue;
    const auto until = flips[i + 1].at + 500ms;  // a flip may still show after the next one
    const auto hit = std::ranges::find_if(samples, [&](const auto& s) {
      return s.at >= flips[i].at && s.at < until && looks_like(s, flips[i].argb);
    });
    if (hit == samples.end())
      ++missed;
    else
      out.push_back(ms(hit->at - flips[i].at));
  }
  return out;
}

bool bench_latency(const Settings& settings) {
  std::printf("\n== latency: a publisher flips red/blue every second; when the flip shows\n");
  mt::ServerUnderTest server("bench-latency");
  if (!start(server, config(false, {}))) return false;
  auto viewer = mt::WebRtcPeer::viewer(settings.receiver_latency_ms);
  if (viewer->publish(server.port(), "/whep/bench").status != 201) return false;
  mt::PublisherOptions options;
  options.argb = kRed;
  options.flip_argb = kBlue;
  options.flip_period_ms = 1000;
  options.codec = "h264";
  options.width = kInWidth;
  options.height = kInHeight;
  options.latency_ms = settings.receiver_latency_ms;
  mt::WebRtcPeer publisher(options);
  const auto response = publisher.publish(server.port(), "/whip/bench?name=flip");
  if (response.status != 201) {
    std::fprintf(stderr, "publish: HTTP %d %s\n", response.status, response.body.c_str());
    return false;
  }
  if (!mt::wait_until(
          [&] { return publisher.frames_received() > 60 && viewer->frames_received() > 60; }, 20)) {
    std::fprintf(stderr, "no picture back\n%s\n", server.log().c_str());
    return false;
  }
  std::this_thread::sleep_for(1s);
  publisher.watch_point(kWidth / 2, kHeight / 2);
  viewer->watch_point(kWidth / 2, kHeight / 2);
  const auto from = Clock::now() + 100ms;
  std::this_thread::sleep_for(std::chrono::seconds(settings.flips + 2));
  const auto flips = publisher.flips();
  int missed_own = 0, missed_viewer = 0;
  const auto own = flip_latencies(flips, publisher.watched(), from, missed_own);
  const auto seen = flip_latencies(flips, viewer->watched(), from, missed_viewer);
  std::printf("  receivers' jitterbuffer latency %d ms; flips missed: own %d, viewer %d\n",
              settings.receiver_latency_ms, missed_own, missed_viewer);
  report("latency.own_return", stats(own), int(own.size()) + missed_own);
  report("latency.whep_viewer", stats(seen), int(seen.size()) + missed_viewer);
  return true;
}

// ---------------------------------------------------------------------------

// A number in a room's status (the body of GET /api/v1/rooms/ROOM), -1 if absent.
long counter_in(const std::string& body, const std::string& key) {
  const auto at = body.find("\"" + key + "\"");
  if (at == std::string::npos) return -1;
  return std::atol(body.c_str() + body.find(':', at) + 1);
}

// The value of one sample line of a /metrics text (`name{labels}`), 0 if absent.
double metric(const std::string& text, const std::string& sample) {
  const auto at = text.find("\n" + sample + " ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + sample.size() + 2);
}

struct CpuResult {
  double cores = 0;              // CPU-s per wall second
  double per_mixed_s = 0;        // CPU-s per second of mix encoded
  double fps = 0;                // frames encoded per wall second
  double skipped_fps = 0;        // frames the encoder's queue had no time for, per second
  double thinned_fps = 0;        // frames left out at the halved rate (overload), per second
  double audio_dropped_fps = 0;  // input buffers the room kept from the mix, per second
  double video_dropped_fps = 0;
  double hwm_mib = 0, rss_mib = 0;
  double bench_cores = 0;  // this process (the peers), for contention
};

// Measures `server` over the window after warm-up.
CpuResult measure(mt::ServerUnderTest& server, const Settings& settings) {
  std::this_thread::sleep_for(std::chrono::seconds(settings.warmup_s));
  const pid_t pid = server.process()->pid();
  const auto t0 = Clock::now();
  const auto a = mt::read_process(pid);
  const auto self_a = mt::read_process(getpid());
  const std::string room0 = server.get("/api/v1/rooms/bench").body;
  const std::string metrics0 = server.get("/metrics").body;
  std::this_thread::sleep_for(std::chrono::seconds(settings.window_s));
  const auto b = mt::read_process(pid);
  const auto self_b = mt::read_process(getpid());
  const std::string room1 = server.get("/api/v1/rooms/bench").body;
  const std::string metrics1 = server.get("/metrics").body;
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  auto rate = [&](const char* key) {
    return double(counter_in(room1, key) - counter_in(room0, key)) / wall;
  };
  CpuResult r;
  r.cores = (b.cpu_s - a.cpu_s) / wall;
  r.fps = rate("video_frames_encoded");
  const long f0 = counter_in(room0, "video_frames_encoded");
  const long f1 = counter_in(room1, "video_frames_encoded");
  r.skipped_fps = rate("video_frames_skipped");
  r.thinned_fps = rate("video_frames_thinned");
  auto dropped = [&](const char* stream) {
    const std::string sample =
        std::string("mixcast_input_dropped_total{room=\"bench\",stream=\"") + stream + "\"}";
    return (metric(metrics1, sample) - metric(metrics0, sample)) / wall;
  };
  r.audio_dropped_fps = dropped("audio");
  r.video_dropped_fps = dropped("video");
  r.per_mixed_s = r.fps > 0 ? (b.cpu_s - a.cpu_s) / (double(f1 - f0) / 30.0) : 0;
  r.hwm_mib = double(b.hwm_kib) / 1024;
  r.rss_mib = double(b.rss_kib) / 1024;
  r.bench_cores = (self_b.cpu_s - self_a.cpu_s) / wall;
  return r;
}

void report(const std::string& key, const CpuResult& r) {
  std::printf(
      "%s: %.3f cores (CPU-s/s), %.3f CPU-s per mixed s, %.1f fps encoded, VmHWM %.0f MiB, "
      "VmRSS %.0f MiB; the bench process (peers) %.2f cores\n",
      key.c_str(), r.cores, r.per_mixed_s, r.fps, r.hwm_mib, r.rss_mib, r.bench_cores);
  std::printf("RESULT %s.cpu %.3f cores\n", key.c_str(), r.cores);
  std::printf("RESULT %s.cpu_per_mixed_s %.3f CPU-s\n", key.c_str(), r.per_mixed_s);
  std::printf("RESULT %s.fps %.1f fps\n", key.c_str(), r.fps);
  std::printf("RESULT %s.vmhwm %.0f MiB\n", key.c_str(), r.hwm_mib);
  std::printf("RESULT %s.vmrss %.0f MiB\n", key.c_str(), r.rss_mib);
  std::printf("RESULT %s.peers_cpu %.2f cores\n", key.c_str(), r.bench_cores);
  std::fflush(stdout);
}

// `count` H.264 (constrained baseline, as browsers send) + Opus files of
// `seconds`, each its own hue and tone; empty if ffmpeg fails.
std::vector<std::string> make_h264_files(mt::TempDir& media, int count, int seconds) {
  std::vector<std::string> files;
  for (int i = 0; i < count; ++i) {
    files.push_back(media.file("src" + std::to_string(i) + ".mkv"));
    int status = 0;
    mt::run_command(
        "ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=" + std::to_string(kInWidth) + "x" +
            std::to_string(kInHeight) + ":rate=30:duration=" + std::to_string(seconds) +
            ",hue=h=" + std::to_string(i * 360 / count) +
            " -f lavfi -i sine=frequency=" + std::to_string(440 + 110 * i) +
            ":sample_rate=48000:duration=" + std::to_string(seconds) +
            " -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline "
            "-b:v 2M -g 30 -c:a libopus -b:a 64k -ac 2 " +
            files.back() + " 2>&1",
        &status);
    if (status != 0) {
      std::fprintf(stderr, "ffmpeg could not make %s\n", files.back().c_str());
      return {};
    }
  }
  return files;
}

// One WebRTC publisher per file into `room` (over WHIP: the room is made on
// demand when it does not exist), each sending its file's streams as they
// are (no re-encoding) and taking the mix-minus back undecoded; true once
// every one of them shows in the room's mix.
bool publish_room(mt::ServerUnderTest& server, const std::string& room,
                  const std::vector<std::string>& files,
                  std::vector<std::unique_ptr<mt::WebRtcPeer>>& peers) {
  const size_t first = peers.size();
  for (size_t i = 0; i < files.size(); ++i) {
    mt::PublisherOptions options;
    options.file = files[i];
    options.codec = "h264";
    options.decode = false;
    peers.push_back(std::make_unique<mt::WebRtcPeer>(options));
    const auto r =
        peers.back()->publish(server.port(), "/whip/" + room + "?name=p" + std::to_string(i));
    if (r.status != 201) {
      std::fprintf(stderr, "%s: publisher %zu: HTTP %d %s\n", room.c_str(), i, r.status,
                   r.body.c_str());
      return false;
    }
  }
  auto connected = [&] {
    return std::all_of(peers.begin() + long(first), peers.end(),
                       [](auto& p) { return p->connected(); });
  };
  if (!mt::wait_until(connected, 15 + double(files.size()))) {
    std::fprintf(stderr, "%s: the publishers did not connect\n%s\n", room.c_str(),
                 server.log().c_str());
    return false;
  }
  // Every publisher shows in the mix (its video is decoded).
  auto shown = [&] {
    const std::string body = server.get("/api/v1/rooms/" + room).body;
    size_t n = 0;
    for (size_t at = 0; (at = body.find("\"has_video\" : true", at)) != std::string::npos; ++at)
      ++n;
    return n == files.size();
  };
  // Each join costs the server a decoder, a tile and a mix-minus encode: a
  // large room on a busy machine takes longer to show everyone.
  if (!mt::wait_until(shown, 15 + double(files.size()))) {
    std::fprintf(stderr, "%s: not every publisher shows\n%s\n", room.c_str(),
                 server.get("/api/v1/rooms/" + room).body.c_str());
    return false;
  }
  return true;
}

bool bench_cpu(const Settings& settings) {
  std::printf(
      "\n== cpu: 4 x %dx%d@30 in, %dx%d@30 out (x264 2500 kb/s + AAC, recording on);\n"
      "   %d s warm-up, %d s window, server process only\n",
      kInWidth, kInHeight, kWidth, kHeight, settings.warmup_s, settings.window_s);
  // H.264 (constrained baseline, as browsers send) + Opus files: the file room
  // plays them, and the WebRTC publishers send the very same streams (no
  // re-encoding), so the two rooms differ only in how the media arrives and
  // in what goes back (the mix, a mix-minus each).
  mt::TempDir media("bench-media");
  const std::vector<std::string> files =
      make_h264_files(media, 4, settings.warmup_s + settings.window_s + 20);
  if (files.empty()) return false;
  CpuResult with_files, with_webrtc;
  {
    mt::ServerUnderTest server("bench-cpu-files");
    if (!start(server, config(true, files))) return false;
    with_files = measure(server, settings);
    report("cpu.files", with_files);
  }
  {
    mt::ServerUnderTest server("bench-cpu-webrtc");
    if (!start(server, config(true, {}))) return false;
    std::vector<std::unique_ptr<mt::WebRtcPeer>> peers;
    if (!publish_room(server, "bench", files, peers)) return false;
    with_webrtc = measure(server, settings);
    report("cpu.webrtc", with_webrtc);
  }
  const double per = (with_webrtc.cores - with_files.cores) / 4;
  const double per_mib = (with_webrtc.hwm_mib - with_files.hwm_mib) / 4;
  std::printf(
      "WebRTC overhead per participant: %+.3f cores (%+.1f %% of one core), %+.1f MiB "
      "VmHWM\n",
      per, per * 100, per_mib);
  std::printf("RESULT cpu.overhead_per_participant %.3f cores\n", per);
  std::printf("RESULT cpu.overhead_per_participant_hwm %.1f MiB\n", per_mib);
  return true;
}

// ---------------------------------------------------------------------------

// Rooms of four WebRTC publishers (H.264 + Opus as browsers send, each
// taking its mix-minus back), started one after another; after each, every
// room's programme frame rate and the server's CPU over the window. Stops at
// the first room count where a room falls under 29.5 fps, or at --max-rooms.
bool bench_rooms(const Settings& settings) {
  std::printf(
      "\n== rooms: rooms of 4 WebRTC publishers (%dx%d@30 H.264 + Opus), each mixed to %dx%d@30\n"
      "   (x264 2500 kb/s + AAC, recording on); %d s warm-up, %d s window after each room\n",
      kInWidth, kInHeight, kWidth, kHeight, settings.warmup_s, settings.window_s);
  mt::TempDir media("bench-media");
  const std::vector<std::string> files = make_h264_files(
      media, 4, settings.max_rooms * (settings.warmup_s + settings.window_s + 8) + 20);
  if (files.empty()) return false;
  mt::ServerUnderTest server("bench-rooms");
  if (!start(server, config(true, {}, true))) return false;
  std::vector<std::unique_ptr<mt::WebRtcPeer>> peers;
  int held = 0;
  std::printf("%6s %7s %11s %11s %9s %9s %s\n", "rooms", "cores", "peer cores", "VmRSS MiB",
              "min fps", "skipped/s", "fps of each room");
  for (int rooms = 1; rooms <= settings.max_rooms; ++rooms) {
    const std::string room = "room" + std::to_string(rooms);
    if (!publish_room(server, room, files, peers)) break;
    std::this_thread::sleep_for(std::chrono::seconds(settings.warmup_s));
    const pid_t pid = server.process()->pid();
    // Frames encoded and skipped of every room, one status read each.
    auto counts = [&](std::vector<long>& frames, std::vector<long>& skipped) {
      for (int r = 1; r <= rooms; ++r) {
        const std::string body = server.get("/api/v1/rooms/room" + std::to_string(r)).body;
        frames.push_back(counter_in(body, "video_frames_encoded"));
        skipped.push_back(counter_in(body, "video_frames_skipped"));
      }
    };
    std::vector<long> f0, f1, skipped0, skipped1;
    const auto a = mt::read_process(pid);
    const auto self_a = mt::read_process(getpid());
    const auto t0 = Clock::now();
    counts(f0, skipped0);
    std::this_thread::sleep_for(std::chrono::seconds(settings.window_s));
    counts(f1, skipped1);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto b = mt::read_process(pid);
    const auto self_b = mt::read_process(getpid());
    double min_fps = 1e9, skipped_fps = 0;
    std::string each;
    for (int r = 0; r < rooms; ++r) {
      const double fps = double(f1[size_t(r)] - f0[size_t(r)]) / wall;
      skipped_fps += double(skipped1[size_t(r)] - skipped0[size_t(r)]) / wall;
      min_fps = std::min(min_fps, fps);
      char text[16];
      std::snprintf(text, sizeof text, "%s%.1f", r ? " " : "", fps);
      each += text;
    }
    const double cores = (b.cpu_s - a.cpu_s) / wall;
    std::printf("%6d %7.2f %11.2f %11.0f %9.1f %9.1f %s\n", rooms, cores,
                (self_b.cpu_s - self_a.cpu_s) / wall, double(b.rss_kib) / 1024, min_fps,
                skipped_fps, each.c_str());
    std::printf("RESULT rooms.%d.cores %.2f cores\n", rooms, cores);
    std::printf("RESULT rooms.%d.min_fps %.1f fps\n", rooms, min_fps);
    std::fflush(stdout);
    if (min_fps < 29.5) break;
    held = rooms;
  }
  std::printf("rooms held at 30 fps: %d (the publishers run on the same machine)\n", held);
  std::printf("RESULT rooms.held %d rooms\n", held);
  return true;
}

// One room of N WebRTC publishers for each N of --counts (H.264 640x360@30
// + Opus as browsers send, each its own hue and tone, each taking its
// mix-minus back), a fresh server each time: the server's cores and memory
// as the room grows, its programme frame rate, and what it gave up (frames
// the encoder had no time for, input buffers kept from the mix). The cost
// curve of issue 10 for WebRTC guests; cost-curve.sh is the one for files.
bool bench_guests(const Settings& settings) {
  const int most = *std::max_element(settings.counts.begin(), settings.counts.end());
  std::printf(
      "\n== guests: one room of N WebRTC publishers (%dx%d@30 H.264 + Opus, each taking its\n"
      "   mix-minus back), mixed to %dx%d@30 (x264 2500 kb/s + AAC, recording on);\n"
      "   %d s warm-up, %d s window, a fresh server for each N\n",
      kInWidth, kInHeight, kWidth, kHeight, settings.warmup_s, settings.window_s);
  mt::TempDir media("bench-media");
  const std::vector<std::string> files =
      make_h264_files(media, most, settings.warmup_s + settings.window_s + 30);
  if (files.empty()) return false;
  std::printf("%6s %7s %9s %8s %8s %7s %9s %9s %13s %10s\n", "guests", "cores", "per guest",
              "RSS MiB", "HWM MiB", "fps", "skipped/s", "thinned/s", "dropped a/v/s", "peer cores");
  for (const int n : settings.counts) {
    mt::ServerUnderTest server("bench-guests-" + std::to_string(n));
    if (!start(server, config(true, {}))) return false;
    std::vector<std::unique_ptr<mt::WebRtcPeer>> peers;
    if (!publish_room(server, "bench", {files.begin(), files.begin() + n}, peers)) return false;
    const CpuResult r = measure(server, settings);
    std::printf("%6d %7.2f %9.3f %8.0f %8.0f %7.1f %9.1f %9.1f %6.1f/%-6.1f %10.2f\n", n, r.cores,
                r.cores / n, r.rss_mib, r.hwm_mib, r.fps, r.skipped_fps, r.thinned_fps,
                r.audio_dropped_fps, r.video_dropped_fps, r.bench_cores);
    const std::string key = "guests." + std::to_string(n);
    std::printf("RESULT %s.cores %.2f cores\n", key.c_str(), r.cores);
    std::printf("RESULT %s.fps %.1f fps\n", key.c_str(), r.fps);
    std::printf("RESULT %s.vmrss %.0f MiB\n", key.c_str(), r.rss_mib);
    std::fflush(stdout);
  }
  std::printf(
      "fps: frames encoded per second (30 when the encoder keeps up); skipped/s, thinned/s:\n"
      "frames given up by an overloaded encoder, unevenly and at the halved rate; dropped a/v/s:\n"
      "audio/video input buffers kept from the mix (no timestamp, or going backwards). The\n"
      "publishers run in this process, on the same machine (peer cores).\n");
  return true;
}

// "2,4,8" -> {2, 4, 8}; sizes under 1 are left out.
std::vector<int> counts_of(const std::string& text) {
  std::vector<int> counts;
  for (size_t at = 0; at < text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const int n = std::atoi(text.substr(at, comma - at).c_str());
    if (n > 0) counts.push_back(n);
    at = comma + 1;
  }
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--only")
      settings.only = value();
    else if (arg == "--joins")
      settings.joins = std::atoi(value().c_str());
    else if (arg == "--flips")
      settings.flips = std::atoi(value().c_str());
    else if (arg == "--warmup")
      settings.warmup_s = std::atoi(value().c_str());
    else if (arg == "--window")
      settings.window_s = std::atoi(value().c_str());
    else if (arg == "--mixer-latency-ms")
      settings.mixer_latency_ms = std::atoi(value().c_str());
    else if (arg == "--server-jitterbuffer-ms")
      settings.server_jitterbuffer_ms = std::atoi(value().c_str());
    else if (arg == "--receiver-latency-ms")
      settings.receiver_latency_ms = std::atoi(value().c_str());
    else if (arg == "--max-rooms")
      settings.max_rooms = std::atoi(value().c_str());
    else if (arg == "--counts")
      settings.counts = counts_of(value());
    else {
      std::fprintf(
          stderr,
          "usage: %s [--only join|latency|cpu|rooms|guests] [--joins N] [--flips N] [--warmup S] "
          "[--window S] [--receiver-latency-ms MS] [--mixer-latency-ms MS] "
          "[--server-jitterbuffer-ms MS] "
          "[--max-rooms N] [--counts 2,4,8,12,16]\n",
          argv[0]);
      return 2;
    }
  }
  if (settings.counts.empty()) {
    std::fprintf(stderr, "--counts: room sizes separated by commas, such as 2,4,8\n");
    return 2;
  }
  g_mixer_latency_ms = settings.mixer_latency_ms;
  g_server_jitterbuffer_ms = settings.server_jitterbuffer_ms;
  std::printf("%ld CPUs; load average %s", sysconf(_SC_NPROCESSORS_ONLN),
              mt::read_file("/proc/loadavg").c_str());
  bool ok = true;
  if (settings.only.empty() || settings.only == "join") ok = bench_join(settings) && ok;
  if (settings.only.empty() || settings.only == "latency") ok = bench_latency(settings) && ok;
  if (settings.only.empty() || settings.only == "cpu") ok = bench_cpu(settings) && ok;
  // Minutes, and the machine flat out: only when asked for.
  if (settings.only == "rooms") ok = bench_rooms(settings) && ok;
  if (settings.only == "guests") ok = bench_guests(settings) && ok;
  return ok ? 0 : 1;
}
