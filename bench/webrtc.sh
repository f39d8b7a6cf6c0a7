#!/usr/bin/env bash
# WebRTC figures of mixcast (issue 3): join time, glass-to-glass latency of the
# return path, and the server's CPU/RSS with 4 WebRTC publishers vs 4 file
# sources. Builds, runs build/bench/webrtc_bench inside tests/tools/netns-run
# (ICE ignores loopback) and prints a table. About 3 minutes.
#
#   bench/webrtc.sh                       # everything
#   bench/webrtc.sh --only join|latency|cpu
#   bench/webrtc.sh --only guests [--counts 2,4,8,12,16]  # one room of N guests
#   bench/webrtc.sh --only rooms [--max-rooms 6]   # rooms of 4 guests until
#                                   # one falls under 30 fps (minutes; not in "everything")
#   bench/webrtc.sh --joins 20 --flips 24 --warmup 5 --window 20 \
#                   --receiver-latency-ms 50 --mixer-latency-ms 100
#
# Not a test: CI does not run it. The full output is kept in
# ${TMPDIR:-/tmp}/mixcast-webrtc-bench.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [[ -f build/build.ninja ]]; then ninja -C build >/dev/null; else ./scripts/bootstrap >/dev/null; fi
LOG=${TMPDIR:-/tmp}/mixcast-webrtc-bench.log
status=0
tests/tools/netns-run build/bench/webrtc_bench "$@" 2>&1 | tee "$LOG" | grep -v '^RESULT ' || status=$?
echo
awk '
  /^RESULT / {
    key = $2; value = $3; unit = $4
    n = split(key, part, ".")
    stat = part[n]; name = key; sub("\\." stat "$", "", name)
    if (!(name in seen)) { seen[name] = 1; order[++count] = name }
    v[name, stat] = value
    if (stat == "n") total[name] = unit
  }
  END {
    printf "%-28s %8s %8s %8s %8s %8s\n", "latencies (ms)", "n", "median", "min", "p90", "max"
    for (i = 1; i <= count; ++i) {
      name = order[i]
      if (!((name, "median") in v)) continue
      t = total[name]; sub("of_", "", t)
      printf "%-28s %8s %8s %8s %8s %8s\n", name, v[name, "n"] "/" t, v[name, "median"],
             v[name, "min"], v[name, "p90"], v[name, "max"]
    }
    if (("cpu.files", "cpu") in v) {
      printf "\n%-28s %8s %12s %8s %10s %10s %10s\n", "server, 4 participants", "cores",
             "CPU-s/mix-s", "fps", "VmHWM MiB", "VmRSS MiB", "peers cores"
      split("cpu.files cpu.webrtc", rooms, " ")
      for (i = 1; i <= 2; ++i)
        printf "%-28s %8s %12s %8s %10s %10s %10s\n", rooms[i], v[rooms[i], "cpu"],
               v[rooms[i], "cpu_per_mixed_s"], v[rooms[i], "fps"], v[rooms[i], "vmhwm"],
               v[rooms[i], "vmrss"], v[rooms[i], "peers_cpu"]
      printf "%-28s %8s %12s %8s %10s\n", "WebRTC overhead/participant",
             v["cpu", "overhead_per_participant"], "", "", v["cpu", "overhead_per_participant_hwm"]
    }
  }' "$LOG"
exit "$status"
