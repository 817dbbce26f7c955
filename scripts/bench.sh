#!/usr/bin/env bash
# bench.sh [N]: make bench, and make compare-N.
#
# Programs are compared in groups, loaded by the same go tool hey in
# alternating rounds so that all of a group see the same noise:
#   - the users service (exercise 0, as shipped: headers, pprof labels,
#     trace regions, block and mutex profiling on) against the ceiling
#     (scripts/ceiling: the same body, constant, and nothing else);
#   - each exercise of the catalog against its solution and, where the fix
#     removes the bottleneck (metric rps), against the baseline too, which
#     the solution should come close to.
# With N, only exercise N and its solution (make compare-N); without, every
# group (make bench). Before its rounds, each program's answers are checked
# under load: a fast wrong server measures nothing. Prints throughput, p50
# and p99 per program and the ratios, each with its goal.
#
# Settings: ROUNDS (default 5), ROUND (seconds per round, default 4s),
# CONCURRENCY (default 50), PORT (8080) and DEBUG_PORT (6060): the programs
# of a group listen on PORT, PORT+1, PORT+2 and DEBUG_PORT, DEBUG_PORT+1,
# DEBUG_PORT+2.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

only=${1:-}
TARGET=bench
[ -z "$only" ] || TARGET="compare-$only"
rounds=${ROUNDS:-5}
round=$(seconds "${ROUND:-4s}")
conc=${CONCURRENCY:-50}
port=${PORT:-8080}
dport=${DEBUG_PORT:-6060}
need go "install Go 1.26 or later (https://go.dev/dl/)"
need curl "install curl (apt-get install curl)"
need gcc "install gcc: SQLite is compiled with cgo (apt-get install gcc)"
check_number ROUNDS "$rounds" 1 99
check_number CONCURRENCY "$conc" 1 10000
check_number PORT "$port" 1 65533
check_number DEBUG_PORT "$dport" 1 65533

# metric N prints exercise N's metric (rps or p50) from the catalog.
metric() { awk -F'\t' -v n="$1" '$1 == n { print $7 }' exercises/catalog.tsv; }

# groups: "label dir label dir ...", one group per element.
groups=()
if [ -n "$only" ]; then
  [[ $only =~ ^[0-9]+$ ]] || die "exercise number '$only' is not a number: try make help"
  slug=$(catalog_slug "$only") || die "no exercise $only in exercises/catalog.tsv: try make help"
  [ "$only" != 0 ] || die "exercise 0 has no solution: make bench compares it with the ceiling"
  name=$(printf '%02d-%s' "$only" "$slug")
  groups+=("exercise-$only exercises/$name solution-$only solutions/$name")
  out=${OUT_ROOT:-profiles/local}/compare/$name
else
  groups+=("baseline exercises/00-baseline ceiling scripts/ceiling")
  while IFS=$'\t' read -r num slug _; do
    [[ $num =~ ^[0-9]+$ ]] && [ "$num" != 0 ] || continue
    name=$(printf '%02d-%s' "$num" "$slug")
    g="exercise-$num exercises/$name solution-$num solutions/$name"
    [ "$(metric "$num")" != rps ] || g+=" baseline-$num exercises/00-baseline"
    groups+=("$g")
  done < exercises/catalog.tsv
  out=${OUT_ROOT:-profiles/local}/bench
fi
lock_folder "$out"
busy=()
for p in "$port" "$((port + 1))" "$((port + 2))" "$dport" "$((dport + 1))" "$((dport + 2))"; do
  port_busy "$p" && busy+=("$p")
