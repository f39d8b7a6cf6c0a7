#include "media/reaper.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "media/heap_return.h"

namespace mixcast::reaper {

namespace {
std::mutex g_mutex;
std::condition_variable g_done;
int g_in_flight = 0;

constexpr double kSlowStopWarningS = 5.0;
}  // namespace

void stop_in_background(GstPtr<GstElement> element, std::string what, std::function<void()> done) {
  {
    std::lock_guard lock(g_mutex);
    ++g_in_flight;
  }
  auto finished = std::make_shared<std::atomic<bool>>(false);
  // A branch that never gets to NULL is named in the log (the worker is
  // stuck; the main loop is not).
  auto warning = std::make_shared<SourceId>(run_after(kSlowStopWarningS, [what, finished] {
    if (!finished->load())
      LOG_WARN << what << ": still stopping after " << kSlowStopWarningS
               << " s (a streaming thread is waiting inside it); the room goes on without it";
  }));
  std::thread([element = std::move(element), what = std::move(what), done = std::move(done),
               finished, warning]() mutable {
    gst_element_set_state(element.get(), GST_STATE_NULL);
    finished->store(true);
    // The last reference goes on the main loop too, with `done`.
    post_to_main([element = std::move(element), done = std::move(done), warning]() mutable {
      warning->reset();
      element.reset();
      if (done) done();
      heap_return::soon();  // what the branch freed, back to the system
    });
    std::lock_guard lock(g_mutex);
    --g_in_flight;
    g_done.notify_all();
  }).detach();
}

int in_flight() {
  std::lock_guard lock(g_mutex);
  return g_in_flight;
}

bool wait_all(double timeout_s) {
  std::unique_lock lock(g_mutex);
  return g_done.wait_for(lock, std::chrono::duration<double>(timeout_s),
                         [] { return g_in_flight == 0; });
}

}  // namespace mixcast::reaper
