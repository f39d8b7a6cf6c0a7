#include "media/encode_pacer.h"

#include <atomic>
#include <deque>
#include <mutex>

#include "media/gst_ptr.h"

namespace mixcast {

struct EncodePacer::State {
  std::atomic<int> divisor{1};
  std::mutex mutex;    // the rest
  uint64_t index = 0;  // of the frames arriving at the queue
  Totals totals;
  // When each frame inside the encoder went in, oldest first. Frames come
  // out in the order they went in (no B-frames), but not with the same
  // timestamps (x264enc moves them 1000 h on). A few are enough: a
  // zerolatency encoder holds one; the oldest of a full ring is forgotten.
  std::deque<gint64> in_flight_us;
};

namespace {

using StatePtr = std::shared_ptr<EncodePacer::State>;
constexpr size_t kMaxInFlight = 8;

void add_probe(GstElement* element, const char* pad_name, GstPadProbeCallback callback,
               const StatePtr& state) {
  GstPtr<GstPad> pad(gst_element_get_static_pad(element, pad_name));
  gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, callback, new StatePtr(state),
                    [](gpointer p) { delete static_cast<StatePtr*>(p); });
}

// The canvas tee's thread: a frame for the encoder's queue.
GstPadProbeReturn on_offered(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto& state = **static_cast<StatePtr*>(data);
  const int divisor = state.divisor.load(std::memory_order_relaxed);
  std::lock_guard lock(state.mutex);
  const bool keep = divisor <= 1 || state.index % static_cast<uint64_t>(divisor) == 0;
  ++state.index;
  if (!keep) {
    ++state.totals.thinned;
    return GST_PAD_PROBE_DROP;
  }
  ++state.totals.offered;
  return GST_PAD_PROBE_OK;
}

// The queue's thread: a frame goes into the encoder.
GstPadProbeReturn on_encoder_in(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto& state = **static_cast<StatePtr*>(data);
  std::lock_guard lock(state.mutex);
  if (state.in_flight_us.size() >= kMaxInFlight) state.in_flight_us.pop_front();
  state.in_flight_us.push_back(g_get_monotonic_time());
  return GST_PAD_PROBE_OK;
}

// A coded frame leaves the encoder (the same thread for a synchronous one).
GstPadProbeReturn on_encoder_out(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto& state = **static_cast<StatePtr*>(data);
  const gint64 now = g_get_monotonic_time();
  std::lock_guard lock(state.mutex);
  if (state.in_flight_us.empty()) return GST_PAD_PROBE_OK;
  state.totals.encode_s += static_cast<double>(now - state.in_flight_us.front()) / G_USEC_PER_SEC;
  state.in_flight_us.pop_front();
  ++state.totals.encoded;
  return GST_PAD_PROBE_OK;
}

}  // namespace

EncodePacer::EncodePacer() : state_(std::make_shared<State>()) {}

void EncodePacer::attach(GstElement* queue, GstElement* encoder) {
  {
    // The frames in the replaced encoder never come out of this one.
    std::lock_guard lock(state_->mutex);
    state_->in_flight_us.clear();
  }
  add_probe(queue, "sink", &on_offered, state_);
  add_probe(encoder, "sink", &on_encoder_in, state_);
  add_probe(encoder, "src", &on_encoder_out, state_);
}

EncodePacer::~EncodePacer() = default;

void EncodePacer::set_divisor(int divisor) {
  state_->divisor.store(divisor);
}

EncodePacer::Totals EncodePacer::totals() const {
  std::lock_guard lock(state_->mutex);
  return state_->totals;
}

}  // namespace mixcast
