#include "core/process_stats.h"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace mixcast {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  return fields;
}

// The whole field as a number, or nothing (no sign, no trailing bytes).
std::optional<std::uint64_t> to_u64(std::string_view field) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size() || field.empty()) return {};
  return value;
}

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The open descriptors, less the one that reads the directory.
std::optional<std::uint64_t> count_open_fds() {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc/self/fd"), closedir);
  if (!dir) return {};
  const int own = dirfd(dir.get());
  std::uint64_t count = 0;
  while (const dirent* entry = readdir(dir.get())) {
    const auto fd = to_u64(entry->d_name);
    if (fd && *fd != static_cast<std::uint64_t>(own)) ++count;
  }
  return count;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  // After the name: field 3 (state) is fields[0], so field n is fields[n - 3].
  const auto fields = split_fields(text.substr(close + 1));
  if (fields.size() < 20) return {};
  const auto utime = to_u64(fields[14 - 3]);
  const auto stime = to_u64(fields[15 - 3]);
  const auto threads = to_u64(fields[20 - 3]);
  const auto starttime = to_u64(fields[22 - 3]);
  if (!utime || !stime || !threads || !starttime) return {};
  return ProcStat{*utime, *stime, *threads, *starttime};
}

std::optional<std::uint64_t> parse_statm_resident_pages(std::string_view text) {
  const auto fields = split_fields(text);
  if (fields.size() < 2) return {};
  return to_u64(fields[1]);
}

std::optional<std::uint64_t> parse_boot_time(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const auto fields = split_fields(text.substr(0, end));
    if (fields.size() == 2 && fields[0] == "btime") return to_u64(fields[1]);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
}

ProcessStats make_process_stats(const ProcStat& stat, std::uint64_t resident_pages,
                                std::uint64_t page_size, std::uint64_t clock_ticks_per_second,
                                std::uint64_t boot_time, std::uint64_t open_fds) {
  const double tick = 1.0 / static_cast<double>(clock_ticks_per_second);
  ProcessStats stats;
  stats.cpu_seconds = static_cast<double>(stat.utime_ticks + stat.stime_ticks) * tick;
  stats.resident_bytes = resident_pages * page_size;
  stats.open_fds = open_fds;
  stats.threads = stat.num_threads;
  stats.start_time_seconds =
      static_cast<double>(boot_time) + static_cast<double>(stat.starttime_ticks) * tick;
  return stats;
}

std::optional<ProcessStats> read_process_stats() {
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (ticks <= 0 || page_size <= 0) return {};
  const auto stat_text = read_file("/proc/self/stat");
  const auto statm_text = read_file("/proc/self/statm");
  const auto proc_stat_text = read_file("/proc/stat");
  if (!stat_text || !statm_text || !proc_stat_text) return {};
  const auto stat = parse_proc_stat(*stat_text);
  const auto resident = parse_statm_resident_pages(*statm_text);
  const auto boot_time = parse_boot_time(*proc_stat_text);
  const auto fds = count_open_fds();
  if (!stat || !resident || !boot_time || !fds) return {};
  return make_process_stats(*stat, *resident, static_cast<std::uint64_t>(page_size),
                            static_cast<std::uint64_t>(ticks), *boot_time, *fds);
}

std::optional<std::uint64_t> read_resident_bytes() {
  const long page_size = sysconf(_SC_PAGESIZE);
  const auto statm_text = read_file("/proc/self/statm");
  if (page_size <= 0 || !statm_text) return {};
  const auto resident = parse_statm_resident_pages(*statm_text);
  if (!resident) return {};
  return *resident * static_cast<std::uint64_t>(page_size);
}

void write_process_metrics(MetricsWriter& writer, const std::optional<ProcessStats>& stats) {
  writer.family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                MetricType::Counter);
  if (stats) writer.sample({}, stats->cpu_seconds);
  writer.family("process_resident_memory_bytes", "Resident memory size in bytes.",
                MetricType::Gauge);
  if (stats) writer.sample({}, stats->resident_bytes);
  writer.family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge);
  if (stats) writer.sample({}, stats->open_fds);
  writer.family("process_threads", "Number of OS threads in the process.", MetricType::Gauge);
  if (stats) writer.sample({}, stats->threads);
  writer.family("process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.", MetricType::Gauge);
  if (stats) writer.sample({}, stats->start_time_seconds);
}

HeapStats read_heap_stats() {
  const struct mallinfo2 info = mallinfo2();
  HeapStats heap;
  heap.allocated_bytes = info.uordblks + info.hblkhd;
  heap.free_bytes = info.fordblks;
  return heap;
}

void write_heap_metrics(MetricsWriter& writer, const HeapStats& heap) {
  writer.family("mixcast_heap_allocated_bytes",
                "Bytes the process has allocated from malloc and not freed.", MetricType::Gauge);
  writer.sample({}, heap.allocated_bytes);
  writer.family("mixcast_heap_free_bytes",
                "Bytes freed to malloc that it keeps in its arenas instead of returning them.",
                MetricType::Gauge);
  writer.sample({}, heap.free_bytes);
}

}  // namespace mixcast
