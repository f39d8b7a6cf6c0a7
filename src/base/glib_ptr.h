// RAII for GLib references, sources and signal connections, and posting
// work to the main loop. Business code never calls g_object_unref / g_free /
// g_source_remove by hand. No GStreamer here: the HTTP layer uses it too.
#pragma once

#include <glib-object.h>

#include <memory>
#include <type_traits>
#include <utility>

namespace mixcast {

namespace detail {
struct GObjectUnref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
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

// Owns one reference to a plain GObject.
template <typename T>
using GObjectPtr = std::unique_ptr<T, detail::GObjectUnref>;
using GCharPtr = std::unique_ptr<gchar, detail::GFree>;
using GErrorPtr = std::unique_ptr<GError, detail::GErrorFree>;

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

}  // namespace mixcast
