// The config of the WebRTC tests: room `live` at 640x360 with one test
// source (Red, a 440 Hz tone) in seat 0, recording on, HLS off.
// ServerUnderTest fills {port}, {dir} and {root}.
#pragma once

namespace mixcast::testing {

inline constexpr const char* kLiveRoomConfig = R"(log_level: info
http: {address: 0.0.0.0, port: {port}}
media: {width: 640, height: 360, fps: 30, video_bitrate_kbps: 800}
paths:
  layouts: {root}/config/layouts
  pipelines: {root}/pipelines
  hls: {dir}/hls
  recordings: {dir}/recordings
rooms:
  - name: live
    layout: side-by-side
    outputs: {hls: {enabled: false}, recording: {enabled: true}}
    sources:
      - {name: Red, uri: "test://color?color=red&tone=440"}
)";

}  // namespace mixcast::testing
