// RAII for GLib and GStreamer references. Business code never calls
// gst_object_unref / g_free / g_source_remove by hand.
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

#include <memory>
#include <utility>

namespace mixcast {

namespace detail {
struct GstObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
struct MiniObjectUnref {
  void operator()(gpointer p) const {
    if (p) gst_mini_object_unref(GST_MINI_OBJECT_CAST(p));
  }
};
struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
struct GErrorFree {
  void operator()(GError* e) const {
    if (e) g_error_free(e);
  }
};
}  // namespace detail

// Owns one reference to a GstObject (element, pad, bus, ...).
template <typename T>
using GstPtr = std::unique_ptr<T, detail::GstObjectUnref>;
// Owns one reference to a plain GObject.
template <typename T>
using GObjectPtr = std::unique_ptr<T, detail::GObjectUnref>;
// Owns one reference to a mini object (caps, buffer, sample, message, event).
template <typename T>
using MiniPtr = std::unique_ptr<T, detail::MiniObjectUnref>;
using GCharPtr = std::unique_ptr<gchar, detail::GFree>;
using GErrorPtr = std::unique_ptr<GError, detail::GErrorFree>;

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

// A GSource id (timeout, idle, bus watch) removed when this goes away.
class SourceId {
 public:
  SourceId() = default;
  explicit SourceId(guint id) : id_(id) {}
  SourceId(const SourceId&) = delete;
  SourceId& operator=(const SourceId&) = delete;
  SourceId(SourceId&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  SourceId& operator=(SourceId&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  ~SourceId() { reset(); }
  // Safe after the source already ran to completion (one-shot timeouts).
  void reset() {
    if (id_) {
      GSource* source = g_main_context_find_source_by_id(nullptr, id_);
      if (source && !g_source_is_destroyed(source)) g_source_destroy(source);
    }
    id_ = 0;
  }
  explicit operator bool() const { return id_ != 0; }

 private:
  guint id_ = 0;
};

// A signal handler disconnected when this goes away.
class SignalConnection {
 public:
  SignalConnection() = default;
  SignalConnection(gpointer instance, gulong id) : instance_(instance), id_(id) {
    g_object_add_weak_pointer(G_OBJECT(instance_), &instance_);
  }
  SignalConnection(const SignalConnection&) = delete;
  SignalConnection& operator=(const SignalConnection&) = delete;
  ~SignalConnection() { reset(); }
  void reset() {
    if (instance_ && id_) {
      g_signal_handler_disconnect(instance_, id_);
      g_object_remove_weak_pointer(G_OBJECT(instance_), &instance_);
    }
    instance_ = nullptr;
    id_ = 0;
  }

 private:
  gpointer instance_ = nullptr;
  gulong id_ = 0;
};

// Runs `fn` later on the default main context (from any thread, never
// re-entrantly). The main loop owns the media graph, so streaming threads hand
// their findings back this way.
template <typename Fn>
void post_to_main(Fn&& fn) {
  using F = std::decay_t<Fn>;
  g_idle_add_full(
      G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        (*static_cast<F*>(data))();
        return G_SOURCE_REMOVE;
      },
      new F(std::forward<Fn>(fn)), [](gpointer data) { delete static_cast<F*>(data); });
}

// Runs `fn` on the main loop every `seconds` until it returns false or the
// returned id goes away.
template <typename Fn>
SourceId run_every(double seconds, Fn&& fn) {
  using F = std::decay_t<Fn>;
  return SourceId(g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(seconds * 1000.0),
      [](gpointer data) -> gboolean {
        return (*static_cast<F*>(data))() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
      },
      new F(std::forward<Fn>(fn)), [](gpointer data) { delete static_cast<F*>(data); }));
}

// Runs `fn` on the main loop after `seconds`; the returned id cancels it.
template <typename Fn>
SourceId run_after(double seconds, Fn&& fn) {
  return run_every(seconds, [f = std::forward<Fn>(fn)]() mutable {
    f();
    return false;
  });
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

}  // namespace mixcast
