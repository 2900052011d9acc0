#!/usr/bin/env bash
# The daemon never dies of SIGPIPE (issue 12, server.hpp): its log goes to a pipe whose reader
# has gone (every later log line is a write to a broken pipe), and clients reset their
# connections (SO_LINGER 0) while the daemon writes its banner and reject line to them; the
# daemon keeps serving throughout.
set -euo pipefail

test_name=handoff_sigpipe
# shellcheck source=tests/cli/handoff/common.sh
. "$(dirname "$0")/handoff/common.sh"

# --- The log pipe breaks after the two listening lines ----------------------------------------
mkfifo "$work/log.fifo"
head -n 2 <"$work/log.fifo" >"$work/head.log" &
reader=$!
track "$reader"
(
  close_session_fds
  exec "$IPCKIT" handoff serve --listen 127.0.0.1:0 --control "$control" \
    --banner "220-sigpipe test" --reject-line "554 go away" --deny 127.0.0.9 2>"$work/log.fifo"
) &
daemon_pid=$!
track "$daemon_pid"
wait_until "the log reader did not exit after the listening lines" exited "$reader"
line=$(grep -m1 'event=listening.*addr=' "$work/head.log") || fail "no listening line: $(cat "$work/head.log")"
port=$(sed -E 's/.* addr="?[^ "]*:([0-9]+)"?( .*)?$/\1/' <<<"$line")
[[ "$port" =~ ^[0-9]+$ ]] || fail "no port in the listening line: $line"
ok "daemon $daemon_pid on port $port; its log pipe has no reader now"

start_worker "$work/w.log" --echo  # logs worker_registered: a write to the broken pipe
out=$(client talk "$port" --line "still here" --banner "220-sigpipe") || fail "client: $out"
[ "$(json_get "$out" 'd["pid"]')" = "$worker_pid" ] || fail "not served by the worker: $out"
ok "the daemon logged into a broken pipe and still serves"

# --- Clients that reset while the daemon writes to them ---------------------------------------
"$python" - "$port" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
for source in ["127.0.0.1"] * 50 + ["127.0.0.9"] * 50:  # banner, then reject line
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST
PY
wait_stat "the resets were not all counted" 'd["accepted"] >= 101'
kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon died"
out=$(client talk "$port" --line "after the resets" --banner "220-sigpipe") || fail "client: $out"
ok "100 resetting clients later the daemon serves ($(stat_get 'd["accepted"]') accepted)"
