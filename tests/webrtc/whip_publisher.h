// A WebRTC publisher in the test process: a webrtcbin that sends a solid
// colour (VP8) and a tone (Opus), offers over WHIP and applies the answer.
// It stands in for a browser or OBS; run inside tests/tools/netns-run.
#pragma once

#include <gst/gst.h>

#include <string>

#include "test_support.h"

namespace mixcast::testing {

class WhipPublisher {
 public:
  // `argb` as videotestsrc's foreground-color; tone in Hz.
  WhipPublisher(unsigned argb, int tone_hz);
  ~WhipPublisher();
  WhipPublisher(const WhipPublisher&) = delete;
  WhipPublisher& operator=(const WhipPublisher&) = delete;

  // Offers (after local ICE gathering), POSTs to http://127.0.0.1:port/path,
  // applies the answer on 201. Returns the HTTP response.
  HttpResponse publish(int port, const std::string& path);
  // The offer as sent (for negotiation checks).
  const std::string& offer() const { return offer_; }
  bool connected() const;

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* webrtc_ = nullptr;
  std::string offer_;
};

}  // namespace mixcast::testing
