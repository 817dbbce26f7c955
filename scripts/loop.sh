#!/usr/bin/env bash
# loop.sh KIND N: the measurement loop behind `make exercise-N` (KIND is
# exercises) and `make solution-N` (KIND is solutions).
#
# It builds and starts the program, shows one answer's headers, loads it
# with go tool hey while it captures a CPU profile, a wall-clock profile
# (fgprof), block, mutex and allocation profiles and an execution trace,
# reads the program's own numbers (/debug/vars) before and after, checks the
# answers' bodies, stops the server and prints a summary. Every command it
# runs is printed first, so you can run it yourself.
#
# Settings (environment or make variables):
#   CONCURRENCY  requests in flight (default 100)
#   DURATION     length of the load, whole seconds, at least 4 (default 10s)
#   PORT         app port on localhost (default 8080)
#   DEBUG_PORT   debug port on localhost (default 6060)
#   USERS        users seeded, and the range of ids checked (default 10000)
#   RATE         after hey, load again at this constant arrival rate (req/s)
#                for DURATION with scripts/openloop, each latency counted
#                from when its request was due; the summary sets both loads
#                side by side (default: hey only)
#   FLIGHT       turn on the server's flight recorder: a request slower than
#                this (e.g. 100ms) writes the trace before it to a file,
#                which the summary lists (default off)
#   OUT_ROOT     where the captures go (default profiles/local, which git ignores)
#   TRACE_SECONDS  length of the execution trace, may be a fraction like 0.5 (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

kind=${1:?usage: loop.sh exercises|solutions N}
n=${2:?usage: loop.sh exercises|solutions N}
TARGET="${kind%s}-$n"
need go "install Go 1.26 or later (https://go.dev/dl/)"
# The catalog is the kit's Go code's to read: scripts/lookup answers.
lookup=${OUT_ROOT:-profiles/local}/bin/lookup
go build -o "$lookup" ./scripts/lookup || die "cannot build scripts/lookup (see above)"
src=$("$lookup" folder "$kind" "$n") || exit 1 # it said why in one line
mapfile -t buildenv < <("$lookup" build "$n")
# The exercise's own settings (RATE, FLIGHT), unless the environment sets them.
while IFS='=' read -r k v; do
  [ -n "$k" ] && [ -z "${!k:-}" ] && printf -v "$k" '%s' "$v" && say "(exercise $n sets $k=$v; $k= overrides it)"
done < <("$lookup" loop "$n")
name=$(basename "$src")
[ -d "$src" ] || die "no folder $src"

