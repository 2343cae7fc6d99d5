#!/usr/bin/env bash
# `esmlog export` to Parquet against `esmlog calls --by user` on the same generated
# integration.log, in the same run: wall time, MB/s, peak RSS (the export streams row
# groups, so its memory must stay flat), and the size of the Parquet dataset.
#
#   benches/export-throughput.sh [SIZE] [PROFILE]    (defaults 1GB, release)
#
# PROFILE is `release` or `debug`: building the release binary compiles polars optimised
# (tens of minutes from nothing); the debug profile still optimises esmlog itself
# (`[profile.dev.package.esmlog] opt-level = 2`) but not polars' Parquet encoder.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1GB}"
profile="${2:-release}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/esmlog/target}"
if [ "$profile" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
esmlog="$CARGO_TARGET_DIR/$profile/esmlog"
work="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-data}/$size"
if [ ! -f "$work/integration.log" ]; then
  mkdir -p "$work"
  "$esmlog" generate --out "$work" --size "$size" --weeks 4 --seed 1 >/dev/null
fi
log="$work/integration.log"
bytes=$(stat -c %s "$log")
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cat "$log" > /dev/null   # warm the page cache so both contenders read from memory

# one run: wall seconds and peak RSS (KB) of a command given as a string
measure() {
  local label="$1" cmd="$2" n="${3:-$bytes}" result secs kb
  result=$( { /usr/bin/time -f '%e %M' bash -c "$cmd" > /dev/null; } 2>&1 | tail -n 1 )
  secs=${result% *} kb=${result#* }
  awk -v l="$label" -v s="$secs" -v b="$n" -v r="$kb" \
    'BEGIN { printf "%-40s %7.2f s  %8.0f MB/s  peak RSS %6.1f MB\n", l, s, b / 1e6 / (s > 0 ? s : 0.001), r / 1024 }'
}

echo "input: $log ($((bytes / 1000000)) MB), $(nproc) cores, $profile binary"
measure "esmlog calls --by user" "'$esmlog' calls --quiet --by user '$log'"
measure "esmlog export --format parquet" "'$esmlog' export --quiet '$log' --out '$out/parquet'"
rows=$(find "$out/parquet/calls" -name '*.parquet' | wc -l)
echo "parquet: $(du -sb "$out/parquet" | cut -f1 | awk '{ printf "%.1f MB", $1 / 1e6 }') in $rows file(s) ($(awk -v p="$(du -sb "$out/parquet" | cut -f1)" -v b="$bytes" 'BEGIN { printf "%.1f%%", 100 * p / b }') of the log)"
# Memory must not grow with the input: the same export on a quarter of the log.
head -c $((bytes / 4)) "$log" > "$out/quarter.log"
measure "esmlog export, a quarter of the log" "'$esmlog' export --quiet '$out/quarter.log' --out '$out/quarter'" $((bytes / 4))
