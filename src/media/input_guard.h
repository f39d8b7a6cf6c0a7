// Stands between one participant's raw stream and the room's mixers (a
// probe on the participant's exposed src pad): the mixers see one fixed
// TIME segment starting at 0, buffers in order with timestamps on the room's
// running time, and never a flush, an EOS or an upstream segment change of
// the participant. What it drops or repairs is counted (room status) and
// logged at most every few seconds. When the participant leaves, close()
// stops everything at this pad, so that nothing of theirs can reach or wait
// in a mixer while their branch is taken apart.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <mutex>
#include <string>

#include "core/input_timeline.h"
#include "media/gst_ptr.h"

namespace mixcast {

class InputGuard {
 public:
  // `pad`: the participant's src pad (not yet linked); `pipeline`: the room's,
  // whose clock and base time say where "now" is.
  InputGuard(std::string label, InputTimeline::Kind kind, GstPad* pad, GstElement* pipeline);
  ~InputGuard();
  InputGuard(const InputGuard&) = delete;
  InputGuard& operator=(const InputGuard&) = delete;

  // From now on buffers and events are dropped here and queries refused.
  // Any thread.
  void close() { closed_.store(true); }
  // The room rebuilds its mixers: until resume(), the participant's data
  // vanishes here (their elements see no error from the unlinked pad), and
  // the new mixer pads get a segment of ours again after resume(). Main loop.
  void suspend() { suspended_.store(true); }
  void resume();
  // A copy of the counters. Any thread.
  InputCounters counters() const;

 private:
  static GstPadProbeReturn on_probe(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstFlowReturn chain_shielded(GstPad* pad, GstObject* parent, GstBuffer* buffer);
  static GstFlowReturn chain_list_shielded(GstPad* pad, GstObject* parent, GstBufferList* list);
  GstPadProbeReturn on_buffer(GstPadProbeInfo* info);
  GstPadProbeReturn on_event(GstPadProbeInfo* info);
  GstClockTime now() const;
  void log_if_due(const InputCounters& counters);

  std::string label_;
  GstPtr<GstPad> pad_;
  GstPtr<GstPad> internal_;  // the ghost pad's inner side, whose chain is shielded
  GstPtr<GstClock> clock_;
  GstClockTime base_time_ = 0;
  gulong probe_ = 0;
  std::atomic<bool> closed_{false};
  std::atomic<bool> suspended_{false};

  // Streaming thread (and counters() under the lock).
  mutable std::mutex mutex_;
  InputTimeline timeline_;
  GstSegment upstream_segment_;
  bool have_upstream_segment_ = false;
  bool sent_segment_ = false;
  int audio_rate_ = 0;  // from the caps, for buffers without a duration
  int audio_bpf_ = 0;   // bytes per frame
  gint64 last_log_us_ = 0;
  InputCounters logged_;
};

}  // namespace mixcast
