# Shared by the loop's scripts (loop.sh): printing, checks, and cleanup of
# every process the loop starts. Source it; it runs nothing by itself.
# Everything else (make check-N, compare-N, bench, profiles) is Go, in
# scripts/measure.

# say prints a line of the script's own narration.
say() { printf '%s\n' "$*"; }

# die prints one line to stderr and exits; the EXIT trap cleans up.
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# quote prints its arguments as a shell would need them typed.
quote() {
  local out=() a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  printf '%s' "${out[*]}"
}

# run prints a command to stderr, then runs it in the foreground. The
# printed line stays on the terminal when the command's output is
# redirected to a file.
run() { printf '$ %s\n' "$(quote "$@")" >&2; "$@" 9>&-; }

# PIDS holds every background process a script started.
PIDS=()

# bg OUT CMD... prints "$ CMD > OUT 2>&1 &", runs CMD in the background
# with its output in OUT, and sets BG_PID. CMD runs in a session of its
# own: Ctrl-C on the terminal reaches this script only, which then stops
# each process once, in order (a server that got SIGINT from the terminal
# and then SIGTERM from the script would take the second signal as "stop
# now" and skip its graceful shutdown).
bg() {
  local out=$1; shift
  printf '$ %s > %s 2>&1 &\n' "$(quote "$@")" "$out" >&2
  setsid "$@" >"$out" 2>&1 9>&- & # fd 9 is the folder's lock: the script's alone
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# stop_all ends every background process and everything it started (go
# tool hey runs hey as a child of the go command): SIGTERM to each one's
# process group, except a server stop_server has already signalled (a
# second signal would cut its graceful shutdown short), then SIGKILL to
# whatever is left after 15 s (a server whose requests do not end within
# its -shutdown-timeout, 10 s by default, is killed then). It is the EXIT
# trap, where errexit still holds: hence every "|| true". A second Ctrl-C
# does not cut it short.
stop_all() {
  trap '' INT TERM
  local p live=()
  for p in "${PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || continue
    live+=("$p")
    [ "$p" = "${STOPPING:-}" ] && continue
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
  done
  local deadline=$((SECONDS + 15))
  while [ ${#live[@]} -gt 0 ] && [ $SECONDS -lt $deadline ]; do
    local any=0
    for p in "${live[@]}"; do kill -0 "$p" 2>/dev/null && any=1 || true; done
    [ $any = 0 ] && break
    sleep 0.1
  done
  for p in "${live[@]}"; do
    kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  PIDS=()
}

# need TOOL HINT dies with HINT when TOOL is missing.
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed: $2"; }

# port_busy PORT succeeds when something answers on localhost:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# check_ports PORT VAR [PORT VAR ...] dies with one line naming every
# port that is taken and the variable that changes it.
check_ports() {
  local busy=() fix=()
  while [ $# -ge 2 ]; do
    if port_busy "$1"; then busy+=("$1"); fix+=("$2=$(( $1 + 1000 ))"); fi
    shift 2
  done
  [ ${#busy[@]} = 0 ] && return 0
  die "port ${busy[*]} busy (another server still running?); stop it, or pick other ports: make ${TARGET:-exercise-0} ${fix[*]}"
}

# check_number NAME VALUE MIN MAX dies unless VALUE is a whole number in
# MIN..MAX, written without leading zeros (bash and Go would read 010 as
# octal).
check_number() {
  [[ $2 =~ ^[1-9][0-9]{0,8}$ ]] && (( $2 >= $3 && $2 <= $4 )) || die "$1=$2 must be a whole number from $3 to $4"
}

# lock_folder DIR takes a lock on DIR for as long as the script runs, or
# dies with one line if another run holds it: two runs writing the same
# captures would spoil both.
lock_folder() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  flock -n 9 || die "another run is using $1 (make ${TARGET:-exercise-0} is already running?); wait for it, or set OUT_ROOT= to capture elsewhere"
}

# seconds D prints a duration such as 10s or 10 as whole seconds.
seconds() {
  local d=${1%s}
  [[ $d =~ ^[1-9][0-9]{0,5}$ ]] || die "duration '$1' must be whole seconds, like 10s"
  printf '%s' "$d"
}

# server_died LOG prints the last lines of a server's log and dies.
server_died() {
  say "the server exited unexpectedly; its last log lines ($1):" >&2
  tail -n 15 "$1" | sed 's/^/  | /' >&2
  die "server died"
}

# start_server LOG DIR BIN ARGS... starts a server in the background
# (SERVER_PID) with DIR as its working folder, so that the files a program
# writes (an audit log, a flags file) land beside its captures. BIN is a
# path from DIR. The server runs in a session of its own, as bg's do.
start_server() {
  local log=$1 dir=$2; shift 2
  printf '$ (cd %s && %s) > %s 2>&1 &\n' "$(quote "$dir")" "$(quote "$@")" "$log" >&2
  setsid bash -c 'cd -- "$0" && exec "$@"' "$dir" "$@" >"$log" 2>&1 9>&- &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

# wait_ready FILE LOG waits for the server to write its ready file
# (-ready-file: it serves, and no other program that took the port
# between the port check and the server's start), and dies with the
# server's last log lines if it exits first. It waits a minute, as the Go
# harness does (measure.ReadyTimeout): the first start seeds a database.
wait_ready() {
  local deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    [ -s "$1" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || server_died "$2"
    sleep 0.05
  done
  die "the server did not write $1 within 60 s (log: $2)"
}

# stop_server LOG sends SIGTERM (a graceful shutdown) and waits for it.
stop_server() {
  kill -0 "$SERVER_PID" 2>/dev/null || server_died "$1"
  STOPPING=$SERVER_PID
  run kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  [ $rc = 0 ] || { say "the server exited with status $rc; its last log lines ($1):" >&2; tail -n 15 "$1" | sed 's/^/  | /' >&2; return 1; }
}
