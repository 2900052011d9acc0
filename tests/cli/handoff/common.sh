# shellcheck shell=bash
# Shared by tests/cli/handoff_*.sh (sourced). The sourcing script names itself in `test_name`
# before sourcing. Gives a scratch directory, a unique abstract control name, process tracking
# with cleanup on EXIT, and bounded waits (30 s: a busy machine only makes them slower).
#
#   work                           scratch directory (removed on exit)
#   control                        a unique abstract control address "@ipckit-test-handoff-PID-N"
#   new_control                    sets `control` to a fresh unique name
#   fail MESSAGE                   prints "TEST: FAIL: MESSAGE" (+ the daemon log) and exits 1
#   track PID                      killed (SIGCONT, SIGKILL) and reaped on exit
#   wait_until DESC COMMAND...     until COMMAND succeeds (30 s), else fail "DESC"
#   start_daemon LOG ARGS...       `handoff serve --listen 127.0.0.1:0 --control $control ARGS`,
#                                  stderr to LOG; sets daemon_pid and port (from the
#                                  `event=listening addr=` line)
#   start_worker LOG ARGS...       `handoff worker --control $control ARGS` (e.g. --echo); waits
#                                  until the daemon lists it; sets worker_pid
#   stats_json                     `handoff stats --control $control --json`
#   stat_get EXPR                      a Python expression over the stats object `d`, printed
#   wait_stat DESC EXPR            until the Python condition EXPR over `d` holds
#   fd_count PID                   entries of /proc/PID/fd
#   wait_fds DESC PID COUNT        until PID has exactly COUNT descriptors open
#   log_count LOG EVENT            how many `event=EVENT` lines LOG has
#   wait_log LOG EVENT [COUNT]     until LOG has at least COUNT (default 1) such lines
#   client ARGS...                 tests/cli/handoff/client.py ARGS (see its --help)
#   "$python"                      the python3 to run (stdlib only)

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${test_name:?set test_name before sourcing common.sh}"

handoff_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The system's python3 when there is one: a version manager's shim on PATH (pyenv) costs a
# second or more per start on a loaded machine, and these tests start Python a hundred times.
python=python3
if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; fi
# cannot_run_here, cannot_run_part, as_nobody, can_drop_privileges.
# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$handoff_dir/../ipc_cli/expect.sh"
"$IPCKIT" handoff --help >/dev/null 2>&1 ||
  cannot_run_here "this ipckit has no 'handoff' command (built from a tree without it)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-$test_name.XXXXXX")
chmod 0755 "$work"
tracked=()
control_counter=0
daemon_log=
# What runs the daemon (e.g. "${as_nobody[@]}") and extra flags of `handoff stats`; empty: none.
daemon_prefix=()
stats_flags=()

new_control() {
  control_counter=$((control_counter + 1))
  control="@ipckit-test-handoff-$$-$control_counter"
}
new_control

track() { tracked+=("$1"); }

handoff_cleanup() {
  local pid
  {
    for pid in "${tracked[@]}"; do
      kill -CONT "$pid" || true
      kill -9 "$pid" || true
    done
    for pid in "${tracked[@]}"; do wait "$pid" || true; done
  } 2>/dev/null
  rm -rf "$work"
}
trap handoff_cleanup EXIT

fail() {
  echo "$test_name: FAIL: $*" >&2
  if [ -n "$daemon_log" ] && [ -f "$daemon_log" ]; then
    echo "--- last lines of the daemon log ($daemon_log):" >&2
    tail -n 30 "$daemon_log" >&2
  fi
  exit 1
}

ok() { echo "ok: $*"; }

wait_until() {
  local desc=$1 deadline=$((SECONDS + 30))
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  "$@" >/dev/null 2>&1 && return 0
  fail "$desc (not within 30 s)"
}

log_count() {
  local n
  n=$(grep -c "event=$2\b" "$1" 2>/dev/null) || true
  echo "${n:-0}"
}

log_has() { [ "$(log_count "$1" "$2")" -ge "${3:-1}" ]; }

wait_log() { wait_until "no ${3:-1} event=$2 line(s) in $1" log_has "$1" "$2" "${3:-1}"; }

