# Shared by the scripts of the loop: printing, checks, and cleanup of every
# process a script starts. Source it; it runs nothing by itself.

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

# run prints a command, then runs it in the foreground.
run() { printf '$ %s\n' "$(quote "$@")"; "$@"; }

# PIDS holds every background process a script started.
PIDS=()

# bg OUT CMD... prints "$ CMD > OUT &", runs CMD in the background with its
# output in OUT, and sets BG_PID.
bg() {
  local out=$1; shift
  printf '$ %s > %s &\n' "$(quote "$@")" "$out"
  "$@" >"$out" 2>&1 &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

# stop_all ends every background process and its children (go tool hey
# runs hey as a child of the go command): TERM, then KILL after 5 s. It is
# the EXIT trap, where errexit still holds: hence every "|| true".
stop_all() {
  local p live=()
  for p in "${PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || continue
    live+=("$p")
    pkill -TERM -P "$p" 2>/dev/null || true
    kill -TERM "$p" 2>/dev/null || true
  done
  for _ in $(seq 50); do
    local any=0
    for p in "${live[@]}"; do kill -0 "$p" 2>/dev/null && any=1 || true; done
    [ $any = 0 ] && break
    sleep 0.1
  done
  for p in "${live[@]}"; do
    pkill -KILL -P "$p" 2>/dev/null || true
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  PIDS=()
}

# need TOOL HINT dies with HINT when TOOL is missing.
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed: $2"; }

# port_busy PORT succeeds when something answers on localhost:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# check_port PORT VAR dies with one line when PORT is taken.
check_port() {
  if port_busy "$1"; then
    die "port $1 is busy (another server still running?); stop it, or pick another port with $2=, e.g. make ${TARGET:-exercise-0} $2=$(( $1 + 1000 ))"
  fi
}

# catalog_slug N prints the slug of exercise N from exercises/catalog.tsv.
catalog_slug() {
  awk -F'\t' -v n="$1" '$1 == n && $0 !~ /^#/ { print $2; found=1 } END { exit !found }' exercises/catalog.tsv
}

# seconds D prints a duration such as 10s or 10 as whole seconds.
seconds() {
  local d=${1%s}
  [[ $d =~ ^[0-9]+$ ]] || die "duration '$1' must be whole seconds, like 10s"
  printf '%s' "$d"
}

# server_died LOG prints the last lines of a server's log and dies.
server_died() {
  say "the server exited unexpectedly; its last log lines ($1):" >&2
  tail -n 15 "$1" | sed 's/^/  | /' >&2
  die "server died"
}

# start_server LOG BIN ARGS... starts a server in the background (SERVER_PID).
start_server() {
  local log=$1; shift
  bg "$log" "$@"
  SERVER_PID=$BG_PID
}

# wait_ready URL LOG waits up to 20 s for URL to answer 200, and dies with
# the server's last log lines if it exits first.
wait_ready() {
  local i
  for i in $(seq 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || server_died "$2"
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the server did not answer $1 within 20 s (log: $2)"
}

# stop_server LOG sends SIGTERM (a graceful shutdown) and waits for it.
stop_server() {
  kill -0 "$SERVER_PID" 2>/dev/null || server_died "$1"
  run kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  [ $rc = 0 ] || { say "the server exited with status $rc; its last log lines ($1):" >&2; tail -n 15 "$1" | sed 's/^/  | /' >&2; return 1; }
}
