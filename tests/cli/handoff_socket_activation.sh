#!/usr/bin/env bash
# `ipckit handoff serve` under systemd-socket-activate (issue 12): the daemon takes its listening
# sockets from LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES (sd_listen_fds(3), docs/net.md) instead of
# --listen, logs their addresses, and serves clients on them, IPv4 and IPv6; the first client,
# whose connection made the launcher start the daemon, is served too. (handoff_systemd.sh runs the
# packaged units' single IPv4 socket; this one passes two sockets, IPv4 and IPv6, with names.)
set -euo pipefail

test_name=handoff_socket_activation
# shellcheck source=tests/cli/handoff/common.sh
. "$(dirname "$0")/handoff/common.sh"

command -v systemd-socket-activate >/dev/null ||
  cannot_run_here "systemd-socket-activate is not installed (Debian: systemd)"

have_ipv6() { grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; }

# systemd-socket-activate cannot bind port 0: pick a port free on both loopbacks, and try again
# if another process takes it first.
pick_port() {
  "$python" - "$1" <<'PY'
import socket, sys
for _ in range(50):
    s4 = socket.socket(); s4.bind(("127.0.0.1", 0)); port = s4.getsockname()[1]
    if sys.argv[1] == "v6":
        try:
            s6 = socket.socket(socket.AF_INET6); s6.bind(("::1", port)); s6.close()
        except OSError:
            continue
    print(port); break
PY
}

# launcher_listening PORT: the launcher said it listens on PORT, or it is gone.
launcher_listening() { grep -q "Listening on 127.0.0.1:$1" "$daemon_log" || exited "$launcher"; }

family=v4
have_ipv6 && family=v6
listen_args=()
started=false
for attempt in 1 2 3 4 5; do
  port=$(pick_port "$family")
  listen_args=(-l "127.0.0.1:$port")
  names=front
  if [ "$family" = v6 ]; then
    listen_args+=(-l "[::1]:$port")
    names=front:front6
  fi
  daemon_log=$work/daemon-$attempt.log
  systemd-socket-activate "${listen_args[@]}" --fdname="$names" \
    "$IPCKIT" handoff serve --control "$control" --busy-timeout 30000 2>"$daemon_log" &
  launcher=$!
  track "$launcher"

  wait_until "systemd-socket-activate did not start" launcher_listening "$port"
  if ! exited "$launcher"; then
    started=true
    break
  fi
  echo "attempt $attempt: port $port was taken: $(cat "$daemon_log")"
done
$started || fail "systemd-socket-activate could not listen"

# The first connection makes the launcher start the daemon; that client waits for a worker.
client talk "$port" --line "first client" >"$work/first.json" &
first=$!
track "$first"
wait_log "$daemon_log" listening 2
daemon_pid=$(stat_get 'd["daemon_pid"]')
grep -q "event=listening.* addr=127.0.0.1:$port" "$daemon_log" ||
  fail "no listening line for the passed IPv4 socket"
if [ "$family" = v6 ]; then
  grep -qF "addr=[::1]:$port" "$daemon_log" || fail "no listening line for the passed IPv6 socket"
fi
# It was not given --listen: the launcher exec'd it (same pid, LISTEN_PID) with its sockets.
[ "$daemon_pid" = "$launcher" ] || fail "daemon $daemon_pid is not the launcher $launcher exec'd"
start_worker "$work/worker.log" --echo
wait "$first" || fail "the first client was not served: $(cat "$work/first.json")"
[ "$(json_get "$(cat "$work/first.json")" 'd["pid"]')" = "$worker_pid" ] ||
  fail "the first client was not served by the worker: $(cat "$work/first.json")"
ok "daemon $daemon_pid started by the first connection, served it through worker $worker_pid"

out=$(client talk "$port" --line "over IPv4") || fail "IPv4 client: $out"
if [ "$family" = v6 ]; then
  out=$(client talk "$port" --host ::1 --line "over IPv6") || fail "IPv6 client: $out"
  ok "served on the passed IPv6 socket too"
else
  ok "(no IPv6 loopback here: the IPv4 socket only)"
fi

kill -TERM "$daemon_pid"
wait_until "the daemon did not exit after SIGTERM" exited "$daemon_pid"
rc=0
wait "$launcher" || rc=$?
[ "$rc" -eq 0 ] || fail "the daemon (exec'd by the launcher) exited $rc, expected 0"
echo "handoff_socket_activation: all passed"
