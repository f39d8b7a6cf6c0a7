// The config of the WebRTC tests: room `live` at 640x360 with one test
// source (Red, a 440 Hz tone) in seat 0, HLS off. ServerUnderTest fills
// {port}, {dir} and {root}.
#pragma once

#include <string>

namespace mixcast::testing {

struct LiveRoom {
  std::string layout = "side-by-side";
  std::string layouts_dir = "{root}/config/layouts";
  bool recording = true;
  std::string media;   // more `media:` keys, e.g. "keyframe_interval_s: 60"
  std::string webrtc;  // the `webrtc:` mapping's keys, e.g. "departure_timeout_s: 2"
  std::string rtmp;    // the room's `rtmp:` list, e.g. "[{name: cdn, url: ...}]"
};

inline std::string live_room_config(const LiveRoom& room = {}) {
  std::string media = "width: 640, height: 360, fps: 30, video_bitrate_kbps: 800";
  if (!room.media.empty()) media += ", " + room.media;
  std::string outputs = std::string("hls: {enabled: false}, recording: {enabled: ") +
                        (room.recording ? "true" : "false") + "}";
  if (!room.rtmp.empty()) outputs += ", rtmp: " + room.rtmp;
  return "log_level: info\n"
         // Inside the test's own network namespace: nobody else can reach it.
         "http: {address: 0.0.0.0, port: {port}}\n"
         "auth: none\n"
         "media: {" +
         media +
         "}\n"
         "paths:\n"
         "  layouts: " +
         room.layouts_dir +
         "\n"
         "  pipelines: {root}/pipelines\n"
         "  hls: {dir}/hls\n"
         "  recordings: {dir}/recordings\n" +
         (room.webrtc.empty() ? "" : "webrtc: {" + room.webrtc + "}\n") +
         "rooms:\n"
         "  - name: live\n"
         "    layout: " +
         room.layout +
         "\n"
         "    outputs: {" +
         outputs +
         "}\n"
         "    sources:\n"
         "      - {name: Red, uri: \"test://color?color=red&tone=440\"}\n";
}

}  // namespace mixcast::testing
