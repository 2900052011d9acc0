#!/usr/bin/env bash
# `ipckit handoff` faults (issue 12, docs/handoff.md "Delivery"): a worker SIGKILLed while it
# holds clients (the daemon keeps serving, the other worker gets the new clients, the daemon's
# descriptors come back to their count); every worker gone (clients get the busy line; a new
# worker brings service back); a worker of a uid outside the allow-list refused; a stopped
# worker (SIGSTOP) dropped after ack_timeout and its unacknowledged clients re-dispatched.
set -euo pipefail

test_name=handoff_faults
# shellcheck source=tests/cli/handoff/common.sh
. "$(dirname "$0")/handoff/common.sh"

cat >"$work/faults.toml" <<'TOML'
[workers]
dispatch = "round-robin"
ack_timeout_ms = 1000
busy_timeout_ms = 1000
busy_line = "421 4.3.2 no worker available, try again later"
TOML
# A path control socket open to everyone (mode 0666): a worker trusts a daemon behind a path
# (its permissions decide), so the uid check refusing the worker below is the daemon's.
control=$work/control.sock
start_daemon "$work/daemon.log" --config "$work/faults.toml" --control-mode 0666
start_worker "$work/w-survivor.log" --echo
survivor=$worker_pid
wait_until "the daemon did not settle" stat_holds 'd["in_flight"] == 0'
base_fds=$(fd_count "$daemon_pid")
start_worker "$work/w-victim.log" --echo
victim=$worker_pid
ok "daemon $daemon_pid (port $port, $base_fds fds with one worker), workers $survivor, $victim"

worker_holds() { stat_holds "any(w['pid'] == $1 and w['active'] >= $2 for w in d['workers'])"; }

# --- A worker SIGKILLed while holding clients -------------------------------------------------
for i in 1 2 3 4; do
  open_session "s$i"
  session_say "s$i" "before-$i"
  session_expect "s$i" "before-$i"
done
wait_until "round-robin did not give the victim 2 of 4 clients: $(stats_json)" worker_holds "$victim" 2
wait_until "round-robin did not give the survivor 2 of 4 clients" worker_holds "$survivor" 2
kill -9 "$victim"
wait_stat "the daemon did not drop the killed worker" \
  "d['workers_dropped'] >= 1 and all(w['pid'] != $victim for w in d['workers'])"
kill -0 "$daemon_pid" || fail "the daemon died with its worker"
# The survivor's two clients still echo; the victim's were closed by the kernel.
for i in 1 2 3 4; do session_say "s$i" "after-$i"; done
for i in 1 2 3 4; do
  wait_until "s$i neither echoed nor saw its connection end" \
    eval "session_saw s$i after-$i || session_saw s$i ERROR"
done
echoed=0
for i in 1 2 3 4; do session_saw "s$i" "after-$i" && echoed=$((echoed + 1)); done
[ "$echoed" -eq 2 ] || fail "$echoed of 4 held clients echo after the kill, expected the survivor's 2"
# New clients all go to the survivor.
for i in 1 2 3; do
  out=$(client talk "$port" --line "new-$i") || fail "client after the kill: $out"
  [ "$(json_get "$out" 'd["pid"]')" = "$survivor" ] || fail "not served by the survivor: $out"
done
for i in 1 2 3 4; do close_session "s$i"; done
wait_stat "the survivor did not finish its clients" \
  "d['in_flight'] == 0 and all(w['active'] == 0 for w in d['workers'])"
wait_fds "daemon after the SIGKILL of a worker" "$daemon_pid" "$base_fds"
ok "SIGKILLed worker: daemon kept serving, back to $base_fds descriptors"

# --- Every worker gone: the busy line; then a new worker brings service back ------------------
kill -9 "$survivor"
wait_stat "the daemon did not drop the last worker" 'len(d["workers"]) == 0'
out=$(client closed "$port") || fail "busy client was not closed: $out"
json_get "$out" 'd["lines"]' | grep -qF "421 4.3.2 no worker available" ||
  fail "no busy line for a client with no worker: $out"
wait_stat "busy rejection not counted" 'd["rejected"].get("busy", 0) >= 1'
start_worker "$work/w-new.log" --echo
newcomer=$worker_pid
out=$(client talk "$port" --line "back again") || fail "no service after a new worker came: $out"
[ "$(json_get "$out" 'd["pid"]')" = "$newcomer" ] || fail "not served by the new worker: $out"
ok "no worker: busy line; a new worker ($newcomer) serves again"

# --- A worker of a uid outside the allow-list is refused --------------------------------------
if can_drop_privileges; then
  refused_before=$(stat_get 'd["workers_refused"]')
  rc=0
  timeout 30 "${as_nobody[@]}" "$IPCKIT" handoff worker --control "$control" --echo \
    >"$work/nobody.out" 2>"$work/nobody.err" || rc=$?
  [ "$rc" -ne 0 ] || fail "a worker of uid 65534 ran (exit 0) against a root-only daemon"
  [ "$rc" -ne 124 ] || fail "a refused worker did not exit within 30 s"
  grep -q "^ipckit: .*65534" "$work/nobody.err" ||
    fail "the refused worker did not say why: $(cat "$work/nobody.err")"
  wait_stat "the daemon did not count the refusal" "d['workers_refused'] > $refused_before"
  log_has "$daemon_log" worker_refused || fail "no event=worker_refused line"
  [ "$(stat_get 'len(d["workers"])')" -eq 1 ] || fail "the refused worker is listed: $(stats_json)"
  ok "worker as uid 65534 refused (exit $rc: $(head -c 200 "$work/nobody.err"))"
else
  cannot_run_part "refusing a worker of another uid needs root and setpriv"
fi

# --- A stopped worker: dropped after ack_timeout, its clients re-dispatched -------------------
start_worker "$work/w-stopped.log" --echo
stopped=$worker_pid
kill -STOP "$stopped"
pids=()
for i in 1 2 3 4; do
  client talk "$port" --line "stalled-$i" >"$work/stalled-$i.json" &
  pids+=($!)
done
for i in 1 2 3 4; do
  wait "${pids[$((i - 1))]}" || fail "client $i behind a stopped worker failed: $(cat "$work/stalled-$i.json")"
  [ "$(json_get "$(cat "$work/stalled-$i.json")" 'd["pid"]')" = "$newcomer" ] ||
    fail "client $i was not served by the running worker: $(cat "$work/stalled-$i.json")"
done
wait_stat "nothing was re-dispatched from the stopped worker" 'd["redispatched"] >= 1'
wait_stat "the stopped worker was not dropped" \
  "all(w['pid'] != $stopped for w in d['workers'])"
log_has "$daemon_log" redispatched || fail "no event=redispatched line"
# Woken, it finds its connection closed (it may exit at once by itself); it served no one.
kill -CONT "$stopped"
kill -9 "$stopped" 2>/dev/null || true
wait_stat "the daemon did not settle" \
  "d['in_flight'] == 0 and d['waiting'] == 0 and all(w['active'] == 0 for w in d['workers'])"
wait_fds "daemon after the faults" "$daemon_pid" "$base_fds"
ok "stopped worker dropped after ack_timeout, $(stat_get 'd["redispatched"]') client(s) re-dispatched"
echo "handoff_faults: all passed"
