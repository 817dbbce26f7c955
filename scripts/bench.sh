#!/usr/bin/env bash
# bench.sh: make bench. The users service (exercise 0, as shipped: headers,
# pprof labels, trace regions, block and mutex profiling on) against the
# ceiling (scripts/ceiling: the same body, constant, and nothing else),
# loaded by the same go tool hey in alternating rounds, so that both see
# the same noise. Prints throughput, p50 and p99 per program and the ratio.
#
# Settings: ROUNDS (default 5), ROUND (seconds per round, default 4s),
# CONCURRENCY (default 50), PORT (8080), DEBUG_PORT (6060), CEILING_PORT (8090).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
TARGET=bench

rounds=${ROUNDS:-5}
round=$(seconds "${ROUND:-4s}")
conc=${CONCURRENCY:-50}
port=${PORT:-8080}
dport=${DEBUG_PORT:-6060}
cport=${CEILING_PORT:-8090}
need go "install Go 1.26 or later (https://go.dev/dl/)"
need curl "install curl (apt-get install curl)"
check_number ROUNDS "$rounds" 1 99
check_number CONCURRENCY "$conc" 1 10000
check_number PORT "$port" 1 65535
check_number DEBUG_PORT "$dport" 1 65535
check_number CEILING_PORT "$cport" 1 65535
out=${OUT_ROOT:-profiles/local}/bench
lock_folder "$out"
check_ports "$port" PORT "$dport" DEBUG_PORT "$cport" CEILING_PORT
trap stop_all EXIT
trap 'echo; say "interrupted: stopping everything the bench started"; exit 130' INT TERM

find "$out/" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
mkdir -p "$out/bin"
run go build -o "$out/bin/" ./exercises/00-baseline ./scripts/ceiling ./scripts/benchtable ./scripts/bodies
run go tool -n hey >/dev/null

start_server "$out/ceiling.log" "$out/bin/ceiling" -addr "localhost:$cport"
ceiling_pid=$SERVER_PID
wait_ready "http://localhost:$cport/users/42" "$out/ceiling.log"
start_server "$out/baseline.log" "$out/bin/00-baseline" -addr "localhost:$port" -debug-addr "localhost:$dport" "${SHUTDOWN_FLAG[@]}"
wait_ready "http://localhost:$port/users/42" "$out/baseline.log"

say "warm-up, and a check that the service answers right under load (not counted)"
bg "$out/bodies.txt" "$out/bin/bodies" -url "http://localhost:$port" -c 4 -duration 2s
bodies_pid=$BG_PID
run go tool hey -z 2s -c "$conc" "http://localhost:$port/users/42" >/dev/null
wait "$bodies_pid" || { cat "$out/bodies.txt" >&2; die "the service gave wrong answers under load: its throughput would mean nothing"; }
cat "$out/bodies.txt"
run go tool hey -z 1s -c "$conc" "http://localhost:$cport/users/42" >/dev/null
for r in $(seq "$rounds"); do
  say "round $r of $rounds"
  run go tool hey -z "${round}s" -c "$conc" "http://localhost:$port/users/42" > "$out/baseline-$(printf %02d "$r").txt"
  run go tool hey -z "${round}s" -c "$conc" "http://localhost:$cport/users/42" > "$out/ceiling-$(printf %02d "$r").txt"
done
for p in "$SERVER_PID" "$ceiling_pid"; do kill -0 "$p" 2>/dev/null || die "a server died during the bench (logs: $out/*.log)"; done

say ""
say "== make bench: $conc concurrent, $rounds alternating rounds of ${round}s, on $(nproc) cores, $(go env GOVERSION) =="
run "$out/bin/benchtable" -row "ceiling=$out/ceiling-*.txt" -row "baseline=$out/baseline-*.txt" -ratio baseline/ceiling:0.8
