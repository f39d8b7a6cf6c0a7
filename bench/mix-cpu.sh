#!/usr/bin/env bash
# CPU and memory cost of mixing four 640x360@30 VP8+Opus files into one
# 1280x720@30 programme (H.264 x264 veryfast/zerolatency, 2500 kb/s, a
# keyframe every 2 s; AAC 128 kb/s) in real time, three ways:
#
#   mixcast      a room with the four files as sources (grid layout), recording
#                to fragmented MP4 on, HLS and RTMP off, HTTP off
#   gst-launch   compositor 2x2 + audiomixer, the same encoders and muxer,
#                clocked as mixcast is: live background sources in both mixers
#   ffmpeg -re   xstack 2x2 + amix, libx264 and aac, fragmented MP4
#
# Each one runs for DURATION seconds of wall time, then gets SIGINT (a clean
# finish: mixcast closes its recording, gst-launch -e sends EOS, ffmpeg writes
# its trailer). Measured: user+sys CPU seconds and peak RSS of the whole run
# (GNU time), CPU over the steady part (from 5 s to the end, from
# /proc/PID/stat) and the duration of the file produced ("mixed seconds").
#
# The same x264 settings everywhere (mixcast's x264 profile): veryfast,
# zerolatency, no B-frames, constrained baseline, threads=2, CBR.
#
# Not a test: CI does not run it. Usage:
#   bench/mix-cpu.sh            # build first: ninja -C build
# Environment: DURATION (default 30), MIXCAST (the binary; default
# build/src/app/mixcast), KEEP=1 keeps the work directory, PROFILE=1 also
# prints where each tool's steady CPU went: per thread name with context
# switches (from /proc), and per library (perf record, when perf is there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-30}
MIXCAST=${MIXCAST:-$ROOT/build/src/app/mixcast}
KEEP=${KEEP:-0}
PROFILE=${PROFILE:-0}
STEADY_FROM=5          # s: steady-state CPU is measured from here to the end
FILE_S=40              # length of the source files; must exceed DURATION
SRC_W=640 SRC_H=360 FPS=30
OUT_W=1280 OUT_H=720
VIDEO_KBPS=2500 KEYFRAME_S=2 AUDIO_KBPS=128
GOP=$((KEYFRAME_S * FPS))

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for tool in ffmpeg ffprobe gst-launch-1.0 /usr/bin/time pgrep awk; do
  command -v "$tool" >/dev/null || die "needs $tool"
done
[[ -x $MIXCAST ]] || die "no mixcast binary at $MIXCAST (ninja -C build, or set MIXCAST)"
((DURATION > STEADY_FROM && DURATION < FILE_S)) || die "DURATION must be in ($STEADY_FROM, $FILE_S)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mixcast-bench-XXXXXX")
cleanup() {
  if [[ $KEEP == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# --- sources -----------------------------------------------------------------
# Hues 0, 90, 180, 270 and tones 440-770 Hz.
make_sources "$WORK" 4 "$FILE_S"

# --- measuring ---------------------------------------------------------------

# One line per thread of a live process: tid, name (spaces as _), CPU ticks
# (utime+stime), context switches (voluntary + not).
threads_snapshot() {
  local task
  for task in /proc/"$1"/task/*; do
    {
      printf '%s %s ' "${task##*/}" "$(tr ' ' _ <"$task/comm")"
      sed 's/^.*) //' "$task/stat" | awk '{printf "%d ", $12 + $13}'
      awk '/ctxt_switches/ { n += $2 } END { print n }' "$task/status"
    } 2>/dev/null || true
  done
}

# Where a tool's steady CPU went, by thread name (digits folded: the four
# "multiqueue0:src".."multiqueue3:src" are one line), with context switches,
# and by library when perf recorded it.
profile_report() {
  local name=$1 steady_s=$((DURATION - STEADY_FROM))
  echo
  echo "--- $name: threads over the steady ${steady_s} s (CPU in cores, switches per second)"
  join <(sort "$WORK/$name.threads0") <(sort "$WORK/$name.threads1") | awk -v t="$TICKS" \
    -v s="$steady_s" '{ g = $2; gsub(/[0-9]+/, "N", g); cpu[g] += ($6 - $3) / t / s;
      sw[g] += ($7 - $4) / s; n[g]++; tc += ($6 - $3) / t / s; ts += ($7 - $4) / s }
    END { for (g in cpu) printf "  %-18s %3d %7.3f %8.0f\n", g, n[g], cpu[g], sw[g];
          printf "  %-18s %3s %7.3f %8.0f\n", "(all threads)", "", tc, ts }' |
    sort -k3 -n -r | head -n 16
  if [[ -f $WORK/$name.perf ]]; then
    echo "--- $name: by library (perf, share of its samples)"
    perf report -i "$WORK/$name.perf" --no-children --sort dso -g none --stdio 2>/dev/null |
      awk '/^ +[0-9.]+%/ { printf "  %s\n", $0 }' | head -n 12
  fi
}

