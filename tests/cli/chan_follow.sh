#!/usr/bin/env bash
# `ipckit chan recv --follow`, a collector across producers, and the pipeline contract without it
# (docs/cli.md, "End of stream"):
#   1. --follow: a sender that finishes, a sender killed with SIGKILL mid-stream, then a third:
#      every line of all three arrives, stderr has one line per producer end or death (the
#      killed one named by pid), and SIGTERM ends the follower with status 0;
#   2. --follow --timeout: no message for the timeout is exit 4;
#   3. without --follow, a sender killed with SIGKILL ends the receiver with exit 3 and nothing of
#      the sender started after it, whether the receiver noticed the death first or not.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "chan_follow: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (JSON)"

prefix=ipckit-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-chan-follow.XXXXXX")
pids=()
cleanup() {
  exec 3>&- 2>/dev/null || true
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  for chan in "$prefix-follow" "$prefix-pipe"; do
    "$IPCKIT" chan rm "$chan" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

# wait_until WHAT COMMAND...: polls COMMAND until it succeeds (10 s at most).
wait_until() {
  local what=$1 deadline=$((SECONDS + 10))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$what did not happen within 10 s"
    sleep 0.05
  done
}
# consumer_attached CHANNEL: a live consumer is attached.
consumer_attached() {
  "$IPCKIT" chan stat --json "$1" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
sys.exit(0 if any(p["role"] == "consumer" and p["alive"] for p in doc["participants"]) else 1)'
}
lines_in() { # lines_in FILE N: FILE has at least N lines
  [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}
# killed_sender CHANNEL LINE: starts a sender fed by a FIFO on descriptor 3, sends LINE, and sets
# `sender` to its pid. The caller kills it.
killed_sender() {
  rm -f "$work/in"
  mkfifo "$work/in"
  "$IPCKIT" chan send --lines "$1" <"$work/in" &
  sender=$!
  pids+=("$sender")
  exec 3>"$work/in"
  echo "$2" >&3
}

# --- 1. --follow across three senders, one killed ----------------------------------------------
chan=$prefix-follow
"$IPCKIT" chan create "$chan" --capacity 64K
"$IPCKIT" chan recv --follow --lines "$chan" "$work/out" 2>"$work/err" &
follower=$!
pids+=("$follower")
wait_until "the follower attaching" consumer_attached "$chan"

printf 'one\ntwo\n' | timeout 30 "$IPCKIT" chan send --lines "$chan"
wait_until "the first sender's end reported" lines_in "$work/err" 1

killed_sender "$chan" three
wait_until "'three' received" lines_in "$work/out" 3
kill -9 "$sender"
wait "$sender" 2>/dev/null || true
exec 3>&-
wait_until "the killed sender reported" lines_in "$work/err" 2

printf 'four\n' | timeout 30 "$IPCKIT" chan send --lines "$chan"
wait_until "'four' received and the third sender's end reported" \
  eval 'lines_in "$work/out" 4 && lines_in "$work/err" 3'

kill -TERM "$follower"
rc=0
wait "$follower" || rc=$?
[ "$rc" -eq 0 ] || fail "the follower exited with $rc on SIGTERM, expected 0; stderr: $(cat "$work/err")"
[ "$(cat "$work/out")" = "$(printf 'one\ntwo\nthree\nfour')" ] ||
  fail "the follower wrote: $(cat "$work/out")"
[ "$(wc -l <"$work/err")" -eq 3 ] || fail "expected three lines on stderr, got: $(cat "$work/err")"
sed -n 1p "$work/err" | grep -Eqx 'ipckit: chan recv: (producer [0-9]+|a producer) ended' ||
  fail "first stderr line: $(sed -n 1p "$work/err")"
sed -n 2p "$work/err" | grep -qx "ipckit: chan recv: producer $sender died" ||
  fail "second stderr line: $(sed -n 2p "$work/err") (the killed sender was $sender)"
sed -n 3p "$work/err" | grep -Eqx 'ipckit: chan recv: (producer [0-9]+|a producer) ended' ||
  fail "third stderr line: $(sed -n 3p "$work/err")"
echo "ok: --follow received every line, reported 2 ends and 1 death, exited 0 on SIGTERM"

# --- 2. --follow --timeout ---------------------------------------------------------------------
expect 4 "chan recv: recv\\($chan\\): no message for 0.3 s" \
  "$IPCKIT" chan recv --follow "$chan" --timeout 0.3

# --- 3. Without --follow: the death ends the stream, whatever the next sender does ---------------
chan=$prefix-pipe
"$IPCKIT" chan create "$chan" --capacity 64K
rc=0
"$IPCKIT" chan recv --lines "$chan" "$work/pipe-out" 2>"$work/pipe-err" &
receiver=$!
pids+=("$receiver")
wait_until "the receiver attaching" consumer_attached "$chan"
killed_sender "$chan" first
wait_until "'first' received" lines_in "$work/pipe-out" 1
kill -9 "$sender"
wait "$sender" 2>/dev/null || true
exec 3>&-
# At once: this sender may attach before or after the receiver notices the death.
printf 'second\n' | timeout 30 "$IPCKIT" chan send --lines "$chan"
wait "$receiver" || rc=$?
[ "$rc" -eq 3 ] || fail "the receiver exited with $rc, expected 3; stderr: $(cat "$work/pipe-err")"
[ "$(cat "$work/pipe-out")" = first ] || fail "the receiver wrote: $(cat "$work/pipe-out")"
grep -qx 'ipckit: chan recv: recv(.*): a producer died: the stream may be incomplete' \
  "$work/pipe-err" || fail "receiver stderr: $(cat "$work/pipe-err")"
echo "ok: without --follow the death ends the stream (exit 3) before the next sender's line"
