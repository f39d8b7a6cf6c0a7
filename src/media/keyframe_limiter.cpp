#include "media/keyframe_limiter.h"

#include <gst/video/video.h>

#include <atomic>
#include <mutex>

#include "core/rate_limit.h"

namespace mixcast {

namespace {

struct Limiter {
  explicit Limiter(double interval_s) : limit(interval_s) {}
  std::mutex mutex;
  RateLimit limit;
  // Set (in the encoder's streaming thread) before its first frame reaches
  // the tee, so before anyone linked to the tee receives it.
  std::atomic<bool> encoding{false};
};

double now_s() {
  return static_cast<double>(g_get_monotonic_time()) / G_USEC_PER_SEC;
}

constexpr const char* kDeferredField = "mixcast-deferred";

// The deferred request, marked so that the probe lets it through.
GstEvent* deferred_request() {
  GstEvent* event = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
  gst_structure_set(gst_event_writable_structure(event), kDeferredField, G_TYPE_BOOLEAN, TRUE,
                    nullptr);
  return event;
}

struct DeferredPush {
  GstPad* tee_sink;  // a ref: the pad, its probe and the limiter stay alive
  Limiter* limiter;
};

// Any thread (rtpsession's, the main loop): an upstream event at the tee.
GstPadProbeReturn on_upstream_event(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (!gst_video_event_is_force_key_unit(event)) return GST_PAD_PROBE_OK;
  gboolean deferred = FALSE;
  if (gst_structure_get_boolean(gst_event_get_structure(event), kDeferredField, &deferred) &&
      deferred)
    return GST_PAD_PROBE_OK;
  auto* limiter = static_cast<Limiter*>(data);
  // An encoder's first frame is a keyframe, and everyone linked now gets it:
  // forcing another would make a second one right behind it (an HLS segment
  // of one frame, a doubled cost for every receiver).
  if (!limiter->encoding.load()) return GST_PAD_PROBE_DROP;
  RateLimit::Decision decision;
  double delay_s = 0;
  {
    std::lock_guard lock(limiter->mutex);
    const double now = now_s();
    decision = limiter->limit.request(now);
    delay_s = limiter->limit.deferred_until() - now;
  }
  if (decision == RateLimit::Decision::Now) return GST_PAD_PROBE_OK;
  if (decision == RateLimit::Decision::Deferred) {
    // Sent again from the main loop once the interval is over; the pad ref
    // keeps it valid (a pad of a stopped pipeline just refuses the event).
    auto* later = new DeferredPush{GST_PAD(gst_object_ref(pad)), limiter};
    g_timeout_add_full(
        G_PRIORITY_DEFAULT, static_cast<guint>(delay_s * 1000.0 + 1.0),
        [](gpointer p) -> gboolean {
          auto* d = static_cast<DeferredPush*>(p);
          {
            std::lock_guard lock(d->limiter->mutex);
            d->limiter->limit.run_deferred(now_s());
          }
          gst_pad_push_event(d->tee_sink, deferred_request());
          return G_SOURCE_REMOVE;
        },
        later,
        [](gpointer p) {
          auto* d = static_cast<DeferredPush*>(p);
          gst_object_unref(d->tee_sink);
          delete d;
        });
  }
  return GST_PAD_PROBE_DROP;
}

// The encoder's streaming thread, its first frame: from now on requests go
// on to the encoder.
GstPadProbeReturn on_first_frame(GstPad*, GstPadProbeInfo*, gpointer data) {
  static_cast<Limiter*>(data)->encoding.store(true);
  return GST_PAD_PROBE_REMOVE;
}

}  // namespace

void limit_keyframe_requests(GstPad* tee_sink, double min_interval_s) {
  auto* limiter = new Limiter(min_interval_s);
  // No destroy notify: the event probe owns the limiter, and both probes go
  // with the pad.
  const auto frames =
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST);
  gst_pad_add_probe(tee_sink, frames, &on_first_frame, limiter, nullptr);
  gst_pad_add_probe(tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, &on_upstream_event, limiter,
                    [](gpointer p) { delete static_cast<Limiter*>(p); });
}

}  // namespace mixcast
