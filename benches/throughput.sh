#!/usr/bin/env bash
# Whole-process speed and memory of esmlog on a large generated integration.log, side by
# side with `wc -l` in the same run: the table of issue 14 (command, seconds, × `wc -l`,
# peak RSS), best of 3 for each row, then the ratios its goals are stated in.
#
#   benches/throughput.sh [SIZE]        (default 1GB; needs about 2 × SIZE of free disk)
#
# Run it on a quiet machine: it builds the release binary, and the ratios only mean
# something when nothing else competes for the cores. The page cache is warmed before
# every run, so that every row reads from memory, as `wc -l` does.
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
# The report's inputs: integration.log and the rotated usage logs (not truth.json, which
# it would skip with a warning).
usage=("$work"/Matrix42_rest_rest_api_usage.log*)
# Outputs (export, report) go to $scratch/out, emptied before each run and outside its
# timing, so that no run pays for deleting or overwriting the previous one's files.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

declare -A secs_of
wc_secs=""

# One table row: best-of-3 wall time of a command given as a string, its ratio to the
# `wc -l` row, and the peak RSS of the best run (of the whole pipeline for `cat … |`).
# `key` names the row for the ratios printed after the table. A run that fails (exit 2 or
# more; 1 only says esmlog found what it looks for) stops the script with its stderr, so
# that no row times an error message.
measure() {
  local key="$1" label="$2" cmd="$3" best="" rss="" status secs kb
  for _ in 1 2 3; do
    rm -rf "$scratch/out" && mkdir "$scratch/out"
    # Warmed again before every run: a host may page the cache out between runs (DAMON's
    # pageout scheme did so here, some 16 MB of the log in 20 s), and a run that reads part
    # of the log from disk times the disk.
    cat "$log" "${usage[@]}" > /dev/null
    status=0
    /usr/bin/time -o "$scratch/time" -f '%e %M' bash -c "$cmd" > /dev/null 2> "$scratch/stderr" || status=$?
    if [ "$status" -ge 2 ]; then
      echo "throughput.sh: \`$cmd\` failed (exit $status):" >&2
      cat "$scratch/stderr" >&2
      exit 1
    fi
    read -r secs kb < <(tail -n 1 "$scratch/time")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; rss=$kb; fi
  done
  secs_of[$key]=$best
  [ -n "$wc_secs" ] || wc_secs=$best
  awk -v l="$label" -v s="$best" -v w="$wc_secs" -v r="$rss" \
    'BEGIN { printf "| %s | %.2f | %.1f | %.0f MB |\n", l, s, s / (w > 0 ? w : 0.01), r / 1024 }'
}

# The quotient of two rows' seconds, for the goals.
ratio() {
  awk -v a="${secs_of[$1]}" -v b="${secs_of[$2]}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.01) }'
}

per_user_awk='{ for (i = 1; i <= NF; i++) if ($i ~ /^user=/) { u = substr($i, 6); c[u]++; if (match($0, / status=[0-9]+/)) { s = substr($0, RSTART + 8, RLENGTH - 8) + 0; if (s < 400) ok[u]++ } } } END { for (u in c) print u, c[u], ok[u] }'

echo "input: $log ($((bytes / 1000000)) MB), $(nproc) cores, page cache warm, best of 3"
echo "build: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (uncommitted changes)'), release"
echo
echo '| command | seconds | × `wc -l` | peak RSS |'
echo '| --- | --- | --- | --- |'
measure wc '`wc -l`' "wc -l '$log'"
measure calls2 '`esmlog calls --by user` (2 threads)' \
  "'$esmlog' calls --quiet --threads 2 --by user '$log'"
measure pipe '`cat log \| esmlog calls --by user -`' \
  "cat '$log' | '$esmlog' calls --quiet --threads 2 --by user -"
# The pipe alone, its reader only counting line ends: what the row above costs before
# esmlog parses a byte. cat copies the log into the pipe and the reader copies it out, in
# the kernel, on the same two cores the parse runs on.
measure pipe_floor '`cat log \| wc -l` (the pipe alone)' "cat '$log' | wc -l"
measure calls1 '`esmlog calls --by user --threads 1`' \
  "'$esmlog' calls --quiet --threads 1 --by user '$log'"
measure export '`esmlog export` (Parquet)' \
  "'$esmlog' export --quiet --threads 2 '$log' --out '$scratch/out'"
# The report reads the usage log next to integration.log too; `--all` puts every call of
# the log in its tables (the default month may cover only part of the generated weeks), so
# it does the work of the `calls` rows and more. It has no --threads: the pool is sized here.
measure report '`esmlog report`' \
  "RAYON_NUM_THREADS=2 '$esmlog' report --quiet --all '$log' ${usage[*]@Q} --out '$scratch/out'"
if command -v mawk > /dev/null; then
  measure mawk 'mawk, per-user counts (what an admin writes by hand)' "mawk '$per_user_awk' '$log'"
fi
echo
echo "goals of issue 14 (seconds over seconds):"
echo "  calls, 2 threads / wc -l:  $(ratio calls2 wc)  (at most 4)"
echo "  calls through a pipe / wc -l:  $(ratio pipe wc)  (at most 6)"
echo "    (the pipe alone / wc -l:  $(ratio pipe_floor wc); calls through a pipe / the pipe alone:  $(ratio pipe pipe_floor))"
echo "  calls, 1 thread / 2 threads:  $(ratio calls1 calls2)  (at least 1.8)"
echo "  export / calls:  $(ratio export calls2)  (at most 2)"
echo "  report / calls:  $(ratio report calls2)  (at most 1.5)"
