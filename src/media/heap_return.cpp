#include "media/heap_return.h"

#include <glib.h>
#include <malloc.h>

#include <atomic>
#include <chrono>

#include "core/log.h"
#include "core/process_stats.h"

namespace mixcast::heap_return {

namespace {

// Long enough for a burst of departures (a room closing, a network drop
// taking several guests) to end in one trim.
constexpr guint kDelayMs = 2000;

bool g_pending = false;  // main loop only
std::atomic<std::uint64_t> g_trims{0};
std::atomic<std::uint64_t> g_returned_bytes{0};

gboolean trim(gpointer) {
  g_pending = false;
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t before = read_resident_bytes().value_or(0);
  malloc_trim(0);
  const std::uint64_t after = read_resident_bytes().value_or(0);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t returned = before > after ? before - after : 0;
  g_trims.fetch_add(1, std::memory_order_relaxed);
  g_returned_bytes.fetch_add(returned, std::memory_order_relaxed);
  LOG_DEBUG << "heap: gave " << returned / 1024 << " KiB of freed memory back to the system in "
            << ms << " ms (resident " << after / (1024 * 1024) << " MiB)";
  return G_SOURCE_REMOVE;
}

}  // namespace

void soon() {
  if (g_pending) return;
  g_pending = true;
  g_timeout_add(kDelayMs, &trim, nullptr);
}

std::uint64_t trims() {
  return g_trims.load(std::memory_order_relaxed);
}
std::uint64_t returned_bytes() {
  return g_returned_bytes.load(std::memory_order_relaxed);
}

}  // namespace mixcast::heap_return
