// RAII for GStreamer references (the GLib ones are in base/glib_ptr.h).
// Business code never calls gst_object_unref by hand.
#pragma once

#include <gst/gst.h>

#include <memory>
#include <utility>

#include "base/glib_ptr.h"

namespace mixcast {

namespace detail {
struct GstObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct MiniObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_mini_object_unref(GST_MINI_OBJECT_CAST(p));
  }
};
}  // namespace detail

// Owns one reference to a GstObject (element, pad, bus, ...).
template <typename T>
using GstPtr = std::unique_ptr<T, detail::GstObjectUnref>;
// Owns one reference to a mini object (caps, buffer, sample, message, event).
template <typename T>
using MiniPtr = std::unique_ptr<T, detail::MiniObjectUnref>;

// Takes ownership of a floating or full reference returned by GStreamer.
template <typename T>
GstPtr<T> adopt(T* object) {
  if (object && g_object_is_floating(object)) gst_object_ref_sink(object);
  return GstPtr<T>(object);
}
// Adds a reference of our own to a borrowed object.
template <typename T>
GstPtr<T> ref(T* object) {
  if (object) gst_object_ref(object);
  return GstPtr<T>(object);
}

// Calls `fn(T*)` for each object `it` yields, then frees `it`. When the
// collection changes underneath (a bin gained or lost a child), `restart()`
// runs and the walk starts over.
template <typename T, typename Fn, typename Restart>
void for_each_object(GstIterator* it, Fn&& fn, Restart&& restart) {
  GValue item = G_VALUE_INIT;
  for (bool done = false; !done;) {
    switch (gst_iterator_next(it, &item)) {
      case GST_ITERATOR_OK:
        fn(static_cast<T*>(g_value_get_object(&item)));
        g_value_reset(&item);
        break;
      case GST_ITERATOR_RESYNC:
        restart();
        gst_iterator_resync(it);
        break;
      default:
        done = true;
        break;
    }
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}
// For walks that may simply go over some objects twice.
template <typename T, typename Fn>
void for_each_object(GstIterator* it, Fn&& fn) {
  for_each_object<T>(it, std::forward<Fn>(fn), [] {});
}

// Makes an element or throws std::runtime_error naming the missing plugin.
GstElement* make_element(const char* factory, const char* name = nullptr);
// make_element, then adds it to `bin` (which owns it).
GstElement* add_element(GstBin* bin, const char* factory, const char* name = nullptr);
// Links two elements or throws std::runtime_error naming them.
void link_or_throw(GstElement* upstream, GstElement* downstream);
// Unlinks `pad` (nullptr: nothing) from its peer, if any. Takes no stream
// lock, so it cannot wait on a stalled push; a tee then skips the pad.
void unlink_from_peer(GstPad* pad);
// The pad's negotiated caps, or the caps it could take or produce before
// negotiation.
MiniPtr<GstCaps> pad_caps(GstPad* pad);
// Takes `element` out of the state changes of its parent: a state change of
// the pipeline that is under way on another thread (GstBin finishes an
// asynchronous one on a thread of its own, e.g. after a WebRTC peer joined)
// holds its own list of children and would otherwise set an element that
// was just taken out back to PLAYING; freed in PLAYING, its streaming
// thread runs on in freed memory. Call it before setting a branch that
// leaves to NULL.
void leave_parent_state(GstElement* element);
// leave_parent_state, NULL, then out of `bin` (which drops its reference).
void stop_and_remove(GstBin* bin, GstElement* element);
// `element` and, for a bin, everything inside it at any depth (0 for
// nullptr). For the element gauge of /metrics: leak checks watch it.
size_t count_elements(GstElement* element);

}  // namespace mixcast
