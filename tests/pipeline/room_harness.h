// A room in the test process: real pipeline, synthetic participants, and
// appsinks on the raw canvas and the raw audio mix, so that tests look at
// the pixels and listen to the tones that every output gets.
#pragma once

#include <gst/gst.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/i420.h"
#include "media/room.h"

namespace mixcast::testing {

// A synthetic participant of the pipeline tests: a solid colour and a tone.
struct Guest {
  const char* name;
  Color colour;
  double tone;
};
// Its test:// source URI.
std::string uri_for(const Guest& guest);

class RoomHarness {
 public:
  // `layout` names a file in config/layouts. Outputs are off unless the test
  // sets them in `room` before calling start().
  explicit RoomHarness(const std::string& layout = "grid", int width = 640, int height = 360);
  ~RoomHarness();

  // Events of the room go here (set before start()).
  void set_listener(Room::Listener* listener) { listener_ = listener; }
  void start();
  // Runs the main loop for `seconds`.
  void run_for(double seconds);
  // Runs the main loop until `condition` holds or `timeout_s` passes.
  bool run_until(const std::function<bool()>& condition, double timeout_s);

  std::string join(const std::string& name, const std::string& uri);
  Room& room() { return *room_; }
  RoomSetup& setup() { return setup_; }

  // The newest mixed frame, copied (I420, canvas size).
  struct Frame {
    std::vector<uint8_t> data;
    I420Frame view;
    GstClockTime pts = GST_CLOCK_TIME_NONE;
  };
  std::unique_ptr<Frame> latest_frame();
  // Average colour around the centre of `rect` (a quarter of its size).
  Color colour_at(const Frame& frame, const Rect& rect) const;
  guint64 frames_seen();
  // Largest gap between consecutive mixed frames' timestamps so far, and resets it.
  GstClockTime take_largest_frame_gap();

  // The last `seconds` of the audio mix (interleaved stereo F32).
  std::vector<float> latest_audio(double seconds);
  // Goertzel power of `freq` in the last `seconds` of the mix (left channel).
  double tone_power(double freq, double seconds = 0.5);

  // Taps participant `id`'s mix-minus; then mix_minus_tone_power() listens to it.
  void tap_mix_minus(const std::string& id);
  double mix_minus_tone_power(double freq, double seconds = 0.5);

 private:
  void add_taps();
  static GstFlowReturn on_video(GstElement* sink, gpointer self);
  static GstFlowReturn on_audio(GstElement* sink, gpointer self);

  RoomSetup setup_;
  Room::Listener* listener_ = nullptr;
  std::unique_ptr<Room> room_;
  std::mutex mutex_;
  GstSample* last_video_ = nullptr;
  guint64 frames_ = 0;
  GstClockTime last_pts_ = GST_CLOCK_TIME_NONE;
  GstClockTime largest_gap_ = 0;
  std::deque<float> audio_;
  std::deque<float> mix_minus_audio_;
  static GstFlowReturn on_mix_minus(GstElement* sink, gpointer self);
  static void append(std::deque<float>& to, GstSample* sample);
};

}  // namespace mixcast::testing
