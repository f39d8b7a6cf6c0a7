// Soak and leak check of the real server (issue 9): many short lives of the
// things that come and go, then whether the server is back where it was.
//
//   whip   WHIP join/leave cycles with webrtcbin publishers (tests/webrtc/
//          webrtc_peer): half leave with DELETE, half vanish (the peer stops
//          sending and closes its sockets; departure_timeout_s removes it)
//   ws     WebSocket connections to /ws that send garbage (bad JSON, unknown
//          messages, offers that are not SDP, binary and broken frames, bytes
//          that are no HTTP at all) and close, cleanly or not
//   rooms  rooms opened and closed: over the API (POST, DELETE), on demand by
//          a WebSocket watch and by a WHIP join (closed by idle_room_close_s)
//
// After a warm-up (a little of each phase) it samples the server's RSS, open
// descriptors (/proc/PID/fd), threads (/proc/PID/task) and GStreamer elements
// (mixcast_gst_elements of /metrics) every --every cycles, each time once
// nobody is left in the room and no branch is on its way to NULL, and
// prints the curve. At the end it waits up to --settle seconds for fds,
// threads and elements to come back to the baseline (the sample after
// warm-up) and checks RSS growth against --rss-growth (a fraction) plus
// --rss-slack-mib. Exit status 1 when a check fails.
//
// Starts build/mixcast on the config --print-config shows, or attaches to a
// server started on that config (--attach PORT --pid PID: run it under
// heaptrack or valgrind that way). Run inside tests/tools/netns-run (ICE
// ignores loopback); bench/soak.sh runs the full counts, the suite a short
// version (soak_short).
#include <arpa/inet.h>
#include <gst/gst.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
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
  int whip = 500;
  int ws = 200;
  int rooms = 100;
  int every = 50;        // a sample after this many cycles of a phase
  int concurrency = 3;   // WHIP publishers at once
  int hold_ms = 300;     // a publisher sends this long once connected
  int warmup_whip = 20;  // cycles of each phase before the baseline
  int warmup_ws = 12;
  int warmup_rooms = 6;
  double settle_s = 40;      // for the end state to come back
  double rss_growth = 0.10;  // allowed growth after warm-up, a fraction of the baseline
  double rss_slack_mib = 0;  // and this much on top (short runs: see meson.build)
  int attach_port = 0;
  pid_t attach_pid = 0;
  // More of the soak config, e.g. limits that would refuse its joins. Each
  // --config "key: value" is a top-level mapping entry.
  std::vector<std::string> extra_config;
  bool print_config = false;
};

// The soak room is empty (no sources): every participant is the soak's own.
// Small media, so that the machine's CPU goes to the cycles; departures and
// idle on-demand rooms are detected fast. On-demand rooms and API rooms run
// HLS and a recording, so output pipelines come and go too.
std::string soak_config(const Settings& settings) {
  std::string yaml = R"(log_level: warning
http: {address: 0.0.0.0, port: {port}}
auth: none  # inside the soak's own network namespace
media: {width: 320, height: 180, fps: 15, video_bitrate_kbps: 300, audio_bitrate_kbps: 64,
        keyframe_interval_s: 2}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
webrtc: {departure_timeout_s: 2, idle_room_close_s: 1, ice_gathering_timeout_s: 3}
# One client address makes every join and connection: the per-address
# limits would refuse most of them (what they refuse is integration/limits').
limits: {joins_per_minute_per_address: 0, max_websocket_connections_per_address: 1000}
default_outputs:
  hls: {enabled: true, segment_s: 2, playlist_length: 3, max_files: 5}
  recording: {enabled: true, format: mp4}
rooms:
  - name: soak
    layout: grid
    outputs: {hls: {enabled: false}, recording: {enabled: true, format: mp4}}
)";
  for (const auto& entry : settings.extra_config) yaml += entry + "\n";
  return yaml;
}

// --- the server and what it says of itself ---------------------------------

