#!/usr/bin/env bash
# `ipckit handoff` end to end (issue 12): a daemon and echo workers as separate processes; a
# Python client and socat get their echo from a worker process whose pid the reply names (not
# the daemon's); the SMTP worker serves Python's smtplib behind the daemon's "220-" pregreet
# banner; 1,000 concurrent clients all complete, and afterwards the daemon and the workers hold
# exactly the descriptors they held before (docs/handoff.md).
set -euo pipefail

test_name=handoff_e2e
# shellcheck source=tests/cli/handoff/common.sh
. "$(dirname "$0")/handoff/common.sh"

command -v socat >/dev/null || cannot_run_here "socat is not installed"

# --- A daemon and two echo workers ------------------------------------------------------------
cat >"$work/e2e.toml" <<'TOML'
[workers]
busy_timeout_ms = 30000
TOML
start_daemon "$work/daemon.log" --config "$work/e2e.toml"
start_worker "$work/w1.log" --echo
w1=$worker_pid
start_worker "$work/w2.log" --echo
w2=$worker_pid
ok "daemon $daemon_pid on port $port, echo workers $w1 and $w2"

is_worker() { [ "$1" = "$w1" ] || [ "$1" = "$w2" ]; }

# --- A Python client: the echo comes from a worker, which names its pid ------------------------
out=$(client talk "$port" --line "hello from python") || fail "python client: $out"
pid=$(json_get "$out" 'd["pid"]')
is_worker "$pid" || fail "the reply names pid $pid, not a worker ($w1, $w2; daemon $daemon_pid): $out"
ok "python client: echo from worker pid $pid ($(json_get "$out" 'd["lines"]'))"

# --- socat: the same through a client that is not ours ---------------------------------------
reply=$(printf 'hello from socat\r\nPID\r\n' | timeout 30 socat -t 20 -T 20 - "TCP:127.0.0.1:$port") ||
  fail "socat exited with $?: $reply"
grep -qF 'hello from socat' <<<"$reply" || fail "socat got no echo: $reply"
pid=$(grep -oiE '\bpid[=: ]+[0-9]+' <<<"$reply" | grep -oE '[0-9]+$' | head -n 1) ||
  fail "socat: the reply names no pid: $reply"
is_worker "$pid" || fail "socat: the reply names pid $pid, not a worker: $reply"
ok "socat: echo from worker pid $pid"

# The daemon counted both as handed off; neither was left in flight.
wait_stat "two clients handed off, none in flight" 'd["handed_off"] >= 2 and d["in_flight"] == 0'

# --- 1,000 concurrent clients, no descriptor leaked -------------------------------------------
settled() {
  stat_holds 'd["in_flight"] == 0 and d["waiting"] == 0 and d["screening"] == 0 and
              all(w["active"] == 0 and w["in_flight"] == 0 for w in d["workers"])'
}
wait_until "the daemon did not settle before the load" settled
before_daemon=$(fd_count "$daemon_pid")
before_w1=$(fd_count "$w1")
before_w2=$(fd_count "$w2")
handed_before=$(stat_get 'd["handed_off"]')
load=$(timeout 120 "$python" "$handoff_dir/load.py" "$port" --clients 1000 --timeout 60) ||
  fail "load: not every client got its echo: $load"
ok "load: $load"
[ "$(json_get "$load" 'd["max_open"]')" -ge 500 ] ||
  fail "load: the clients were not concurrent: $load"
wait_stat "1000 more handoffs" "d['handed_off'] >= $handed_before + 1000"
wait_until "the daemon did not settle after the load" settled
wait_fds "daemon after the load" "$daemon_pid" "$before_daemon"
wait_fds "worker 1 after the load" "$w1" "$before_w1"
wait_fds "worker 2 after the load" "$w2" "$before_w2"
ok "descriptors after the load: daemon $before_daemon, workers $before_w1 and $before_w2, as before"
[ "$(stat_get 'sum(d["rejected"].values())')" -eq 0 ] || fail "clients were rejected: $(stats_json)"

# --- SMTP: Python's smtplib through the daemon's pregreet banner ------------------------------
kill -TERM "$daemon_pid"
new_control
start_daemon "$work/smtp-daemon.log" --banner "220-mx.test ESMTP ipckit handoff" \
  --pregreet-wait 300
start_worker "$work/smtp.log" --smtp
smtp_worker=$worker_pid
timeout 60 "$python" - "$port" "$smtp_worker" "$daemon_pid" <<'PY' || fail "smtplib session failed"
import re, smtplib, sys
port, worker, daemon = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = smtplib.SMTP(timeout=20)
code, greeting = s.connect("127.0.0.1", port)
greeting = greeting.decode()
assert code == 220, (code, greeting)
assert "mx.test ESMTP ipckit handoff" in greeting, greeting  # the daemon's 220- line
pids = [int(p) for p in re.findall(r"pid[=: ]+(\d+)", greeting, re.I)]
assert worker in pids and daemon not in pids, (greeting, worker, daemon)
code, _ = s.ehlo("client.test")
assert code == 250, code
refused = s.sendmail("alice@client.test", ["bob@mx.test"],
                     "From: alice@client.test\r\nSubject: handoff\r\n\r\nhello\r\n")
assert refused == {}, refused
code, _ = s.quit()
assert code == 221, code
print("ok: smtplib: greeting %r, mail accepted by worker pid %d" % (greeting, worker))
PY
wait_stat "the SMTP client went through the pregreet screen" \
  'd["handed_off"] >= 1 and d["rejected"].get("pregreet", 0) == 0'
echo "handoff_e2e: all passed"