# measure NAME OUTPUT_GLOB COMMAND...: runs COMMAND under GNU time for
# DURATION s, stops it with SIGINT and records its figures in $WORK/NAME.result.
measure() {
  local name=$1 output_glob=$2
  shift 2
  echo "running $name for $DURATION s..."
  /usr/bin/time -f '%U %S %M %e' -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1 &
  local timer=$! pid=""
  for _ in $(seq 100); do
    pid=$(pgrep -P "$timer" || true)
    [[ -n $pid ]] && break
    sleep 0.05
  done
  [[ -n $pid ]] || die "$name did not start (see $WORK/$name.log)"
  sleep "$STEADY_FROM"
  local cpu_from cpu_to
  cpu_from=$(cpu_s "$pid") || die "$name exited early: $(tail -n 20 "$WORK/$name.log")"
  [[ $PROFILE == 1 ]] && threads_snapshot "$pid" >"$WORK/$name.threads0"
  local perf_pid=""
  if [[ $PROFILE == 1 ]] && command -v perf >/dev/null; then
    perf record -q -F 499 -p "$pid" -o "$WORK/$name.perf" -- sleep $((DURATION - STEADY_FROM - 1)) \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  sleep $((DURATION - STEADY_FROM))
  cpu_to=$(cpu_s "$pid") || die "$name exited early: $(tail -n 20 "$WORK/$name.log")"
  [[ $PROFILE == 1 ]] && threads_snapshot "$pid" >"$WORK/$name.threads1"
  [[ -n $perf_pid ]] && wait "$perf_pid"
  kill -INT "$pid"
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "  $name did not finish 30 s after SIGINT: killed" >&2
    kill -KILL "$pid"
  fi
  local status=0
  wait "$timer" || status=$?
  # ffmpeg exits 255 after SIGINT; the others must finish cleanly.
  [[ $status == 0 || $name == ffmpeg ]] || echo "  $name exited with status $status" >&2
  if grep -Eq '(^| )ERROR[ :]' "$WORK/$name.log"; then
    die "$name reported errors: $(grep -E '(^| )ERROR[ :]' "$WORK/$name.log" | head -n 5)"
  fi
  local user sys rss_kib wall output
  read -r user sys rss_kib wall < <(tail -n 1 "$WORK/$name.time")
  output=$(compgen -G "$output_glob" | head -n 1 || true)
  [[ -n $output ]] || die "$name wrote no output ($output_glob); log: $(tail -n 20 "$WORK/$name.log")"
  local mixed frames
  mixed=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$output")
  frames=$(ffprobe -v error -select_streams v:0 -count_packets \
    -show_entries stream=nb_read_packets -of csv=p=0 "$output")
  if awk -v m="$mixed" -v d="$DURATION" 'BEGIN { exit !(m < 0.9 * d) }'; then
    echo "  $name wrote only $mixed s of media in $DURATION s: not real time" >&2
  fi
  echo "$name $user $sys $rss_kib $mixed $frames $cpu_from $cpu_to $wall" >"$WORK/$name.result"
}

