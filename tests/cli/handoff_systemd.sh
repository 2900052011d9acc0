#!/usr/bin/env bash
# contrib/systemd/ (docs/handoff.md "Signals and systemd"):
#   1. `systemd-analyze verify` accepts the socket, the daemon's service and a worker instance
#      without a single warning. It needs ExecStart='s binary: the units are copied to a temporary
#      directory with /usr/bin/ipckit replaced by the binary under test. A copy with an unknown
#      key must be reported, so a silent verify is not mistaken for a clean one.
#   2. `ipckit handoff serve` under systemd-socket-activate (Debian's systemd package) adopts the
#      activated socket (event=listening with its address), starting on the first connection as
#      systemd would, with contrib/handoff.toml as its config (pregreet off for speed), and a
#      client gets through to a worker process (the answer names the worker's pid, not the daemon's).
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=ipc_cli/cannot_run_here.sh
source "$here/ipc_cli/cannot_run_here.sh"
# shellcheck source=ipc_cli/waits.sh
source "$here/ipc_cli/waits.sh"

fail() {
  echo "handoff_systemd: FAIL: $*" >&2
  [ -f "${work:-}/serve.log" ] && sed 's/^/  serve.log: /' "$work/serve.log" >&2
  exit 1
}

command -v systemd-analyze >/dev/null || cannot_run_here "no systemd-analyze (Debian: systemd)"
command -v systemd-socket-activate >/dev/null ||
  cannot_run_here "no systemd-socket-activate (Debian: systemd)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-handoff-systemd.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. systemd-analyze verify -------------------------------------------------------------------
units="$work/units"
mkdir "$units"
for unit in "$IPCKIT_SOURCE_DIR"/contrib/systemd/*; do
  sed "s|/usr/bin/ipckit|$IPCKIT|g" "$unit" >"$units/$(basename "$unit")"
done
# A template is verified through an instance.
cp "$units/ipckit-handoff-worker@.service" "$units/ipckit-handoff-worker@echo.service"

verify() {
  (cd "$units" && SYSTEMD_UNIT_PATH="$units:" timeout 60 systemd-analyze verify --man=no \
    ipckit-handoff.socket ipckit-handoff.service ipckit-handoff-worker@echo.service) \
    >"$work/verify.out" 2>&1
}
verify || fail "systemd-analyze verify failed: $(cat "$work/verify.out")"
[ ! -s "$work/verify.out" ] || fail "systemd-analyze verify warned: $(cat "$work/verify.out")"

echo "Bogus=1" >>"$units/ipckit-handoff.service"
verify || true
grep -q "Unknown key 'Bogus'" "$work/verify.out" ||
  fail "verify did not report an unknown key, so its silence proves nothing: $(cat "$work/verify.out")"

# --- 2. socket activation ------------------------------------------------------------------------
free_port() {
  python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# tcp_listening PORT: something listens on 127.0.0.1:PORT (/proc/net/tcp, state 0A).
tcp_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p="0100007F:$hex" '$2 == p && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

until_true() {
  local what=$1 _
  shift
  for _ in $(seq 300); do
    "$@" && return 0
    sleep 0.1
  done
  fail "$what: not within 30 s"
}

# A path, as in contrib/handoff.toml (whose control_mode applies to paths only).
control="$work/control.sock"
started=""
for _ in 1 2 3; do  # a free port can be taken by someone else before we bind it: try another
  port=$(free_port)
  systemd-socket-activate -l "127.0.0.1:$port" --fdname=smtp \
    "$IPCKIT" handoff serve --config "$IPCKIT_SOURCE_DIR/contrib/handoff.toml" \
    --control "$control" --pregreet-wait 0 --banner "" --busy-timeout 30000 \
    >"$work/serve.out" 2>"$work/serve.log" &
  activate_pid=$!
  for _ in $(seq 300); do
    if tcp_listening "$port"; then
      started=yes
      break
    fi
    kill -0 "$activate_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$started" ] && break
  wait "$activate_pid" 2>/dev/null || true
done
[ -n "$started" ] || fail "systemd-socket-activate did not listen: $(cat "$work/serve.log")"
pids+=("$activate_pid")

# The first connection starts the daemon (systemd-socket-activate execs it with LISTEN_FDS); the
# client waits in the daemon until a worker registers.
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
s.sendall(b"PID\r\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().strip() or "closed")
' "$port" >"$work/client.out" 2>&1 &
client_pid=$!
pids+=("$client_pid")

# daemon_listening: the daemon logged the activated socket (fails the test if it died instead).
daemon_listening() {
  kill -0 "$activate_pid" 2>/dev/null || fail "the daemon exited"
  grep -q "event=listening addr=127.0.0.1:$port\$" "$work/serve.log"
}
until_true "event=listening with the activated socket" daemon_listening
# The daemon is the process systemd-socket-activate exec'd: same pid.
grep -q "event=listening control=$control" "$work/serve.log" || fail "no control socket"

"$IPCKIT" handoff worker --control "$control" --echo >"$work/worker.out" 2>&1 &
worker_pid=$!
pids+=("$worker_pid")
finish "$client_pid"
[ "$rc" -eq 0 ] || fail "client failed: $(cat "$work/client.out")"
answer=$(cat "$work/client.out")
[ "$answer" = "pid $worker_pid" ] || fail "client got '$answer', expected 'pid $worker_pid'"
[ "$worker_pid" != "$activate_pid" ] || fail "the worker is the daemon?"

kill -TERM "$activate_pid"
finish "$activate_pid"
[ "$rc" -eq 0 ] || fail "the daemon exited $rc on SIGTERM"
grep -q 'event=stopped' "$work/serve.log" || fail "no event=stopped"

echo "handoff_systemd: ok"
