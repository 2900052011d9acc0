#!/usr/bin/env bash
# `ipckit handoff` screens and signals (issue 12, docs/handoff.md "Screens"): a denied CIDR is
# refused with the reject line; the per-address rate and concurrency limits; a pregreet talker
# dropped and never handed off; a cached client handed off at once, without banner or wait;
# SIGHUP changes the deny list without dropping an open connection; SIGTERM drains and exits 0.
# Clients tell themselves apart by source address: every 127.0.0.N is loopback on Linux.
set -euo pipefail

test_name=handoff_screens
# shellcheck source=tests/cli/handoff/common.sh
. "$(dirname "$0")/handoff/common.sh"

# expect_refused SOURCE REASON LINE: a client from SOURCE is closed without an echo, after LINE
# (the reject line) if LINE is not empty, and the daemon counts REASON.
expect_refused() {
  local source=$1 reason=$2 line=$3 before out
  before=$(stat_get "d['rejected'].get('$reason', 0)")
  out=$(client closed "$port" --source "$source") || fail "client from $source not closed: $out"
  if [ -n "$line" ]; then
    [ "$(json_get "$out" 'd["lines"]')" = "['$line']" ] ||
      fail "client from $source: expected only the line '$line', got: $out"
  fi
  wait_stat "no '$reason' rejection counted" "d['rejected'].get('$reason', 0) > $before"
  ok "$source refused ($reason): $out"
}

expect_echo() {
  local out
  out=$(client talk "$port" --source "$1" --line "$2") || fail "client from $1: $out"
}

# --- Access lists, rate and concurrency limits ------------------------------------------------
cat >"$work/limits.toml" <<'TOML'
[screen]
deny = ["127.0.0.2/32", "10.0.0.0/8"]
reject_line = "554 5.7.1 go away"
max_per_address = 2
[screen.rate]
connections = 4
per_seconds = 3600
TOML
start_daemon "$work/limits.log" --config "$work/limits.toml"
start_worker "$work/limits-worker.log" --echo
expect_echo 127.0.0.1 "allowed"
expect_refused 127.0.0.2 access "554 5.7.1 go away"
ok "denied CIDR refused, others served"

for i in 1 2 3 4; do expect_echo 127.0.0.3 "rate-$i"; done
expect_refused 127.0.0.3 rate "554 5.7.1 go away"
expect_echo 127.0.0.5 "another address has its own rate"
ok "rate: the 5th connection within the period refused"

open_session c1 --source 127.0.0.4
session_say c1 one
session_expect c1 one
open_session c2 --source 127.0.0.4
session_say c2 two
session_expect c2 two
expect_refused 127.0.0.4 concurrency "554 5.7.1 go away"
close_session c1
wait_stat "the closed client was not counted done" \
  'sum(w["active"] for w in d["workers"]) == 1'
expect_echo 127.0.0.4 "a slot came free"
close_session c2
ok "concurrency: a third client at once refused, served once one left"
kill -TERM "$daemon_pid"

# --- Pregreet and the pass cache --------------------------------------------------------------
new_control
cat >"$work/pregreet.toml" <<'TOML'
[screen.pregreet]
wait_ms = 300
banner = "220-mx.test pregreet"
[screen.cache]
ttl_seconds = 600
TOML
start_daemon "$work/pregreet.log" --config "$work/pregreet.toml"
start_worker "$work/pregreet-worker.log" --echo
# A talker: sends at once, before the wait ends. Dropped, never handed off.
out=$(client closed "$port" --source 127.0.0.6 --send "EHLO too.early") ||
  fail "pregreet talker not closed: $out"
json_get "$out" 'd["lines"]' | grep -q "too.early" && fail "the talker got an echo: $out"
wait_stat "pregreet drop not counted" \
  'd["rejected"].get("pregreet", 0) == 1 and d["handed_off"] == 0'
ok "pregreet talker dropped: $out"
# A patient client: waits for the banner, says nothing until the daemon handed it off.
open_session patient --source 127.0.0.7
session_say patient "!wait-banner 220-mx.test pregreet"
session_expect patient "220-mx.test pregreet"
wait_stat "the patient client was not handed off" 'd["handed_off"] == 1'
session_say patient "patient"
session_expect patient "patient"
close_session patient
# The same address again: in the pass cache, handed off at once, no banner: talking at once is
# fine (without the cache it would be dropped as a talker).
out=$(client talk "$port" --source 127.0.0.7 --line "cached") || fail "cached client: $out"
json_get "$out" 'd["lines"]' | grep -q "220-" && fail "the cached client got the banner: $out"
wait_stat "no cache hit counted" 'd["cache_hits"] == 1 and d["rejected"].get("pregreet", 0) == 1'
ok "cached client handed off without banner or wait: $out"
# Another address is not in the cache: a talker from there is still dropped.
out=$(client closed "$port" --source 127.0.0.8 --send "EHLO early") || fail "talker: $out"
wait_stat "second talker not dropped" 'd["rejected"].get("pregreet", 0) == 2'
kill -TERM "$daemon_pid"

# --- SIGHUP: a new deny list; an open connection stays; SIGTERM drains and exits 0 -------------
new_control
cat >"$work/reload.toml" <<'TOML'
[screen]
reject_line = "554 5.7.1 denied"
TOML
start_daemon "$work/reload.log" --config "$work/reload.toml"
start_worker "$work/reload-worker.log" --echo
open_session held --source 127.0.0.9
session_say held "before reload"
session_expect held "before reload"
cat >"$work/reload.toml" <<'TOML'
[screen]
reject_line = "554 5.7.1 denied"
deny = ["127.0.0.9/32"]
TOML
kill -HUP "$daemon_pid"
wait_stat "the reload was not applied" 'd["reloads"] == 1'
log_has "$daemon_log" reload || fail "no event=reload line"
expect_refused 127.0.0.9 access "554 5.7.1 denied"
session_say held "after reload"
session_expect held "after reload"
expect_echo 127.0.0.10 "others still served"
ok "SIGHUP: new deny list applied, the open connection kept"

# A bad config on SIGHUP keeps the old rules.
echo 'this is = not toml [' >"$work/reload.toml"
kill -HUP "$daemon_pid"
wait_log "$daemon_log" reload_failed
expect_refused 127.0.0.9 access "554 5.7.1 denied"
expect_echo 127.0.0.10 "still served after a bad reload"
ok "SIGHUP with a bad file: reload_failed, old rules kept"

kill -TERM "$daemon_pid"
rc=0
wait_until "the daemon did not exit after SIGTERM" exited "$daemon_pid"
wait "$daemon_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "the daemon exited $rc after SIGTERM, expected 0"
log_has "$daemon_log" stopping || fail "no event=stopping line"
log_has "$daemon_log" stopped || fail "no event=stopped line"
out=$(client closed "$port" --source 127.0.0.10 2>&1) && fail "the port still accepts after exit: $out"
# The delivered client belongs to its worker: it outlives the daemon.
session_say held "after the daemon"
session_expect held "after the daemon"
ok "SIGTERM: exit 0, listener closed, a delivered client still served by its worker"
echo "handoff_screens: all passed"
