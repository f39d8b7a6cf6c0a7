#!/usr/bin/env bash
# What one room costs as it grows (issue 10): a room of N file sources
# (640x360@30 VP8+Opus clips, each a different picture and tone) mixed to
# 1280x720@30 H.264 (x264 veryfast, 2500 kb/s) + AAC 128 kb/s with the
# recording on, for N = 2, 4, 8, 12 and 16. For each N, over a steady window
# after a warm-up: the server's CPU in cores, its RSS at the end and its
# peak, the programme's frame rate (frames encoded per second, from
# /metrics) and the input buffers the room kept from the mix.
#
# Not a test: CI does not run it. Usage:
#   bench/cost-curve.sh                  # N = 2 4 8 12 16
#   COUNTS="4 16" bench/cost-curve.sh
# Overload (issue 10, item 4): HOGS=N starts N busy loops beside the server
# for the measured window. The room then degrades the chosen way: frames the
# encoder has no time for are skipped (skipped/s) and, once that has gone on
# for 2 s, the programme is encoded at half its rate, evenly (thinned/s,
# prog fps); the audio stays whole, and the programme never falls behind
# real time. The recording says so: its largest gap between audio packets
# and between video frames, and its steps that are neither one frame nor two.
#   HOGS=2 COUNTS=4 bench/cost-curve.sh
# Environment: COUNTS, HOGS (0), WARMUP (s, default 8), WINDOW (s, default 20),
# LAYOUT (grid, the shipped one with gaps and labels: every tile scaled;
# or bench, tiles without gaps or labels), MIXCAST (the binary), KEEP=1
# keeps the work directory. About 40 s per N.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COUNTS=${COUNTS:-2 4 8 12 16}
WARMUP=${WARMUP:-8}
WINDOW=${WINDOW:-20}
LAYOUT=${LAYOUT:-grid}
MIXCAST=${MIXCAST:-$ROOT/build/src/app/mixcast}
KEEP=${KEEP:-0}
HOGS=${HOGS:-0}
SRC_W=640 SRC_H=360 FPS=30 GOP=60
PORT=${PORT:-18671}
DISTINCT=4 # clips made; sources beyond them play the same clips again

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for tool in ffmpeg ffprobe curl awk; do command -v "$tool" >/dev/null || die "needs $tool"; done
[[ -x $MIXCAST ]] || die "no mixcast binary at $MIXCAST (ninja -C build, or set MIXCAST)"
FILE_S=$((WARMUP + WINDOW + 15))

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mixcast-curve-XXXXXX")
SERVER=""
HOG_PIDS=()
stop_hogs() {
  ((${#HOG_PIDS[@]})) && kill -KILL "${HOG_PIDS[@]}" 2>/dev/null
  HOG_PIDS=()
}
cleanup() {
  [[ -n $SERVER ]] && kill -KILL "$SERVER" 2>/dev/null
  stop_hogs
  if [[ $KEEP == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

make_sources "$WORK" "$DISTINCT" "$FILE_S"
mkdir -p "$WORK/layouts"
cp "$ROOT"/config/layouts/*.yaml "$WORK/layouts/"
cat >"$WORK/layouts/bench.yaml" <<'YAML'
name: bench
label: {show: false}
regions:
  - {show: all, arrange: grid, fit: cover}
YAML

# take_metrics: one scrape of /metrics, which metric NAME then reads: the
# value of the room's sample of NAME (summed over streams).
take_metrics() { curl -sf "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.txt"; }
metric() {
  awk -v name="$1" '$1 ~ "^" name "({|$)" && $1 ~ /room="curve"/ { v += $2 } END { print v + 0 }' \
    "$WORK/metrics.txt"
}
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
# largest_gap_ms FILE STREAM: the largest step between consecutive packet
# timestamps of the recording's STREAM (a:0 or v:0), in ms.
largest_gap_ms() {
  ffprobe -v error -select_streams "$2" -show_entries packet=pts_time -of csv=p=0 "$1" |
    sort -n | awk 'NR > 1 && $1 - prev > gap { gap = $1 - prev } { prev = $1 } END { printf "%.0f", gap * 1000 }'
}
# uneven_gaps FILE: how many steps between the recording's video frames are
# neither one frame nor two (the even rate of an overloaded room), give or
# take 5 ms: the stutters a viewer sees.
uneven_gaps() {
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$1" |
    sort -n | awk -v f="$(awk -v fps="$FPS" 'BEGIN { print 1 / fps }')" '
      function off(x, y) { return (x > y ? x - y : y - x) > 0.005 }
      NR > 1 { d = $1 - prev; if (off(d, f) && off(d, 2 * f)) n++ }
      { prev = $1 } END { print n + 0 }'
}

# run_room N: one room of N sources; appends a line to $WORK/results.
run_room() {
  local n=$1 i config=$WORK/mixcast-$1.yaml
  {
    cat <<YAML
log_level: warning
http: {address: 127.0.0.1, port: $PORT}
auth: none  # loopback only, this benchmark's own server
media: {width: 1280, height: 720, fps: $FPS, video_bitrate_kbps: 2500, audio_bitrate_kbps: 128,
        keyframe_interval_s: 2, video_encoder: x264, audio_encoder: aac}
limits: {max_participants_per_room: 0}
paths:
  layouts: $WORK/layouts
  pipelines: $ROOT/pipelines
  hls: $WORK/hls-$n
  recordings: $WORK/recordings-$n
rooms:
  - name: curve
    layout: $LAYOUT
    outputs: {hls: {enabled: false}, recording: {enabled: true, format: mp4}, rtmp: []}
    sources:
YAML
    for ((i = 0; i < n; ++i)); do
      printf '      - {name: "Guest %d", uri: "%s"}\n' "$((i + 1))" "${SOURCES[i % DISTINCT]}"
    done
  } >"$config"
  "$MIXCAST" --check-config "$config" >/dev/null || die "mixcast rejects $config"
  echo "N=$n: warm-up ${WARMUP} s, then ${WINDOW} s measured"
  "$MIXCAST" --config "$config" >"$WORK/server-$n.log" 2>&1 &
  SERVER=$!
  local started stopped
  started=$(date +%s.%N)
  sleep "$WARMUP"
  kill -0 "$SERVER" 2>/dev/null || die "the server stopped: $(tail -n 20 "$WORK/server-$n.log")"
  local cpu0 frames0 dropped0 skipped0 thinned0 t0 cpu1 frames1 dropped1 skipped1 thinned1 t1
  local people h programme_fps
  for ((h = 0; h < HOGS; ++h)); do
    bash -c 'while :; do :; done' &
    HOG_PIDS+=($!)
  done
  take_metrics
  people=$(metric mixcast_participants)
  cpu0=$(cpu_s "$SERVER") frames0=$(metric mixcast_video_frames_encoded_total)
  dropped0=$(metric mixcast_input_dropped_total) t0=$(date +%s.%N)
  skipped0=$(metric mixcast_video_frames_skipped_total)
  thinned0=$(metric mixcast_video_frames_thinned_total)
  sleep "$WINDOW"
  take_metrics
  cpu1=$(cpu_s "$SERVER") frames1=$(metric mixcast_video_frames_encoded_total)
  dropped1=$(metric mixcast_input_dropped_total) t1=$(date +%s.%N)
  skipped1=$(metric mixcast_video_frames_skipped_total)
  thinned1=$(metric mixcast_video_frames_thinned_total)
  programme_fps=$(metric mixcast_programme_fps)
  stop_hogs
  local rss hwm
  rss=$(rss_kib "$SERVER") hwm=$(hwm_kib "$SERVER")
  kill -TERM "$SERVER"
  wait "$SERVER" || true
  stopped=$(date +%s.%N)
  SERVER=""
  local recording audio_gap=- video_gap=- length=- uneven=-
  recording=$(find "$WORK/recordings-$n" -name "*.mp4" | head -n 1)
  if [[ -n $recording ]]; then
    audio_gap=$(largest_gap_ms "$recording" a:0) video_gap=$(largest_gap_ms "$recording" v:0)
    length=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$recording")
    uneven=$(uneven_gaps "$recording")
  fi
  echo "$n $people $cpu0 $cpu1 $t0 $t1 $frames0 $frames1 $dropped0 $dropped1 $rss $hwm" \
    "$skipped0 $skipped1 $audio_gap $video_gap $length $started $stopped" \
    "$thinned0 $thinned1 $programme_fps $uneven" >>"$WORK/results"
}

for n in $COUNTS; do run_room "$n"; done

echo
echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); layout $LAYOUT; $HOGS busy loops beside it"
echo "N x ${SRC_W}x${SRC_H}@$FPS VP8+Opus files -> 1280x720@$FPS x264 veryfast 2500 kb/s + AAC, recording on"
awk '
  BEGIN { printf "%4s %7s %7s %9s %9s %9s %6s %9s %9s %9s %10s %9s %9s %7s %13s\n", "N",
          "in room", "cores", "per guest", "RSS MiB", "peak MiB", "fps", "prog fps", "skipped/s",
          "thinned/s", "dropped/s", "audio gap", "video gap", "uneven", "recorded/wall" }
  {
    dt = $6 - $5; cores = ($4 - $3) / dt
    printf "%4d %7d %7.2f %9.3f %9.1f %9.1f %6.1f %9.1f %9.1f %9.1f %10.1f %6s ms %6s ms %7s %6.1f/%.1f s\n",
           $1, $2, cores, cores / $1, $11 / 1024, $12 / 1024, ($8 - $7) / dt, $22, ($14 - $13) / dt,
           ($21 - $20) / dt, ($10 - $9) / dt, $15, $16, $23, $17, $19 - $18
  }' "$WORK/results"
echo
echo "cores: the server's user+sys CPU over the window per wall second; fps: frames"
echo "encoded per second (the programme's rate: $FPS when the machine keeps up);"
echo "prog fps: the rate the programme is encoded at, at the end (half of $FPS once"
echo "the encoder has not kept up for 2 s); skipped/s: programme frames the encoder's"
echo "queue dropped because it had no time for them (uneven); thinned/s: frames left"
echo "out evenly (one in two) at the halved rate; dropped/s: input buffers kept from"
echo "the mix (late or out of order); uneven: steps between the recording's frames"
echo "that are neither one frame nor two (stutters);"
echo "audio gap, video gap: the largest step between packets of the recording;"
echo "recorded/wall: the recording's length against the server's life (start-up included)."
