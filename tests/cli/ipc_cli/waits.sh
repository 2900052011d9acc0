# shellcheck shell=bash
# Waiting helpers for the CLI tests (sourced). Each waits with a generous deadline (30 s: a busy
# machine or a sanitizer build only makes it take longer) and calls the sourcing script's `fail`
# when it passes. IPCKIT names the binary under test.
#
#   wait_for CHANNEL ROLE [COUNT]  until COUNT (default 1) live participants of ROLE (producer,
#                                  consumer) are attached to CHANNEL
#   bound NAME                     true when a Unix socket is bound to NAME (/proc/net/unix)
#   wait_bound NAME                until a Unix socket is bound to NAME
#   finish PID                     waits for background PID (killed after 30 s); sets $rc to
#                                  its exit status

wait_for() {
  local _
  for _ in $(seq 300); do
    if timeout 10 "$IPCKIT" chan stat --json "$1" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
alive = [p for p in doc["participants"] if p["role"] == sys.argv[1] and p["alive"]]
sys.exit(0 if len(alive) >= int(sys.argv[2]) else 1)' "$2" "${3:-1}"; then
      return 0
    fi
    sleep 0.1
  done
  fail "$1: ${3:-1} $2(s) did not attach within 30 s"
}

bound() { awk -v n="$1" 'NR > 1 && $8 == n { found = 1 } END { exit !found }' /proc/net/unix; }

wait_bound() {
  local _
  for _ in $(seq 600); do
    bound "$1" && return 0
    sleep 0.05
  done
  fail "nothing bound to $1 within 30 s"
}

# shellcheck disable=SC2034  # rc is the caller's
finish() {
  local _
  for _ in $(seq 600); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$1" 2>/dev/null && { kill -9 "$1" 2>/dev/null || true; }
  rc=0
  wait "$1" || rc=$?
}
