# Shared by the CPU benchmarks (mix-cpu.sh, cost-curve.sh); sourced, not run.
# Needs SRC_W, SRC_H, FPS and GOP set by the script that sources it.

die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

TICKS=$(getconf CLK_TCK)

# utime+stime of a live process in seconds (all its threads).
cpu_s() {
  # Fields after "pid (comm) ": state is 1, utime 12, stime 13.
  sed 's/^.*) //' "/proc/$1/stat" | awk -v t="$TICKS" '{printf "%.2f", ($12 + $13) / t}'
}

# make_sources DIR COUNT SECONDS: COUNT distinct SRC_WxSRC_H@FPS VP8+Opus
# clips (test pattern in its own hue, its own tone), paths in SOURCES.
make_sources() {
  local dir=$1 count=$2 seconds=$3 i
  echo "generating $count x $seconds s ${SRC_W}x${SRC_H}@${FPS} VP8+Opus files in $dir"
  SOURCES=()
  for ((i = 0; i < count; ++i)); do
    local f=$dir/src$i.webm
    ffmpeg -nostdin -v error -y \
      -f lavfi -i "testsrc2=size=${SRC_W}x${SRC_H}:rate=$FPS:duration=$seconds,hue=h=$((i * 360 / count))" \
      -f lavfi -i "sine=frequency=$((440 + 110 * i)):sample_rate=48000:duration=$seconds" \
      -c:v libvpx -deadline realtime -cpu-used 8 -b:v 1M -g "$GOP" \
      -c:a libopus -b:a 64k -ac 2 "$f" || die "ffmpeg could not make $f"
    SOURCES+=("$f")
  done
}