done
[ ${#busy[@]} = 0 ] || die "port ${busy[*]} busy (another server still running?); stop it, or pick other ports: make $TARGET PORT=$((port + 1000)) DEBUG_PORT=$((dport + 1000))"
trap stop_all EXIT
trap 'echo; say "interrupted: stopping everything the bench started"; exit 130' INT TERM

find "$out/" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
[ "$(go list -f '{{.Stale}}' github.com/mattn/go-sqlite3 2>/dev/null)" = false ] ||
  say "(this first build compiles SQLite's C code for the go-sqlite3 driver: it takes a minute or two, once)"
run go build -o "$out/bin/" ./scripts/benchtable ./scripts/bodies
# An exercise and its solution have the same folder name: each program
# gets a folder of its own, named by its label.
for g in "${groups[@]}"; do
  set -- $g
  while [ $# -ge 2 ]; do run go build -o "$out/$1/" "./$2"; shift 2; done
done
run go tool -n hey >/dev/null

# start LABEL DIR APP_PORT DEBUG_PORT starts one program of a pair, checks
# its answers under load, and sets PID.
start() {
  local label=$1 args=(-addr "localhost:$3")
  [ "$2" = scripts/ceiling ] || args+=(-debug-addr "localhost:$4" "${SHUTDOWN_FLAG[@]}")
  start_server "$out/$label.log" "$out/$label" "./$(basename "$2")" "${args[@]}"
  PID=$SERVER_PID
  wait_ready "http://localhost:$3/users/42" "$out/$label.log"
  [ "$2" != scripts/ceiling ] || { run go tool hey -z 1s -c "$conc" "http://localhost:$3/users/42" >/dev/null; return; } # one body for every id, by design
  say "$label: warm-up, and a check that it answers right under load (not counted)"
  bg "$out/$label/bodies.txt" "$out/bin/bodies" -url "http://localhost:$3" -c 4 -duration 2s
  local bodies=$BG_PID
  run go tool hey -z 2s -c "$conc" "http://localhost:$3/users/42" >/dev/null
  wait "$bodies" || { cat "$out/$label/bodies.txt" >&2; die "$label gave wrong answers under load: its throughput would mean nothing"; }
  cat "$out/$label/bodies.txt"
}

# stop LABEL PID stops one program gracefully.
stop() {
  SERVER_PID=$2
  stop_server "$out/$1.log" || die "$1 exited badly (log: $out/$1.log)"
}

table=()
for g in "${groups[@]}"; do
  set -- $g
  labels=() pids=() ports=()
  i=0
  while [ $# -ge 2 ]; do
    start "$1" "$2" "$((port + i))" "$((dport + i))"
    labels+=("$1") pids+=("$PID") ports+=("$((port + i))")
    i=$((i + 1)); shift 2
  done
  for r in $(seq "$rounds"); do
    say "${labels[*]}: round $r of $rounds"
    for i in "${!labels[@]}"; do
      run go tool hey -z "${round}s" -c "$conc" "http://localhost:${ports[$i]}/users/42" > "$out/${labels[$i]}.round$(printf %02d "$r").txt"
    done
  done
  for i in "${!labels[@]}"; do
    stop "${labels[$i]}" "${pids[$i]}"
    table+=(-row "${labels[$i]}=$out/${labels[$i]}.round*.txt") # baseline.round*, not baseline-1.round*
  done
  la=${labels[0]} lb=${labels[1]}
  if [ "$la" = baseline ]; then
    table+=(-ratio baseline/ceiling:0.8)
    continue
  fi
  n=${la#exercise-}
  if [ "$(metric "$n")" = p50 ]; then
    # A fix that overlaps waits: throughput at a fixed concurrency follows
    # 1/latency, so the exercise's bottleneck shows as latency, and the
    # solution's p50 must come within 10% of the floor, the longest wait.
    floor=$(awk -F'\t' -v n="$n" '$1 == n { print $9 }' exercises/catalog.tsv)
    ms=${floor%ms}
    [[ $ms =~ ^[0-9]+$ ]] || die "exercise $n: floor '$floor' in exercises/catalog.tsv must be whole milliseconds, like 50ms"
    table+=(-ratio "$la/$lb" -p50 "$lb:<=$(( ms * 11 / 10 ))ms")
  else
    if [ -n "$only" ]; then
      table+=(-ratio "$la/$lb") # your fix or the shipped exercise: no goal to meet
    else
      table+=(-ratio "$la/$lb:<=0.5")
    fi
    [ ${#labels[@]} -lt 3 ] || table+=(-ratio "$lb/${labels[2]}:0.9")
  fi
done

say ""
say "== make $TARGET: $conc concurrent, $rounds alternating rounds of ${round}s per group, on $(nproc) cores, $(go env GOVERSION) =="
run "$out/bin/benchtable" "${table[@]}"