# --- (a) mixcast ---------------------------------------------------------------
LAYOUT=${LAYOUT:-bench}
if [ "$LAYOUT" = bench ]; then LAYOUTS_DIR=$WORK/mixcast/layouts; else LAYOUTS_DIR=$ROOT/config/layouts; fi
mkdir -p "$WORK/mixcast/layouts"
# The same picture as the baselines make: a 2x2 grid without gaps or labels,
# so every tile is its source, unscaled. (LAYOUT=grid measures the shipped
# grid instead: 4 px gaps, so every tile is scaled, plus name labels.)
cat >"$WORK/mixcast/layouts/bench.yaml" <<'EOF'
name: bench
label: {show: false}
regions:
  - {show: all, arrange: grid, fit: cover}
EOF
{
  cat <<EOF
log_level: warning
http:
  enabled: false
media:
  width: $OUT_W
  height: $OUT_H
  fps: $FPS
  video_bitrate_kbps: $VIDEO_KBPS
  audio_bitrate_kbps: $AUDIO_KBPS
  keyframe_interval_s: $KEYFRAME_S
  video_encoder: x264
  audio_encoder: aac
paths:
  layouts: ${LAYOUTS_DIR}
  pipelines: $ROOT/pipelines
  hls: $WORK/mixcast/hls
  recordings: $WORK/mixcast/recordings
rooms:
  - name: bench
    layout: ${LAYOUT}
    outputs:
      hls: {enabled: false}
      recording: {enabled: true, format: mp4}
      rtmp: []
    sources:
EOF
  for i in 0 1 2 3; do
    printf '      - name: src%d\n        uri: %s\n' "$i" "${SOURCES[i]}"
  done
} >"$WORK/mixcast/mixcast.yaml"
"$MIXCAST" --check-config "$WORK/mixcast/mixcast.yaml" >/dev/null ||
  die "mixcast rejects $WORK/mixcast/mixcast.yaml"
measure mixcast "$WORK/mixcast/recordings/bench/*.mp4" \
  "$MIXCAST" --config "$WORK/mixcast/mixcast.yaml"

# --- (b) gst-launch ------------------------------------------------------------
# Clocked like mixcast: a live black background under the tiles and live
# silence in the audio mix make both mixers produce in real time; the files
# are decoded as fast as the mixers take their data. (identity sync=true after
# the decoders instead races at start-up: x264enc then emits a frame without
# PTS, which mp4mux rejects.)
X264="tune=zerolatency speed-preset=veryfast bitrate=$VIDEO_KBPS key-int-max=$GOP bframes=0 threads=2"
VIDEO_CAPS="video/x-raw,format=I420,width=$OUT_W,height=$OUT_H,framerate=$FPS/1"
AUDIO_CAPS="audio/x-raw,format=F32LE,rate=48000,channels=2"
GST=(-e
  compositor name=vmix background=black sink_4::zorder=0)
for i in 0 1 2 3; do
  GST+=("sink_$i::xpos=$(((i % 2) * SRC_W))" "sink_$i::ypos=$(((i / 2) * SRC_H))"
    "sink_$i::width=$SRC_W" "sink_$i::height=$SRC_H" "sink_$i::zorder=$((i + 1))")
done
# shellcheck disable=SC2206  # X264 is a list of properties
GST+=(! "$VIDEO_CAPS"
  ! queue max-size-buffers=3 max-size-bytes=0 max-size-time=0
  ! x264enc $X264 ! "video/x-h264,profile=constrained-baseline"
  ! h264parse ! queue
  ! mp4mux name=mux fragment-duration=1000 streamable=true
  ! filesink location="$WORK/gst.mp4"
  audiomixer name=amix ! "$AUDIO_CAPS"
  ! queue ! audioconvert ! avenc_aac bitrate=$((AUDIO_KBPS * 1000)) ! aacparse ! queue ! mux.
  videotestsrc is-live=true pattern=black ! "$VIDEO_CAPS" ! vmix.sink_4
  audiotestsrc is-live=true wave=silence samplesperbuffer=480 ! "$AUDIO_CAPS" ! amix.sink_4)
