#!/usr/bin/env bash
# Crash safety, measured: a room with two WebRTC guests, a test source and a
# recording split every SPLIT_S seconds (default 60) is SIGKILLed at a
# random moment of its first MAX_S seconds (default 300), RUNS times
# (default 20). After each kill every file must decode, the files together
# must hold all but at most one fragment (1 s, plus 0.5 s slack) of the
# time the room ran, and a restarted server must list and serve every file
# (and remove those a kill left without media). Prints one line per kill and
# the recoveries out of RUNS. Runs inside tests/tools/netns-run.
#
#   bench/crash-safety.sh [RUNS] [MAX_S] [SPLIT_S]
set -uo pipefail
RUNS=${1:-20}
MAX_S=${2:-300}
SPLIT_S=${3:-60}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${MIXCAST_BUILD:-build}
ninja -C "$BUILD" >/dev/null || exit 1
log=$(mktemp "${TMPDIR:-/tmp}/mixcast-crash-XXXXXX.log")
MIXCAST_CRASH_RUNS=$RUNS MIXCAST_CRASH_MAX_S=$MAX_S MIXCAST_CRASH_SPLIT_S=$SPLIT_S \
  tests/tools/netns-run "$BUILD/tests/integration/integration_crash_safety" >"$log" 2>&1
rc=$?
grep -E '^figure:' "$log" | sed 's/^figure: //'
[ $rc -eq 0 ] || grep -E 'Failure|Which is|does not decode|not removed' "$log" | head -20
echo "log: $log"
exit $rc
