#!/usr/bin/env bash
# The handoff verbs running (docs/handoff.md "Signals and systemd", "Exit codes"):
#   - `handoff serve` with a config file and flags over it, READY=1 then STOPPING=1 to
#     $NOTIFY_SOCKET; `handoff worker --echo` registers and serves a client (its pid, not the
#     daemon's);
#   - `handoff stats` prints every counter and the worker table, `--json` the reply;
#   - SIGHUP re-reads the file and re-applies the flags: a deny added to the file refuses the next
#     client with the reject line given as a flag; a broken file is logged and the running
#     configuration kept;
#   - a worker exits 0 on SIGTERM, closing the session it held; SIGTERM stops the daemon (exit 0),
#     and the worker still registered says the daemon went away and exits 3.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=ipc_cli/waits.sh
source "$here/ipc_cli/waits.sh"

fail() {
  echo "handoff_cli_live: FAIL: $*" >&2
  [ -f "${work:-}/serve.log" ] && sed 's/^/  serve.log: /' "$work/serve.log" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-handoff-live.XXXXXX")
control="@ipckit-test-handoff-$$-live"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# until_true TEXT COMMAND...: retries COMMAND for up to 30 s.
until_true() {
  local what=$1 _
  shift
  for _ in $(seq 300); do
    "$@" && return 0
    sleep 0.1
  done
  fail "$what: not within 30 s"
}

# The service manager's notification socket: every datagram becomes one line of notify.log.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
while True:
    data = s.recv(4096)
    with open(sys.argv[2], "a") as f:
        f.write(data.decode().replace("\n", " ") + "\n")
' "$work/notify.sock" "$work/notify.log" &
pids+=($!)
until_true "notify socket" test -e "$work/notify.log.ready"

cat >"$work/handoff.toml" <<EOF
listen = ["127.0.0.1:0"]
control = "$control"
[screen]
deny = ["192.0.2.0/24"]
EOF

NOTIFY_SOCKET="$work/notify.sock" "$IPCKIT" handoff serve --config "$work/handoff.toml" \
  --reject-line "554 go away" >"$work/serve.out" 2>"$work/serve.log" &
serve_pid=$!
pids+=("$serve_pid")
until_true "event=listening" grep -q 'event=listening addr=' "$work/serve.log"
port=$(sed -n 's/.*event=listening addr=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/serve.log" | head -1)
[ -n "$port" ] || fail "no port in the listening line"
until_true "READY=1" grep -q '^READY=1 STATUS=listening on 127.0.0.1:' "$work/notify.log"

"$IPCKIT" handoff worker --control "$control" --echo --name live-echo >"$work/worker.out" \
  2>"$work/worker.err" &
worker_pid=$!
pids+=("$worker_pid")
until_true "worker registered" grep -q "^registered worker=1 daemon_pid=$serve_pid pid=$worker_pid$" \
  "$work/worker.out"

# talk PORT LINE: connects, sends LINE, prints the first line of the answer (or "closed").
talk() {
  python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(sys.argv[2].encode() + b"\r\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().strip() or "closed")
' "$@"
}
answer=$(talk "$port" PID)
[ "$answer" = "pid $worker_pid" ] || fail "echo worker answered '$answer', expected 'pid $worker_pid'"

# stats: text and JSON.
"$IPCKIT" handoff stats --control "$control" >"$work/stats.txt" || fail "stats failed"
for label in "daemon pid:   $serve_pid" "accepted:     1" "handed off:   1" \
  "rejected:     0 (access 0, rate 0, concurrency 0, pregreet 0, busy 0, shutdown 0)" \
  "workers:      1 registered, 0 refused, 0 dropped" "reloads:      0"; do
  grep -qxF "$label" "$work/stats.txt" || fail "stats lacks '$label':
$(cat "$work/stats.txt")"
done
grep -Eq "^ +1 +live-echo +$worker_pid +[0-9]+ +64 +0 +[01] +1$" "$work/stats.txt" ||
  fail "no worker row: $(cat "$work/stats.txt")"
"$IPCKIT" handoff stats --control "$control" --json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
assert doc["op"] == "stats" and doc["handed_off"] == 1, doc
assert [w["name"] for w in doc["workers"]] == ["live-echo"], doc
' || fail "stats --json"

# SIGTERM to a worker holding a session: the session is shut down (its client sees the
# connection close) and the worker exits 0.
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"PID\r\n")
first = s.recv(4096).decode().strip()
with open(sys.argv[2], "w") as f:
    f.write(first + "\n")
while s.recv(4096):
    pass
with open(sys.argv[2], "a") as f:
    f.write("closed\n")
' "$port" "$work/held.out" &
held_pid=$!
pids+=("$held_pid")
until_true "held session answered" grep -qsx "pid $worker_pid" "$work/held.out"
kill -TERM "$worker_pid"
finish "$worker_pid"
[ "$rc" -eq 0 ] || fail "worker on SIGTERM exited $rc: $(cat "$work/worker.err")"
finish "$held_pid"
grep -qx closed "$work/held.out" || fail "the held client was not closed: $(cat "$work/held.out")"

# SIGHUP: the file now denies loopback; the flag's reject line still applies.
sed -i 's|deny = .*|deny = ["127.0.0.0/8"]|' "$work/handoff.toml"
kill -HUP "$serve_pid"
until_true "event=reload" grep -q 'event=reload' "$work/serve.log"
answer=$(talk "$port" PID)
[ "$answer" = "554 go away" ] || fail "after the reload a denied client got '$answer'"

# A broken file on SIGHUP: logged, and the running configuration (deny loopback) is kept.
echo 'deny = [' >>"$work/handoff.toml"
kill -HUP "$serve_pid"
until_true "event=reload_failed" grep -q 'event=reload_failed' "$work/serve.log"
grep 'event=reload_failed' "$work/serve.log" | grep -q "handoff.toml:" ||
  fail "reload_failed does not name the file and line"
answer=$(talk "$port" PID)
[ "$answer" = "554 go away" ] || fail "after a failed reload a client got '$answer'"

# A second worker, which outlives the daemon.
"$IPCKIT" handoff worker --control "$control" --smtp >"$work/worker2.out" 2>"$work/worker2.err" &
worker2_pid=$!
pids+=("$worker2_pid")
until_true "second worker registered" grep -q '^registered worker=2 ' "$work/worker2.out"

# SIGTERM: the daemon exits 0 and says STOPPING=1; the remaining worker exits 3.
kill -TERM "$serve_pid"
finish "$serve_pid"
[ "$rc" -eq 0 ] || fail "serve on SIGTERM exited $rc"
grep -q '^STOPPING=1$' "$work/notify.log" || fail "no STOPPING=1: $(cat "$work/notify.log")"
finish "$worker2_pid"
[ "$rc" -eq 3 ] || fail "worker after the daemon left exited $rc: $(cat "$work/worker2.err")"
grep -q '^ipckit: handoff worker: the daemon went away' "$work/worker2.err" ||
  fail "worker: $(cat "$work/worker2.err")"

echo "handoff_cli_live: ok"