for i in 0 1 2 3; do
  GST+=(filesrc location="${SOURCES[i]}" ! matroskademux name="demux$i"
    "demux$i.video_0" ! queue ! vp8dec ! "vmix.sink_$i"
    "demux$i.audio_0" ! queue ! opusdec ! audioconvert ! audioresample ! "amix.sink_$i")
done
# Now and then x264enc hands mp4mux a first buffer without a PTS at start-up
# ("Buffer has no PTS"), which ends the run: the baseline is run again, at
# most three times, and the report says so.
for attempt in 1 2 3; do
  (measure gst-launch "$WORK/gst.mp4" gst-launch-1.0 "${GST[@]}") && break
  [[ $attempt == 3 ]] && die "gst-launch failed three times"
  echo "  gst-launch failed at start-up (attempt $attempt): running it again" >&2
  rm -f "$WORK/gst.mp4"
done

# --- (c) ffmpeg -re --------------------------------------------------------------
FF=(-nostdin -hide_banner)
for i in 0 1 2 3; do FF+=(-re -i "${SOURCES[i]}"); done
FF+=(-filter_complex
  "[0:v][1:v][2:v][3:v]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,format=yuv420p[v];[0:a][1:a][2:a][3:a]amix=inputs=4[a]"
  -map "[v]" -map "[a]"
  -c:v libx264 -preset veryfast -tune zerolatency -profile:v baseline -bf 0 -threads 2
  -b:v "${VIDEO_KBPS}k" -maxrate "${VIDEO_KBPS}k" -bufsize "$((VIDEO_KBPS * 6 / 10))k"
  -g "$GOP" -r "$FPS"
  -c:a aac -b:a "${AUDIO_KBPS}k" -ar 48000 -ac 2
  -movflags +frag_keyframe+empty_moov+default_base_moof -frag_duration 1000000
  -y "$WORK/ffmpeg.mp4")
measure ffmpeg "$WORK/ffmpeg.mp4" ffmpeg "${FF[@]}"

# --- report ------------------------------------------------------------------------
echo
echo "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "mixing 4 x ${SRC_W}x${SRC_H}@$FPS VP8+Opus -> ${OUT_W}x${OUT_H}@$FPS H.264 ${VIDEO_KBPS} kb/s" \
  "(x264 veryfast zerolatency, keyframe ${KEYFRAME_S} s) + AAC ${AUDIO_KBPS} kb/s," \
  "${DURATION} s wall time each"
echo
cat "$WORK/mixcast.result" "$WORK/gst-launch.result" "$WORK/ffmpeg.result" | awk \
  -v steady_s=$((DURATION - STEADY_FROM)) -v fps=$FPS '
  {
    tool[NR] = $1; cpu = $2 + $3; mixed[NR] = $5
    per[NR] = cpu / $5; steady[NR] = ($8 - $7) / steady_s; rss[NR] = $4 / 1024
    printf "%-11s %6.1f %7.1f %7.1f %11.3f %12.3f %9.1f %7d/%d\n", $1, $9, $5, cpu,
           per[NR], steady[NR], rss[NR], $6, int($5 * fps + 0.5)
  }
  BEGIN {
    printf "%-11s %6s %7s %7s %11s %12s %9s %s\n", "tool", "wall s", "mixed s", "CPU s",
           "CPU-s/mix-s", "steady CPU/s", "peak MiB", "video frames/expected"
  }
  END {
    printf "\nratios              CPU-s/mix-s  steady CPU/s  peak RSS\n"
    for (i = 2; i <= 3; ++i)
      printf "mixcast/%-11s %11.2f %13.2f %9.2f\n", tool[i], per[1] / per[i],
             steady[1] / steady[i], rss[1] / rss[i]
  }'
if [[ $PROFILE == 1 ]]; then
  for name in mixcast gst-launch ffmpeg; do profile_report "$name"; done
fi
echo
echo "CPU-s/mix-s: user+sys of the whole run (start-up and finish included) per second"
echo "of media written; steady CPU/s: CPU from ${STEADY_FROM} s to ${DURATION} s per wall second."
