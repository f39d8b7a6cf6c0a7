// One participant of a live room sends what a real browser's decoder can
// produce around a departure or a network upset — buffers without
// timestamps, timestamps going backwards or jumping, a change of picture
// size, EOS, a flush, an error — and the room must not notice: it keeps
// encoding, the others stay in their tiles with their colours, and their
// tones stay in the mix without holes.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <map>

#include "room_harness.h"
#include "test_support.h"

using namespace mixcast;
using mixcast::testing::Guest;
using mixcast::testing::RoomHarness;
using mixcast::testing::uri_for;

namespace {

const Guest kVictim = {"Red", {255, 0, 0}, 440};
const Guest kOthers[] = {{"Green", {0, 255, 0}, 660}, {"Blue", {0, 0, 255}, 880}};

constexpr double kPresent = 1e-3;
constexpr int kColourTolerance = 40;
constexpr GstClockTime kFrameInterval = GST_SECOND / 30;

// What the fault injector does to the buffers of one of the participant's
// streams, inside its bin (upstream of everything the room put there).
struct Injector {
  std::atomic<int> remaining{0};  // buffers left to damage
  std::function<GstPadProbeReturn(GstPad*, GstPadProbeInfo*)> damage;
  std::atomic<int> damaged{0};
};

GstPadProbeReturn inject(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* injector = static_cast<Injector*>(data);
  if (injector->remaining.load() <= 0) return GST_PAD_PROBE_OK;
  --injector->remaining;
  ++injector->damaged;
  return injector->damage(pad, info);
}

// The pad inside participant `id`'s bin that feeds its exposed `stream`
// ("video" or "audio") pad.
GstPtr<GstPad> inner_pad(Room& room, const std::string& id, const char* stream) {
  GstPtr<GstElement> bin(
      gst_bin_get_by_name(GST_BIN(room.pipeline()), ("participant-" + id).c_str()));
  if (!bin) return {};
  GstPtr<GstPad> ghost(gst_element_get_static_pad(bin.get(), stream));
  if (!ghost) return {};
  return GstPtr<GstPad>(gst_ghost_pad_get_target(GST_GHOST_PAD(ghost.get())));
}

GstBuffer* writable_buffer(GstPadProbeInfo* info) {
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  return buffer;
}

// Shortest 10 ms window's RMS in the last `seconds` of the mix (left channel).
double quietest_window_rms(RoomHarness& h, double seconds) {
  const std::vector<float> audio = h.latest_audio(seconds);
  const size_t window = 480;
  double quietest = 1e9;
  for (size_t start = 0; start + window * 2 <= audio.size(); start += window * 2) {
    double sum = 0;
    for (size_t i = 0; i < window; ++i) sum += audio[start + 2 * i] * audio[start + 2 * i];
    quietest = std::min(quietest, std::sqrt(sum / window));
  }
  return quietest;
}

struct Fault {
  const char* name;
  const char* stream;  // which stream of the victim is damaged
  int buffers;         // how many of its buffers
  std::function<GstPadProbeReturn(GstPad*, GstPadProbeInfo*)> damage;
  // The victim may leave because of it (EOS, an error); the others must not.
  bool victim_leaves = false;
  // The victim stays and the guard says what it did.
  std::function<bool(const ParticipantStatus&)> counted;
};

GstPadProbeReturn strip_timestamps(GstPad*, GstPadProbeInfo* info) {
  GstBuffer* buffer = writable_buffer(info);
  GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
  return GST_PAD_PROBE_OK;
}

// Buffers stamped `by` earlier than they are.
GstPadProbeReturn step_back(GstPadProbeInfo* info, GstClockTime by) {
  GstBuffer* buffer = writable_buffer(info);
  if (GST_BUFFER_PTS(buffer) > by) GST_BUFFER_PTS(buffer) -= by;
  return GST_PAD_PROBE_OK;
}
// Half a second: the stream's timeline moved back (the room's guard shifts
// it back to where it had got to).
GstPadProbeReturn step_far_back(GstPad*, GstPadProbeInfo* info) {
  return step_back(info, GST_SECOND / 2);
}
// 200 ms, for 5 frames: each of them lands before the last frame passed.
GstPadProbeReturn step_frames_back(GstPad*, GstPadProbeInfo* info) {
  return step_back(info, 200 * GST_MSECOND);
}

GstPadProbeReturn jump_ahead(GstPad*, GstPadProbeInfo* info) {
  GstBuffer* buffer = writable_buffer(info);
  GST_BUFFER_PTS(buffer) += 10 * GST_SECOND;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn end_stream(GstPad* pad, GstPadProbeInfo*) {
  gst_pad_push_event(pad, gst_event_new_eos());
  return GST_PAD_PROBE_DROP;
}

GstPadProbeReturn flush_pair(GstPad* pad, GstPadProbeInfo*) {
  GstEvent* segment = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  gst_pad_push_event(pad, gst_event_new_flush_start());
  gst_pad_push_event(pad, gst_event_new_flush_stop(TRUE));
  if (segment) gst_pad_push_event(pad, segment);  // takes the reference
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn fail_flow(GstPad*, GstPadProbeInfo* info) {
  // As a decoder that cannot go on: its push fails, the source errors out.
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_ERROR;
  gst_buffer_unref(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = nullptr;
  return GST_PAD_PROBE_HANDLED;
}

std::vector<Fault> faults() {
  return {
      {"VideoWithoutTimestamps", "video", 20, strip_timestamps, false,
       [](const ParticipantStatus& p) { return p.video_input.dropped_untimestamped >= 20; }},
      {"AudioWithoutTimestamps", "audio", 20, strip_timestamps, false,
       [](const ParticipantStatus& p) { return p.audio_input.repaired_untimestamped >= 20; }},
      {"VideoGoingBackwards", "video", 5, step_frames_back, false,
       [](const ParticipantStatus& p) { return p.video_input.dropped_backwards >= 5; }},
      {"VideoTimelineMovesBack", "video", 10, step_far_back, false,
       [](const ParticipantStatus& p) {
         return p.video_input.dropped_backwards == 1 && p.video_input.rebased >= 1;
       }},
      {"AudioTimelineMovesBack", "audio", 30, step_far_back, false,
       [](const ParticipantStatus& p) {
         return p.audio_input.dropped_backwards == 1 && p.audio_input.rebased >= 1;
       }},
      {"VideoJumpsTenSeconds", "video", 1 << 30, jump_ahead, false,
       [](const ParticipantStatus& p) { return p.video_input.rebased >= 1; }},
      {"AudioJumpsTenSeconds", "audio", 1 << 30, jump_ahead, false,
       [](const ParticipantStatus& p) { return p.audio_input.rebased >= 1; }},
      {"VideoFlush", "video", 1, flush_pair, false,
       [](const ParticipantStatus& p) { return p.video_input.absorbed_events >= 2; }},
      {"AudioFlush", "audio", 1, flush_pair, false,
       [](const ParticipantStatus& p) { return p.audio_input.absorbed_events >= 2; }},
      {"VideoEndOfStream", "video", 1, end_stream, true, nullptr},
      {"AudioEndOfStream", "audio", 1, end_stream, true, nullptr},
      {"VideoFlowError", "video", 1, fail_flow, true, nullptr},
  };
}

class BadInput : public ::testing::TestWithParam<Fault> {};

// The room goes on, with the two others in their tiles and in the mix.
void expect_room_unharmed(RoomHarness& h, const std::map<std::string, Color>& others,
                          guint64 frames_before) {
  EXPECT_GT(h.frames_seen(), frames_before + 45) << "the mix keeps producing frames";
  EXPECT_LE(h.take_largest_frame_gap(), 3 * kFrameInterval) << "no frame gap over 3 intervals";
  const RoomStatus status = h.room().status();
  EXPECT_GT(status.video_frames_encoded, 0u);
  auto frame = h.latest_frame();
  ASSERT_TRUE(frame);
  for (const auto& tile : h.room().composition().tiles) {
    auto it = others.find(tile.participant_id);
    if (it == others.end()) continue;
    const Color seen = h.colour_at(*frame, tile.rect);
    EXPECT_LE(color_distance(seen, it->second), kColourTolerance)
        << tile.participant_id << " shows " << seen.to_hex();
  }
  for (const auto& g : kOthers) EXPECT_GT(h.tone_power(g.tone), kPresent) << g.name;
  EXPECT_GT(quietest_window_rms(h, 1.5), 0.02) << "a hole in the mix";
}

// The victim and the two others in a room that mixes; `others` gets their
// ids and colours.
void start_room(RoomHarness& h, std::string& victim, std::map<std::string, Color>& others) {
  h.start();
  victim = h.join(kVictim.name, uri_for(kVictim));
  for (const auto& g : kOthers) others[h.join(g.name, uri_for(g))] = g.colour;
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.run_for(1.0);
}

}  // namespace

TEST_P(BadInput, TheRoomGoesOnAndTheOthersStayInTheMix) {
  const Fault& fault = GetParam();
  RoomHarness h("grid");
  std::string victim;
  std::map<std::string, Color> others;
  ASSERT_NO_FATAL_FAILURE(start_room(h, victim, others));

  GstPtr<GstPad> pad = inner_pad(h.room(), victim, fault.stream);
  ASSERT_TRUE(pad) << "the victim's " << fault.stream << " pad";
  Injector injector;
  injector.damage = fault.damage;
  injector.remaining = fault.buffers;
  const gulong probe =
      gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, &inject, &injector, nullptr);
  h.take_largest_frame_gap();
  const guint64 frames_before = h.frames_seen();
  h.run_for(3.0);
  EXPECT_GT(injector.damaged.load(), 0) << "the fault was injected";
  expect_room_unharmed(h, others, frames_before);

  const RoomStatus status = h.room().status();
  const ParticipantStatus* seen = nullptr;
  for (const auto& p : status.participants)
    if (p.id == victim) seen = &p;
  if (fault.victim_leaves) {
    EXPECT_EQ(seen, nullptr) << "the victim left the room";
  } else {
    ASSERT_NE(seen, nullptr) << "the victim is still in the room";
    EXPECT_TRUE(fault.counted(*seen))
        << "video: dropped " << seen->video_input.dropped() << " repaired "
        << seen->video_input.repaired() << " absorbed " << seen->video_input.absorbed_events
        << "; audio: dropped " << seen->audio_input.dropped() << " repaired "
        << seen->audio_input.repaired() << " absorbed " << seen->audio_input.absorbed_events;
  }
  // Gone or not, the victim never takes the room with it on the way out.
  h.room().remove_participant(victim, "test");
  const guint64 frames_after = h.frames_seen();
  h.run_for(1.5);
  EXPECT_GT(h.frames_seen(), frames_after + 30);
  if (pad) gst_pad_remove_probe(pad.get(), probe);
}

TEST(BadInput, APictureSizeChangeMidStreamKeepsTheRoomGoing) {
  RoomHarness h("grid");
  std::string victim;
  std::map<std::string, Color> others;
  ASSERT_NO_FATAL_FAILURE(start_room(h, victim, others));
  GstPtr<GstPad> pad = inner_pad(h.room(), victim, "video");
  ASSERT_TRUE(pad);
  GstPtr<GstElement> caps_filter(gst_pad_get_parent_element(pad.get()));
  MiniPtr<GstCaps> smaller(
      gst_caps_from_string("video/x-raw,format=I420,width=320,height=240,framerate=30/1"));
  h.take_largest_frame_gap();
  const guint64 frames_before = h.frames_seen();
  g_object_set(caps_filter.get(), "caps", smaller.get(), nullptr);
  h.run_for(3.0);
  expect_room_unharmed(h, others, frames_before);
  // And the victim is still shown in its own colour.
  others.clear();
  others[victim] = kVictim.colour;
  auto frame = h.latest_frame();
  ASSERT_TRUE(frame);
  for (const auto& tile : h.room().composition().tiles) {
    if (tile.participant_id != victim) continue;
    EXPECT_LE(color_distance(h.colour_at(*frame, tile.rect), kVictim.colour), kColourTolerance);
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, BadInput, ::testing::ValuesIn(faults()),
                         [](const ::testing::TestParamInfo<Fault>& param) {
                           return std::string(param.param.name);
                         });
