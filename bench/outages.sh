#!/usr/bin/env bash
# Long outages against the real server, with the suite's own outage tests
# run for minutes instead of seconds:
#   - the RTMP destination (nginx-rtmp) killed for RTMP_OUTAGE_S (default
#     600) with the server's default backoff (cap 30 s): when it is back,
#     how long until the push is live, the frame rate and the longest pause
#     of the programme meanwhile, HLS segments missing (must be 0) and the
#     recording's largest hole;
#   - the recording disk full for DISK_FULL_S (default 180), then freed:
#     how long until the recording resumes, and both files decode;
#   - the HLS directory removed under the live room: how long until it is
#     recreated.
# Needs root (the disk test mounts a tmpfs). Prints the "figure:" lines and
# each test's verdict.
#
#   bench/outages.sh [RTMP_OUTAGE_S] [DISK_FULL_S]
set -uo pipefail
RTMP_OUTAGE_S=${1:-600}
DISK_FULL_S=${2:-180}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${MIXCAST_BUILD:-build}
ninja -C "$BUILD" >/dev/null || exit 1
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/mixcast-outages-XXXXXX")
failed=0
run() {  # run NAME BINARY FILTER [ENV...]
  local name=$1 binary=$2 filter=$3
  shift 3
  local log="$LOGS/$name.log"
  env "$@" "$BUILD/tests/integration/$binary" \
    --gtest_filter="$filter" >"$log" 2>&1
  local rc=$?
  echo "== $name: $([ $rc -eq 0 ] && echo passed || echo "FAILED (exit $rc, log $log)")"
  grep -E '^figure:' "$log" | sed 's/^figure: /   /'
  [ $rc -eq 0 ] || { grep -E 'Failure|Expected|Which is|actual' "$log" | head -20; failed=1; }
}
run rtmp integration_rtmp '*Reconnects*' \
  MIXCAST_RTMP_OUTAGE_S="$RTMP_OUTAGE_S" MIXCAST_RTMP_BACKOFF_MAX_S=default
run disk integration_recording '*FullDisk*' MIXCAST_DISK_FULL_S="$DISK_FULL_S"
run hls integration_hls '*Removed*'
echo "logs in $LOGS"
exit $failed