struct Target {
  int port = 0;
  pid_t pid = 0;
  mt::ServerUnderTest* owned = nullptr;  // when the soak started it
};

// A sample of a /metrics family without labels ("name value"), -1 if absent.
double metric(const std::string& text, const std::string& name) {
  for (size_t at = 0; (at = text.find(name, at)) != std::string::npos; at += name.size()) {
    if (at != 0 && text[at - 1] != '\n') continue;
    const size_t after = at + name.size();
    if (after < text.size() && (text[after] == ' ' || text[after] == '{')) {
      const size_t space = text.find(' ', after);
      if (space == std::string::npos) return -1;
      return std::atof(text.c_str() + space + 1);
    }
  }
  return -1;
}

struct Sample {
  std::string phase;
  int cycles = 0;  // of this phase so far
  double at_s = 0;
  long rss_kib = 0;
  long heap_kib = -1;       // allocated from malloc (mixcast_heap_allocated_bytes)
  long heap_free_kib = -1;  // freed, kept by malloc (mixcast_heap_free_bytes)
  long fds = 0;
  long threads = 0;
  long elements = -1;
  long teardowns = -1;
  long rooms = -1;
  long participants = -1;  // of the soak room (WebRTC and sources)
};

Clock::time_point g_start;

Sample sample(const Target& target, const std::string& phase, int cycles) {
  Sample s;
  s.phase = phase;
  s.cycles = cycles;
  s.at_s = std::chrono::duration<double>(Clock::now() - g_start).count();
  const auto metrics = mt::http_get(target.port, "/metrics").body;
  s.elements = long(metric(metrics, "mixcast_gst_elements"));
  s.teardowns = long(metric(metrics, "mixcast_media_teardowns_in_flight"));
  s.rooms = long(metric(metrics, "mixcast_rooms"));
  s.heap_kib = long(metric(metrics, "mixcast_heap_allocated_bytes") / 1024);
  s.heap_free_kib = long(metric(metrics, "mixcast_heap_free_bytes") / 1024);
  const std::string key = "mixcast_participants{room=\"soak\"} ";
  const auto at = metrics.find(key);
  s.participants = at == std::string::npos ? -1 : std::atol(metrics.c_str() + at + key.size());
  const auto p = mt::read_process(target.pid);  // after the scrape: its socket is closed
  s.rss_kib = p.rss_kib;
  s.fds = p.fds;
  s.threads = p.threads;
  return s;
}

// Quiet: nobody in the soak room, only the soak room open, nothing ending.
bool quiet(const Sample& s) {
  return s.participants == 0 && s.rooms == 1 && s.teardowns == 0;
}

// Waits until the server is quiet (or `timeout_s`), then samples. A room
// that closed may still be finishing its outputs: with a baseline, also
// until the elements are no more than that.
Sample quiet_sample(const Target& target, const std::string& phase, int cycles, double timeout_s,
                    long baseline_elements) {
  Sample s;
  mt::wait_until(
      [&] {
        s = sample(target, phase, cycles);
        return quiet(s) && (baseline_elements < 0 || s.elements <= baseline_elements);
      },
      timeout_s);
  // Then until the thread and descriptor counts hold still for a moment:
  // threads that are exiting, sockets the main loop closes on its next turn.
  const auto until = Clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    std::this_thread::sleep_for(700ms);
    const Sample again = sample(target, phase, cycles);
    const bool still = again.threads == s.threads && again.fds == s.fds;
    s = again;
    if (still || Clock::now() > until) return s;
  }
}

void print_header() {
  std::printf("%-7s %6s %8s %9s %9s %9s %6s %8s %9s %6s\n", "phase", "cycles", "t (s)", "RSS (MiB)",
              "heap MiB", "free MiB", "fds", "threads", "elements", "quiet");
}