conc=${CONCURRENCY:-100}
dur=$(seconds "${DURATION:-10s}")
port=${PORT:-8080}
dport=${DEBUG_PORT:-6060}
users=${USERS:-10000}
check_number CONCURRENCY "$conc" 1 10000
[ -z "${RATE:-}" ] || check_number RATE "$RATE" 1 100000
check_number PORT "$port" 1 65535
check_number DEBUG_PORT "$dport" 1 65535
check_number USERS "$users" 1 10000000
(( dur >= 4 )) || die "DURATION=${DURATION} is too short: the captures need at least 4s"
# Captures start 1 s into the load and must end before it does.
capture=$(( dur - 3 < 5 ? dur - 3 : 5 ))
tracesec=$(( dur - 2 - capture < 2 ? dur - 2 - capture : 2 ))
if [ -n "${TRACE_SECONDS:-}" ]; then
  [[ $TRACE_SECONDS =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v t="$TRACE_SECONDS" -v m="$tracesec" 'BEGIN { exit !(t > 0 && t <= m) }' ||
    die "TRACE_SECONDS=$TRACE_SECONDS must be a positive number of seconds, at most $tracesec at DURATION=${dur}s"
  tracesec=$TRACE_SECONDS
fi
maxtime=$(( capture + 15 )) # a capture that hangs this long means a hung server

need curl "install curl (apt-get install curl)"
need gcc "install gcc: SQLite is compiled with cgo (apt-get install gcc)"
out=${OUT_ROOT:-profiles/local}/$kind/$name
lock_folder "$out"
check_ports "$port" PORT "$dport" DEBUG_PORT
trap stop_all EXIT
trap 'echo; say "interrupted: stopping everything this loop started"; exit 130' INT TERM

app=http://localhost:$port
debug=http://localhost:$dport
find "$out/" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
mkdir -p "$out/bin"

say "== 1. Build and start $src =="
[ "$(env "${buildenv[@]}" go list -f '{{.Stale}}' github.com/mattn/go-sqlite3 2>/dev/null)" = false ] ||
  say "(this first build compiles SQLite's C code for the go-sqlite3 driver: it takes a minute or two, once)"
build=(go build)
[ ${#buildenv[@]} = 0 ] || build=(env "${buildenv[@]}" go build)
run "${build[@]}" -o "$out/bin/" "./$src" ./scripts/bodies ./scripts/summary ./scripts/openloop
run go tool -n hey >/dev/null # builds hey now, so the load does not wait for a compiler
flight=()
[ -z "${FLIGHT:-}" ] || flight=(-flight-slow "$FLIGHT")
start_server "$out/server.log" "$out" "bin/$name" -addr "localhost:$port" -debug-addr "localhost:$dport" -users "$users" -ready-file ready.json "${flight[@]}"
wait_ready "$out/ready.json" "$out/server.log"
say "ready: $app/users/42 (debug: $debug/debug/pprof/)"

say ""
say "== 2. One request: read the timing headers. Which step dominates? =="
run curl -sS -i "$app/users/42" | tee "$out/headers.txt"

say ""
say "== 3. Load: $conc concurrent for ${dur}s; captures while it runs =="
run curl -fsS -o "$out/vars-before.json" "$debug/debug/vars" # the program's own numbers, before the load
bg "$out/hey.txt" go tool hey -z "${dur}s" -c "$conc" "$app/users/42"
hey_pid=$BG_PID
bg "$out/bodies.txt" "$out/bin/bodies" -url "$app" -users "$users" -c 4 -duration "$(( dur - 1 ))s" -o "$out/bodies.json"
bodies_pid=$BG_PID
sleep 1
caps=()
bg "$out/cpu.log" curl -fsS --max-time "$maxtime" -o "$out/cpu.pprof" "$debug/debug/pprof/profile?seconds=$capture"; caps+=("$BG_PID")
bg "$out/fgprof.log" curl -fsS --max-time "$maxtime" -o "$out/fgprof.pprof" "$debug/debug/fgprof?seconds=$capture"; caps+=("$BG_PID")
bg "$out/block.log" curl -fsS --max-time "$maxtime" -o "$out/block.pprof" "$debug/debug/pprof/block?seconds=$capture"; caps+=("$BG_PID")
bg "$out/mutex.log" curl -fsS --max-time "$maxtime" -o "$out/mutex.pprof" "$debug/debug/pprof/mutex?seconds=$capture"; caps+=("$BG_PID")
bg "$out/allocs.log" curl -fsS --max-time "$maxtime" -o "$out/allocs.pprof" "$debug/debug/pprof/allocs?seconds=$capture"; caps+=("$BG_PID")
failed=0
for p in "${caps[@]}"; do wait "$p" || failed=1; done
kill -0 "$SERVER_PID" 2>/dev/null || server_died "$out/server.log"
run curl -fsS --max-time "$maxtime" -o "$out/trace.out" "$debug/debug/pprof/trace?seconds=$tracesec" || failed=1
wait "$hey_pid" || { kill -0 "$SERVER_PID" 2>/dev/null || server_died "$out/server.log"; cat "$out/hey.txt" >&2; die "go tool hey failed"; }
wait "$bodies_pid" || true
if [ $failed = 1 ]; then
  kill -0 "$SERVER_PID" 2>/dev/null || server_died "$out/server.log"
  cat "$out"/*.log >&2
  die "a capture failed (see above)"
fi
sleep 1 # the load is over: its connections' goroutines end
run curl -fsS -o "$out/vars-after.json" "$debug/debug/vars" || server_died "$out/server.log"
for prof in $("$lookup" profiles "$n"); do # goroutineleak for a program built with the goroutine leak profile
  run curl -fsS -o "$out/$prof.pprof" "$debug/debug/pprof/$prof" || die "no $prof profile (see above)"
done

if [ -n "${RATE:-}" ]; then
  say ""
  say "== 3b. Open-loop load: $RATE requests a second arriving for ${dur}s, whatever the answers =="
  orc=0
  run "$out/bin/openloop" -url "$app" -users "$users" -rate "$RATE" -duration "${dur}s" -o "$out/openloop.json" || orc=$?
  kill -0 "$SERVER_PID" 2>/dev/null || server_died "$out/server.log"
  [ "$orc" = 0 ] || [ "$orc" = 3 ] || die "the open-loop load failed (RATE=$RATE)"
fi

say ""
say "== 4. Stop the server (SIGTERM: graceful shutdown) =="
stop_server "$out/server.log"

say ""
say "== 5. Summary =="
rc=0
run "$out/bin/summary" -dir "$out" -name "$src" -c "$conc" -json "$out/summary.json" || rc=$?
exit $rc
