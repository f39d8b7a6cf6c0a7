// A room in the test process: real pipeline, synthetic participants, and
// appsinks on the raw canvas and the raw audio mix, so that tests look at
// the pixels and listen to the tones that every output gets.
#pragma once

#include <gst/gst.h>

#include <deque>
#include <functional>
#include <map>
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

class RoomHarness final : public Room::Listener {
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

  // Taps participant `id`'s mix-minus (again after a core rebuild: the feed
  // went with the old core); then mix_minus_tone_power() listens to it. The
  // one-argument form listens to the feed tapped last.
  void tap_mix_minus(const std::string& id);
  double mix_minus_tone_power(double freq, double seconds = 0.5);
  double mix_minus_tone_power(const std::string& id, double freq, double seconds = 0.5);
  // Runs the main loop until the mix and every mix-minus tapped have brought
  // `seconds` of audio more than when called (so that a window of the last
  // `seconds` minus the taps' delay holds only what came after). False on timeout.
  bool wait_for_fresh_audio(double seconds, double timeout_s = 10);

  // The room's events so far (the harness is the room's listener).
  const std::vector<RoomEvent>& events() const { return events_; }

 private:
  struct MixMinusTap {
    RoomHarness* harness;
    std::deque<float> audio;  // guarded by the harness's mutex_
    guint64 frames = 0;
  };
  void add_taps();
  void on_room_event(const std::string& room, const RoomEvent& event) override;
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
  guint64 audio_frames_ = 0;
  // Every tap made, and the newest one per participant (the old ones, of a
  // replaced core, may still deliver into their own buffers).
  std::vector<std::unique_ptr<MixMinusTap>> mix_minus_taps_;
  std::map<std::string, MixMinusTap*> mix_minus_by_id_;
  std::string last_mix_minus_;
  std::vector<RoomEvent> events_;
  static GstFlowReturn on_mix_minus(GstElement* sink, gpointer tap);
  // Appends, keeping two seconds; returns the frames appended.
  static size_t append(std::deque<float>& to, GstSample* sample);
};

}  // namespace mixcast::testing