void print(const Sample& s) {
  std::printf("%-7s %6d %8.1f %9.1f %9.1f %9.1f %6ld %8ld %9ld %6s\n", s.phase.c_str(), s.cycles,
              s.at_s, double(s.rss_kib) / 1024, double(s.heap_kib) / 1024,
              double(s.heap_free_kib) / 1024, s.fds, s.threads, s.elements,
              quiet(s) ? "yes" : "NO");
  std::printf("SAMPLE %s %d %.1f %ld %ld %ld %ld\n", s.phase.c_str(), s.cycles, s.at_s, s.rss_kib,
              s.fds, s.threads, s.elements);
  std::fflush(stdout);
}

// --- phase: WHIP join/leave ---------------------------------------------------

struct Failures {
  std::mutex mutex;
  int count = 0;
  std::vector<std::string> first;  // the first few, for the report
  void add(const std::string& what) {
    std::lock_guard lock(mutex);
    ++count;
    if (first.size() < 8) first.push_back(what);
    std::fprintf(stderr, "  failed: %s\n", what.c_str());
  }
};

// Joins `room` as a small H.264 publisher, sends for hold_ms once connected,
// then leaves with DELETE or vanishes. True when the server took it.
bool whip_cycle(const Target& target, const Settings& settings, const std::string& room,
                const std::string& name, bool vanish, Failures& failures) {
  mt::PublisherOptions options;
  options.codec = "h264";  // the server returns its one H.264 encode (no VP8 encode for us)
  options.width = 160;
  options.height = 96;
  options.decode = false;
  options.argb = 0xff0000ffu + (unsigned(name.size()) << 16);
  auto peer = std::make_unique<mt::WebRtcPeer>(options);
  const auto response = peer->publish(target.port, "/whip/" + room + "?name=" + name);
  if (response.status != 201) {
    failures.add(name + ": POST /whip answered " + std::to_string(response.status) + " " +
                 response.body.substr(0, 200));
    return false;
  }
  const std::string location =
      response.headers.count("location") ? response.headers.at("location") : std::string();
  if (!mt::wait_until([&] { return peer->connected(); }, 10))
    failures.add(name + ": not connected within 10 s");
  else
    std::this_thread::sleep_for(std::chrono::milliseconds(settings.hold_ms));
  if (vanish) {
    peer.reset();  // to NULL: no more RTP, its sockets closed, no DELETE
    return true;
  }
  const auto deleted = mt::http_request("DELETE", target.port, location, "", "", "127.0.0.1", 10);
  if (deleted.status != 200)
    failures.add(name + ": DELETE answered " + std::to_string(deleted.status));
  peer.reset();
  return deleted.status == 200;
}

void whip_cycles(const Target& target, const Settings& settings, int first, int count,
                 Failures& failures) {
  std::atomic<int> next{first};
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, settings.concurrency); ++w)
    workers.emplace_back([&] {
      for (int i; (i = next++) < first + count;)
        whip_cycle(target, settings, "soak", "w" + std::to_string(i), i % 2 == 1, failures);
    });
  for (auto& worker : workers) worker.join();
}

// --- phase: WebSocket garbage ---------------------------------------------------

