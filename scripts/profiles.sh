#!/usr/bin/env bash
# profiles.sh: make profiles. Regenerates the reference captures in
# profiles/NN-slug/{exercise,solution}/ for every exercise of the catalog:
# the loop of make exercise-N and make solution-N, run with its defaults
# (100 concurrent for 10 s) and a shorter trace, so that each file stays
# under 2 MiB. Beside the captures: summary.txt, the loop's summary;
# shares.txt, the shares of the catalog's bottleneck and wait in the
# handlers' samples (scripts/shares); and machine.txt, the machine, Go
# version and commit they come from.
#
# Settings: as for the loop (PORT, DEBUG_PORT), and TRACE_SECONDS (default 0.5).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
TARGET=profiles
need go "install Go 1.26 or later (https://go.dev/dl/)"
export TRACE_SECONDS=${TRACE_SECONDS:-0.5} DURATION=10s CONCURRENCY=100
tmp=profiles/local/reference
max=$((2 * 1024 * 1024))
mkdir -p profiles/local

machine() {
  printf 'command:  make profiles (scripts/profiles.sh: %s, 100 concurrent for 10 s, trace %s s)\n' "$1" "$TRACE_SECONDS"
  printf 'date:     %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
  printf 'commit:   %s%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$(git diff --quiet HEAD -- exercises solutions server scripts 2>/dev/null || echo ' (with uncommitted changes)')"
  printf 'go:       %s\n' "$(go env GOVERSION)"
  printf 'machine:  %s cores, %s, %s\n' "$(nproc)" "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)" "$(uname -sm)"
}

while IFS=$'\t' read -r num slug _; do
  [[ $num =~ ^[0-9]+$ ]] && [ "$num" != 0 ] || continue
  name=$(printf '%02d-%s' "$num" "$slug")
  for kind in exercises solutions; do
    dest=profiles/$name/${kind%s}
    say ""
    say "== $kind/$name -> $dest =="
    OUT_ROOT=$tmp run scripts/loop.sh "$kind" "$num" > "$tmp.log" 2>&1 || { tail -n 20 "$tmp.log" >&2; die "the loop failed on $kind/$name (log: $tmp.log)"; }
    src=$tmp/$kind/$name
    files=(cpu.pprof fgprof.pprof block.pprof mutex.pprof trace.out hey.txt headers.txt)
    for f in "${files[@]}"; do
      size=$(stat -c %s "$src/$f")
      (( size <= max )) || die "$src/$f is $size bytes, over 2 MiB: try TRACE_SECONDS=0.2 make profiles"
    done
    rm -rf "$dest"
    mkdir -p "$dest"
    for f in "${files[@]}"; do cp "$src/$f" "$dest/"; done
    sed -n '/^== 5. Summary ==/,$p' "$tmp.log" | sed '1,2d' | sed "s#$src/#$dest/#g" > "$dest/summary.txt"
    run go run ./scripts/shares -n "$num" "$dest" > "$dest/shares.txt"
    machine "make ${kind%s}-$num" > "$dest/machine.txt"
    say "$(grep -m1 'throughput' "$dest/summary.txt")"
  done
done < exercises/catalog.tsv

total=$(du -sb --exclude=local profiles | cut -f1)
say ""
say "profiles/: $total bytes of reference captures (limit 30 MiB)"
(( total <= 30 * 1024 * 1024 )) || die "the reference captures exceed 30 MiB"