# listening_or_gone LOG: the daemon logged its listening address, or it is gone (no use waiting).
listening_or_gone() {
  grep -q 'event=listening.*addr=' "$1" && return 0
  ! kill -0 "$daemon_pid" 2>/dev/null
}

start_daemon() {
  local log=$1 line
  shift
  daemon_log=$log
  (
    close_session_fds
    exec ${daemon_prefix[@]+"${daemon_prefix[@]}"} \
      "$IPCKIT" handoff serve --listen 127.0.0.1:0 --control "$control" "$@" 2>"$log"
  ) &
  daemon_pid=$!
  track "$daemon_pid"
  wait_until "the daemon did not log event=listening" listening_or_gone "$log"
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited at start: $(cat "$log")"
  line=$(grep -m1 'event=listening.*addr=' "$log")
  port=$(sed -E 's/.* addr="?[^ "]*:([0-9]+)"?( .*)?$/\1/' <<<"$line")
  [[ "$port" =~ ^[0-9]+$ ]] || fail "no port in the listening line: $line"
}

stats_json() {
  timeout 20 "$IPCKIT" handoff stats --control "$control" ${stats_flags[@]+"${stats_flags[@]}"} --json
}

stat_get() {
  stats_json | "$python" -c 'import json, sys
d = json.load(sys.stdin)
print(eval("(" + sys.argv[1] + ")"))' "$1"
}

stat_holds() {
  stats_json | "$python" -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1"
}

wait_stat() { wait_until "$1 (stats: $2)" stat_holds "$2"; }

start_worker() {
  local log=$1
  shift
  (
    close_session_fds
    exec "$IPCKIT" handoff worker --control "$control" "$@" >"$log.stdout" 2>"$log"
  ) &
  worker_pid=$!
  track "$worker_pid"
  wait_stat "worker $worker_pid did not register" \
    "any(w['pid'] == $worker_pid for w in d['workers'])"
}

fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

fds_are() { [ "$(fd_count "$1")" -eq "$2" ]; }

wait_fds() {
  wait_until "$1: pid $2 has $(fd_count "$2") descriptors open, expected $3" fds_are "$2" "$3"
}

client() { timeout 60 "$python" "$handoff_dir/client.py" "$@"; }

# json_get JSON EXPR: a Python expression over the object `d` parsed from JSON.
json_get() {
  "$python" -c 'import json, sys
d = json.loads(sys.argv[1])
print(eval(sys.argv[2]))' "$1" "$2"
}

# Sessions: a client.py session fed from a fifo, for connections a test keeps open.
#   open_session NAME [client.py ARGS]   connects (to $port); fails unless it connected
#   session_say NAME LINE                sends LINE
#   session_saw NAME TEXT                true when the session printed a line containing TEXT
#   session_expect NAME TEXT             until the session printed a line containing TEXT
#   close_session NAME                   closes its stdin: the client closes the connection
# Processes started with start_daemon/start_worker/open_session do not inherit the fifos.
declare -A session_fd=()
# In a child about to exec: closes the write ends of the sessions' fifos, which must stay with
# this shell alone (a session ends when its fifo has no writer left).
close_session_fds() {
  local f
  for f in "${session_fd[@]}"; do eval "exec $f>&-"; done
}
open_session() {
  local name=$1 fd
  shift
  mkfifo "$work/$name.in"
  (
    close_session_fds
    exec "$python" "$handoff_dir/client.py" session "$port" "$@" <"$work/$name.in" >"$work/$name.out" 2>&1
  ) &
  track $!
  exec {fd}>"$work/$name.in"
  session_fd[$name]=$fd
  wait_until "session $name did not connect: $(cat "$work/$name.out")" \
    grep -q '^CONNECTED' "$work/$name.out"
}
session_say() { echo "$2" >&"${session_fd[$1]}"; }
session_saw() { grep -qF -- "$2" "$work/$1.out"; }
session_expect() {
  wait_until "session $1 did not print '$2': $(cat "$work/$1.out")" session_saw "$1" "$2"
}
close_session() {
  local fd=${session_fd[$1]}
  exec {fd}>&-
  unset "session_fd[$1]"
}

# exited PID: true once PID has ended (gone, or a zombie waiting to be reaped).
exited() { [ ! -e "/proc/$1" ] || grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null; }
