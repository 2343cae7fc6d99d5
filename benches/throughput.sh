#!/usr/bin/env bash
# Whole-process throughput of `esmlog calls --by user` on a large generated integration.log,
# against `wc -l` and an awk script computing the same per-user counts, in the same run;
# 1 vs 2 threads; peak RSS when the log arrives through a pipe (no mmap possible).
#
#   benches/throughput.sh [SIZE]        (default 1GB; needs about SIZE of free disk)
#
# Prints one line per measurement: what, seconds (best of 3), MB/s, peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1GB}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/esmlog/target}"
cargo build --release --quiet
esmlog="$CARGO_TARGET_DIR/release/esmlog"
work="${BENCH_DIR:-$CARGO_TARGET_DIR/bench-data}/$size"
if [ ! -f "$work/integration.log" ]; then
  mkdir -p "$work"
  "$esmlog" generate --out "$work" --size "$size" --weeks 4 --seed 1 >/dev/null
fi
log="$work/integration.log"
bytes=$(stat -c %s "$log")
cat "$log" > /dev/null   # warm the page cache so every contender reads from memory

# best-of-3 wall time and the peak RSS of that run, for a command given as a string
measure() {
  local label="$1" cmd="$2" best="" rss=""
  for _ in 1 2 3; do
    local out
    out=$( { /usr/bin/time -f '%e %M' bash -c "$cmd" > /dev/null; } 2>&1 | tail -n 1 )
    local secs=${out% *} kb=${out#* }
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; rss=$kb; fi
  done
  awk -v l="$label" -v s="$best" -v b="$bytes" -v r="$rss" \
    'BEGIN { printf "%-34s %7.2f s  %8.0f MB/s  peak RSS %6.1f MB\n", l, s, b / 1e6 / (s > 0 ? s : 0.001), r / 1024 }'
}

per_user_awk='{ for (i = 1; i <= NF; i++) if ($i ~ /^user=/) { u = substr($i, 6); c[u]++; if (match($0, / status=[0-9]+/)) { s = substr($0, RSTART + 8, RLENGTH - 8) + 0; if (s < 400) ok[u]++ } } } END { for (u in c) print u, c[u], ok[u] }'

echo "input: $log ($((bytes / 1000000)) MB), $(nproc) cores"
measure "wc -l" "wc -l '$log'"
measure "awk per-user counts" "mawk '$per_user_awk' '$log'"
measure "esmlog calls --by user, 1 thread" "RAYON_NUM_THREADS=1 '$esmlog' calls --quiet --by user '$log'"
measure "esmlog calls --by user, 2 threads" "RAYON_NUM_THREADS=2 '$esmlog' calls --quiet --by user '$log'"
measure "esmlog calls --by user, via a pipe" "cat '$log' | '$esmlog' calls --quiet --by user -"
