#!/usr/bin/env bash
# Soak and leak check of mixcast (issue 9): 500 WHIP join/leave cycles with
# webrtcbin publishers (half DELETE, half vanish), 200 WebSocket connections
# that send garbage and close, 100 rooms opened and closed (API and on
# demand), after a warm-up. Prints RSS, open fds, threads and GStreamer
# elements every 50 cycles, then checks: RSS grew at most 10 % after warm-up;
# fds, threads and elements are back to the baseline. Builds, runs
# build/bench/soak inside tests/tools/netns-run (ICE ignores loopback).
# About 15-25 minutes on a 2-core machine; CPU-heavy.
#
#   bench/soak.sh                                    # the full counts
#   bench/soak.sh --whip 100 --ws 50 --rooms 20      # fewer
#   bench/soak.sh --config 'limits: {...}'           # more of the server's config
#   build/bench/soak --print-config                  # the config it runs the server on
#
# Not a test (the suite runs webrtc/soak_short). The full output is kept in
# ${TMPDIR:-/tmp}/mixcast-soak.log.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if [[ -f build/build.ninja ]]; then nice ninja -C build >/dev/null; else ./scripts/bootstrap >/dev/null; fi
LOG=${TMPDIR:-/tmp}/mixcast-soak.log
status=0
nice tests/tools/netns-run build/bench/soak --whip 500 --ws 200 --rooms 100 --every 50 "$@" 2>&1 |
  tee "$LOG" | grep -v '^SAMPLE \|^RESULT ' || status=$?
echo
echo "RSS per sample (MiB), one '#' per 2 MiB above the lowest:"
awk '/^SAMPLE / { label[++n] = $2 " " $3; rss[n] = $5 / 1024; if (min == "" || rss[n] < min) min = rss[n] }
  END { for (i = 1; i <= n; ++i) { bar = ""; for (j = min; j < rss[i]; j += 2) bar = bar "#";
          printf "  %-12s %7.1f %s\n", label[i], rss[i], bar } }' "$LOG"
exit "$status"
