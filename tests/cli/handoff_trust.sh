#!/usr/bin/env bash
# Which daemon a worker and `handoff stats` trust (issue 12, docs/handoff.md "Wire protocol"):
# on an @abstract control name, which anyone can bind first, both refuse a daemon of another uid
# before sending anything, unless `--daemon-uid UID` names it. Here the daemon runs as uid 65534
# and the worker and stats as root.
set -euo pipefail

test_name=handoff_trust
# shellcheck source=tests/cli/handoff/common.sh
. "$(dirname "$0")/handoff/common.sh"

can_drop_privileges || cannot_run_here "running the daemon as another uid needs root and setpriv"

daemon_prefix=("${as_nobody[@]}")
start_daemon "$work/daemon.log" --allow-uid 0
[ "$(awk '/^Uid:/ {print $3}' "/proc/$daemon_pid/status")" = 65534 ] ||
  fail "the daemon does not run as uid 65534"

# --- Not trusted by default: refused before anything is sent -----------------------------------
rc=0
timeout 20 "$IPCKIT" handoff stats --control "$control" >"$work/stats.out" 2>"$work/stats.err" ||
  rc=$?
[ "$rc" -eq 1 ] || fail "stats of a uid-65534 daemon: exit $rc, expected 1: $(cat "$work/stats.err")"
grep -q '^ipckit: handoff stats: .*uid 65534.* not allowed' "$work/stats.err" ||
  fail "stats did not say why: $(cat "$work/stats.err")"
rc=0
timeout 30 "$IPCKIT" handoff worker --control "$control" --echo \
  >"$work/w0.out" 2>"$work/w0.err" || rc=$?
[ "$rc" -eq 1 ] || fail "worker against a uid-65534 daemon: exit $rc, expected 1: $(cat "$work/w0.err")"
grep -q 'uid 65534.* not allowed' "$work/w0.err" || fail "the worker did not say why: $(cat "$work/w0.err")"
log_has "$daemon_log" worker_registered && fail "a worker registered with an untrusted daemon"
ok "stats and worker refuse a daemon of uid 65534 by default"

# --- --daemon-uid trusts it ---------------------------------------------------------------------
stats_flags=(--daemon-uid 65534)
[ "$(stat_get 'len(d["workers"])')" -eq 0 ] || fail "stats with --daemon-uid 65534: $(stats_json)"
start_worker "$work/w1.log" --echo --daemon-uid 1 --daemon-uid 65534
out=$(client talk "$port" --line "hello") || fail "client: $out"
[ "$(json_get "$out" 'd["pid"]')" = "$worker_pid" ] || fail "not served by the worker: $out"
ok "--daemon-uid 65534: stats reads, the worker ($worker_pid) registers and serves"

# --- A bad uid is a usage error -------------------------------------------------------------
rc=0
"$IPCKIT" handoff worker --control "$control" --echo --daemon-uid root 2>"$work/bad.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--daemon-uid root: exit $rc, expected 2"
grep -qF "invalid uid 'root'" "$work/bad.err" || fail "--daemon-uid root: $(cat "$work/bad.err")"
ok "--daemon-uid root: exit 2"