// A TCP connection to the server, closed by the destructor (abruptly: no
// WebSocket close frame unless one was sent).
class Socket {
 public:
  explicit Socket(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(uint16_t(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool ok() const { return fd_ >= 0; }
  void send_bytes(const std::string& bytes) {
    if (fd_ >= 0) (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // Reads until `until` shows up (or the peer closes, or 2 s pass).
  std::string read_until(const std::string& until) {
    std::string got;
    char buffer[4096];
    while (fd_ >= 0 && got.find(until) == std::string::npos) {
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, size_t(n));
    }
    return got;
  }
  // Reads until the server closes the connection (or 2 s of silence).
  void drain() {
    char buffer[4096];
    while (fd_ >= 0 && recv(fd_, buffer, sizeof buffer, 0) > 0) {
    }
  }
  // The HTTP upgrade of /ws; true on 101.
  bool upgrade(const std::string& path = "/ws") {
    send_bytes("GET " + path +
               " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    return read_until("\r\n\r\n").rfind("HTTP/1.1 101", 0) == 0;
  }
  // One client frame (masked, as RFC 6455 wants of clients, unless not).
  void frame(int opcode, const std::string& payload, bool masked = true, bool fin = true) {
    std::string out;
    out += char((fin ? 0x80 : 0) | (opcode & 0x0f));
    const char mask_bit = masked ? char(0x80) : 0;
    if (payload.size() < 126) {
      out += char(mask_bit | char(payload.size()));
    } else if (payload.size() < 65536) {
      out += char(mask_bit | 126);
      out += char(payload.size() >> 8);
      out += char(payload.size() & 0xff);
    } else {
      out += char(mask_bit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) out += char((payload.size() >> shift) & 0xff);
    }
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) out.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i)
      out += masked ? char(payload[i] ^ key[i % 4]) : payload[i];
    send_bytes(out);
  }
  void text(const std::string& payload) { frame(1, payload); }
  void close_frame() { frame(8, std::string("\x03\xe8", 2)); }

 private:
  int fd_ = -1;
};

// A parseable offer that no webrtcbin can use (no ICE credentials, no
// fingerprint): the join gets as far as the session.
const char* const kHopelessOffer =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\r') {
      out += "\\r";
      continue;
    }
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// The answer to a watch: {"type": "room", ...} (JsonWriter puts " : ").
bool is_room_state(const std::string& text) {
  return text.find("\"type\" : \"room\"") != std::string::npos ||
         text.find("\"type\":\"room\"") != std::string::npos;
}

void ws_garbage(const Target& target, int i, Failures& failures) {
  std::mt19937 random(unsigned(i) * 2654435761u);
  auto noise = [&](size_t n) {
    std::string bytes(n, '\0');
    for (auto& b : bytes) b = char(random());
    return bytes;
  };
  Socket s(target.port);
  if (!s.ok()) {
    failures.add("ws " + std::to_string(i) + ": no connection");
    return;
  }
  switch (i % 6) {
    case 0:  // text that is not the protocol, then a clean close
      if (!s.upgrade()) break;
      for (const char* garbage :
           {"not json", "{", "[]", "null", "{\"type\": 5}", "{\"type\": \"dance\"}",
            "{\"type\": \"join\"}", "{\"type\": \"join\", \"room\": \"../../etc\", \"sdp\": 7}",
            "{\"type\": \"candidate\", \"mline\": 0, \"candidate\": \"x\"}",
            "{\"type\": \"watch\", \"room\": \"\"}"})
        s.text(garbage);
      s.text(std::string(60000, '{'));
      s.text(noise(300));  // not even UTF-8
      s.close_frame();
      s.drain();
      return;
    case 1:  // watches the room, sends junk, leaves, goes without a close frame
      if (!s.upgrade()) break;
      s.text("{\"type\": \"watch\", \"room\": \"soak\"}");
      s.text("{\"type\": \"watch\", \"room\": \"soak\"}");
      s.text("{\"type\": \"leave\"}");
      s.read_until("\"room\"");
      return;
    case 2:  // a join with an offer that cannot connect, then gone at once
      if (!s.upgrade()) break;
      s.text("{\"type\": \"join\", \"room\": \"soak\", \"name\": \"junk\", \"sdp\": " +
             json_string(kHopelessOffer) + "}");
      s.text(
          "{\"type\": \"candidate\", \"mline\": 0, \"candidate\": \"candidate:1 1 UDP 1 "
          "10.77.0.9 9 typ host\"}");
      if (i % 12 == 8) s.read_until("\"type\"");  // sometimes it waits for the answer
      return;
    case 3:  // binary and broken frames: the server ends the connection
      if (!s.upgrade()) break;
      s.frame(2, noise(500));
      s.frame(1, "unmasked", false);
      s.frame(3, "reserved opcode");
      s.send_bytes(noise(2000));
      s.drain();
      return;
    case 4:  // a frame header that promises a gigabyte, then nothing
      if (!s.upgrade()) break;
      s.text("{\"type\": \"watch\", \"room\": \"soak\"}");
      s.frame(1, "{\"type\": \"wat", true, false);  // a fragment never finished
      s.send_bytes(std::string("\x81\xff\x00\x00\x00\x00\x40\x00\x00\x00\x12\x34\x56\x78", 14));
      s.send_bytes(noise(100));
      return;
    default:  // no WebSocket at all: noise, then a broken upgrade
      s.send_bytes(noise(700));
      s.drain();
      {
        Socket again(target.port);
        again.send_bytes(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 99\r\n\r\n");
        again.drain();
      }
      return;
  }
  failures.add("ws " + std::to_string(i) + ": the upgrade was refused");
}

// --- phase: rooms ---------------------------------------------------------------

bool room_gone(const Target& target, const std::string& room, double timeout_s) {
  return mt::wait_until(
      [&] { return mt::http_get(target.port, "/api/v1/rooms/" + room).status == 404; }, timeout_s);
}

void room_cycle(const Target& target, const Settings& settings, int i, Failures& failures) {
  const std::string name = "soak-r" + std::to_string(i);
  switch (i % 3) {
    case 0: {  // over the API, with a source, HLS and a recording
      const auto created =
          mt::http_request("POST", target.port, "/api/v1/rooms",
                           "{\"name\": \"" + name +
                               "\", \"layout\": \"grid\", \"sources\": [{\"name\": \"Bars\", "
                               "\"uri\": \"test://color?color=green&tone=660\"}]}",
                           "application/json");
      if (created.status != 201) {
        failures.add(name + ": POST /api/v1/rooms answered " + std::to_string(created.status) +
                     " " + created.body.substr(0, 200));
        return;
      }
      std::this_thread::sleep_for(500ms);
      const auto deleted =
          mt::http_request("DELETE", target.port, "/api/v1/rooms/" + name, "", "", "127.0.0.1", 15);
      if (deleted.status != 204)
        failures.add(name + ": DELETE answered " + std::to_string(deleted.status));
      return;
    }
    case 1: {  // on demand, by a WebSocket watch; idle once the socket has gone
      {
        Socket s(target.port);
        if (!s.upgrade()) {
          failures.add(name + ": the WebSocket upgrade was refused");
          return;
        }
        s.text("{\"type\": \"watch\", \"room\": \"" + name + "\"}");
        if (!is_room_state(s.read_until("\"room\"")))
          failures.add(name + ": no room_state for a watch");
        s.close_frame();
        s.drain();
      }
      break;
    }
    default:  // on demand, by a WHIP join that leaves with DELETE
      whip_cycle(target, settings, name, "od" + std::to_string(i), false, failures);
      break;
  }
  if (!room_gone(target, name, 15)) failures.add(name + ": still open 15 s after it emptied");
}

// --- the run ----------------------------------------------------------------

struct Run {
  const Settings& settings;
  const Target& target;
  Failures failures;
  std::vector<Sample> curve;
  int whip_done = 0, ws_done = 0, rooms_done = 0;
  long baseline_elements = -1;

  void take(const std::string& phase, int cycles) {
    curve.push_back(quiet_sample(target, phase, cycles, 30, baseline_elements));
    print(curve.back());
  }
  void whip(int count, bool sampled) {
    for (int done = 0; done < count;) {
      const int n = std::min(sampled ? settings.every : count, count - done);
      whip_cycles(target, settings, whip_done, n, failures);
      done += n;
      whip_done += n;
      if (sampled) take("whip", done);
    }
  }
  void ws(int count, bool sampled) {
    for (int done = 0; done < count; ++done) {
      ws_garbage(target, ws_done++, failures);
      if (sampled && ((done + 1) % settings.every == 0 || done + 1 == count)) take("ws", done + 1);
    }
  }
  void rooms(int count, bool sampled) {
    const int every = std::max(1, settings.every / 2);
    for (int done = 0; done < count; ++done) {
      room_cycle(target, settings, rooms_done++, failures);
      if (sampled && ((done + 1) % every == 0 || done + 1 == count)) take("rooms", done + 1);
    }
  }
};

bool run(const Settings& settings, const Target& target) {
  Run r{settings, target, {}, {}};
  print_header();
  r.take("start", 0);
  std::printf("warm-up: %d WHIP, %d WebSocket, %d room cycles\n", settings.warmup_whip,
              settings.warmup_ws, settings.warmup_rooms);
  r.whip(settings.warmup_whip, false);
  r.ws(settings.warmup_ws, false);
  r.rooms(settings.warmup_rooms, false);
  r.take("warm", 0);
  const Sample baseline = r.curve.back();
  r.baseline_elements = baseline.elements;
  r.whip(settings.whip, true);
  r.ws(settings.ws, true);
  r.rooms(settings.rooms, true);

  // The end state: descriptors, threads and elements back to the baseline.
  Sample end;
  const auto settle_from = Clock::now();
  mt::wait_until(
      [&] {
        end = sample(target, "end", 0);
        return quiet(end) && end.fds <= baseline.fds && end.threads <= baseline.threads &&
               end.elements == baseline.elements;
      },
      settings.settle_s);
  const double settled_s = std::chrono::duration<double>(Clock::now() - settle_from).count();
  r.curve.push_back(end);
  print(end);

  const long rss_limit_kib =
      long(double(baseline.rss_kib) * (1 + settings.rss_growth) + settings.rss_slack_mib * 1024);
  const double growth = 100.0 * double(end.rss_kib - baseline.rss_kib) / double(baseline.rss_kib);
  long peak_kib = 0;
  for (const auto& s : r.curve) peak_kib = std::max(peak_kib, s.rss_kib);
  std::printf(
      "\ncycles: %d WHIP (half DELETE, half vanished), %d WebSocket, %d rooms (+ warm-up)\n",
      settings.whip, settings.ws, settings.rooms);
  std::printf("baseline after warm-up: RSS %.1f MiB, %ld fds, %ld threads, %ld elements\n",
              double(baseline.rss_kib) / 1024, baseline.fds, baseline.threads, baseline.elements);
  std::printf(
      "end (after %.1f s of settling): RSS %.1f MiB (%+.1f %%), %ld fds, %ld threads, %ld "
      "elements; highest RSS sampled %.1f MiB\n",
      settled_s, double(end.rss_kib) / 1024, growth, end.fds, end.threads, end.elements,
      double(peak_kib) / 1024);
  std::printf(
      "RESULT rss_growth_pct %.1f\nRESULT fds %ld %ld\nRESULT threads %ld %ld\n"
      "RESULT elements %ld %ld\nRESULT failures %d\n",
      growth, baseline.fds, end.fds, baseline.threads, end.threads, baseline.elements, end.elements,
      r.failures.count);
  // GStreamer's word for an element freed while running (its streaming
  // thread goes on in freed memory), and the reaper's for a branch that
  // never got to NULL: neither may happen, however many cycles.
  const std::string log = target.owned ? target.owned->log() : std::string();
  const bool freed_running = log.find("Trying to dispose element") != std::string::npos;
  const bool stuck = log.find("still stopping after") != std::string::npos;
  struct Check {
    const char* what;
    bool ok;
  };
  const Check checks[] = {
      {"no element freed while running (server log)", !freed_running},
      {"no branch stuck on its way to NULL (server log)", !stuck},
      {"every cycle did what it should", r.failures.count == 0},
      {"RSS within the allowed growth", end.rss_kib <= rss_limit_kib},
      {"open fds back to the baseline", end.fds <= baseline.fds},
      {"threads back to the baseline", end.threads <= baseline.threads},
      {"GStreamer elements back to the baseline", end.elements == baseline.elements},
      {"nobody left, nothing still ending", quiet(end)},
  };
  bool ok = true;
  for (const auto& c : checks) {
    std::printf("%s: %s\n", c.ok ? "ok  " : "FAIL", c.what);
    ok = ok && c.ok;
  }
  if (end.rss_kib > rss_limit_kib)
    std::printf("  RSS %ld KiB > limit %ld KiB (baseline %ld KiB + %.0f %% + %.0f MiB)\n",
                end.rss_kib, rss_limit_kib, baseline.rss_kib, settings.rss_growth * 100,
                settings.rss_slack_mib);
  for (const auto& f : r.failures.first) std::printf("  failure: %s\n", f.c_str());
  std::fflush(stdout);
  return ok;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--whip N] [--ws N] [--rooms N] [--every N] [--concurrency N]\n"
               "          [--hold-ms MS] [--warmup-whip N] [--warmup-ws N] [--warmup-rooms N]\n"
               "          [--settle S] [--rss-growth FRACTION] [--rss-slack-mib MIB]\n"
               "          [--config 'key: value']... [--attach PORT --pid PID] [--print-config]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--print-config") {
      settings.print_config = true;
      continue;
    }
    if (i + 1 >= argc) return usage(argv[0]);
    const std::string value = argv[++i];
    const int n = std::atoi(value.c_str());
    if (arg == "--whip")
      settings.whip = n;
    else if (arg == "--ws")
      settings.ws = n;
    else if (arg == "--rooms")
      settings.rooms = n;
    else if (arg == "--every")
      settings.every = std::max(1, n);
    else if (arg == "--concurrency")
      settings.concurrency = n;
    else if (arg == "--hold-ms")
      settings.hold_ms = n;
    else if (arg == "--warmup-whip")
      settings.warmup_whip = n;
    else if (arg == "--warmup-ws")
      settings.warmup_ws = n;
    else if (arg == "--warmup-rooms")
      settings.warmup_rooms = n;
    else if (arg == "--settle")
      settings.settle_s = std::atof(value.c_str());
    else if (arg == "--rss-growth")
      settings.rss_growth = std::atof(value.c_str());
    else if (arg == "--rss-slack-mib")
      settings.rss_slack_mib = std::atof(value.c_str());
    else if (arg == "--config")
      settings.extra_config.push_back(value);
    else if (arg == "--attach")
      settings.attach_port = n;
    else if (arg == "--pid")
      settings.attach_pid = pid_t(n);
    else
      return usage(argv[0]);
  }
  if (settings.print_config) {
    std::printf("%s", soak_config(settings).c_str());
    return 0;
  }
  g_start = Clock::now();
  std::printf("%ld CPUs; load average %s", sysconf(_SC_NPROCESSORS_ONLN),
              mt::read_file("/proc/loadavg").c_str());
  Target target;
  std::unique_ptr<mt::ServerUnderTest> server;
  if (settings.attach_port) {
    if (!settings.attach_pid) return usage(argv[0]);
    target.port = settings.attach_port;
    target.pid = settings.attach_pid;
  } else {
    server = std::make_unique<mt::ServerUnderTest>("soak");
    if (!server->start(soak_config(settings))) {
      std::fprintf(stderr, "the server did not start:\n%s\n", server->log().c_str());
      return 1;
    }
    target.port = server->port();
    target.pid = server->process()->pid();
    target.owned = server.get();
  }
  bool ok = run(settings, target);
  if (server) {
    // A clean stop, so that a sanitizer build's leak check of the server
    // runs too (an ASan server exits non-zero on a report).
    const int status = server->process()->stop(SIGTERM, 30);
    const bool clean = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::printf("%s: the server stops cleanly (status %d)\n", clean ? "ok  " : "FAIL", status);
    ok = ok && clean;
  }
  if (server && !ok) {
    const std::string log = server->log();
    std::fprintf(stderr, "--- the server's log (last 4000 bytes)\n%s\n",
                 log.substr(log.size() > 4000 ? log.size() - 4000 : 0).c_str());
  }
  return ok ? 0 : 1;
}
