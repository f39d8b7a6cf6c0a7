// The process's own resource use for /metrics (the process_* families every
// Prometheus exporter has), read from /proc. The parsers are pure functions of
// the files' text, so they are tested on fixed strings; read_process_stats()
// reads the real files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mixcast {

class MetricsWriter;

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  std::uint64_t resident_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t threads = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

// The fields we use of /proc/[pid]/stat (see proc(5)), in clock ticks.
struct ProcStat {
  std::uint64_t utime_ticks = 0;      // field 14
  std::uint64_t stime_ticks = 0;      // field 15
  std::uint64_t num_threads = 0;      // field 20
  std::uint64_t starttime_ticks = 0;  // field 22: since boot
};

// /proc/[pid]/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses itself: the fields after it start after the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view text);
// /proc/[pid]/statm: the resident set (second field), in pages.
std::optional<std::uint64_t> parse_statm_resident_pages(std::string_view text);
// /proc/stat: the "btime" line, boot time in seconds since the Unix epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view text);

// Puts the pieces together; clock_ticks_per_second is sysconf(_SC_CLK_TCK).
ProcessStats make_process_stats(const ProcStat& stat, std::uint64_t resident_pages,
                                std::uint64_t page_size, std::uint64_t clock_ticks_per_second,
                                std::uint64_t boot_time, std::uint64_t open_fds);

// This process's numbers, or nothing when /proc cannot be read or parsed.
std::optional<ProcessStats> read_process_stats();
// Only its resident size in bytes (/proc/self/statm), for frequent use.
std::optional<std::uint64_t> read_resident_bytes();

// The conventional families: process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, process_threads,
// process_start_time_seconds. Declared without samples when `stats` is empty.
void write_process_metrics(MetricsWriter& writer, const std::optional<ProcessStats>& stats);

// What glibc's malloc holds (mallinfo2): the bytes handed out, and the bytes
// freed but kept in its arenas. Resident memory that grows while `allocated`
// does not is the allocator's, not ours (docs/operations.md, bench/soak.sh).
struct HeapStats {
  std::uint64_t allocated_bytes = 0;  // in use: arena chunks and mmapped blocks
  std::uint64_t free_bytes = 0;       // free chunks kept in the arenas
};
HeapStats read_heap_stats();
// mixcast_heap_allocated_bytes and mixcast_heap_free_bytes.
void write_heap_metrics(MetricsWriter& writer, const HeapStats& heap);

}  // namespace mixcast
