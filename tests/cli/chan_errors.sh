#!/usr/bin/env bash
# `ipckit chan` failures: each one exits with its documented code (docs/cli.md) and says why in
# one line naming the channel; nothing is created or removed by a command line that did not parse.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "chan_errors: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (JSON checks)"

prefix=ipckit-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-chan-errors.XXXXXX")
pids=()
cleanup() {
  # (in braces: the shell's "Killed" job reports go to /dev/null too)
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  for chan in "$prefix"-{a,b,perm,dead,deadsend,closed,idle,size,json,busy,long}; do
    "$IPCKIT" chan rm "$chan" >/dev/null 2>&1 || true
  done
  rm -f "/dev/shm/$prefix-foreign"
  rm -rf "$work"
}
trap cleanup EXIT

# expect, expect_usage: shared with the other CLI error tests.
# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

# shellcheck source=tests/cli/ipc_cli/waits.sh
. "$(dirname "$0")/ipc_cli/waits.sh"

exists() { [ -e "/dev/shm/$1" ]; }

# --- Missing channel, existing name ------------------------------------------------------------
expect 1 "chan recv: shm_open\\($prefix-missing\\): No such file or directory$" \
  "$IPCKIT" chan recv "$prefix-missing"
expect 1 "chan send: shm_open\\($prefix-missing\\): No such file or directory$" \
  "$IPCKIT" chan send "$prefix-missing"
expect 1 "chan stat: shm_open\\($prefix-missing\\): No such file or directory$" \
  "$IPCKIT" chan stat "$prefix-missing"
expect 1 "chan recv: shmget\\(key 0x7fff0001\\): No such file or directory$" \
  "$IPCKIT" chan recv sysv:0x7fff0001
[ ! -e "$work/never" ] || fail "setup: $work/never exists"
expect 1 ".*No such file or directory$" "$IPCKIT" chan recv "$prefix-missing" "$work/never"
[ ! -e "$work/never" ] || fail "recv of a missing channel created its output file"

"$IPCKIT" chan create "$prefix-a"
expect 1 "chan create: create channel\\($prefix-a\\): File exists$" \
  "$IPCKIT" chan create "$prefix-a"

# --- rm: refuses what is not a channel; removes nothing unless the command line parsed ----------
head -c 8192 /dev/zero >"/dev/shm/$prefix-foreign"
expect 1 "chan rm: open channel\\($prefix-foreign\\): not an ipckit channel.*not removed$" \
  "$IPCKIT" chan rm "$prefix-foreign"
exists "$prefix-foreign" || fail "chan rm removed a shared-memory object that is not a channel"
rm -f "/dev/shm/$prefix-foreign"

expect_usage "--bogus" "$IPCKIT" chan rm "$prefix-a" --bogus
expect_usage "not in range 0 to 1000000" "$IPCKIT" chan recv "$prefix-a" --poll-interval 5000000
expect_usage "invalid channel name 'sysv:nonsense'" "$IPCKIT" chan rm "$prefix-a" sysv:nonsense
expect_usage "invalid channel name 'a/b'" "$IPCKIT" chan rm "$prefix-a" a/b
expect_usage "invalid channel name 'sysv:0'" "$IPCKIT" chan rm "$prefix-a" sysv:0
exists "$prefix-a" || fail "chan rm removed a channel although its command line did not parse"
# One bad name among good ones: the others are still removed, and the exit status says 1.
"$IPCKIT" chan create "$prefix-b"
expect 1 "chan rm: shm_open\\($prefix-missing\\): No such file or directory$" \
  "$IPCKIT" chan rm "$prefix-a" "$prefix-missing" "$prefix-b"
if exists "$prefix-a" || exists "$prefix-b"; then fail "chan rm stopped at the first bad name"; fi

# --- Permission denied --------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  "$IPCKIT" chan create "$prefix-perm" --mode 0600
  expect 1 "chan send: shm_open\\($prefix-perm\\): Permission denied$" \
    setpriv --reuid 65534 --regid 65534 --clear-groups "$IPCKIT" chan send "$prefix-perm"
  "$IPCKIT" chan rm "$prefix-perm"
else
  cannot_run_part "permission denied (needs root and setpriv to act as another user)"
fi

# --- Dead peer: the receiver is killed while a sender streams -----------------------------------
chan=$prefix-dead
"$IPCKIT" chan create "$chan" --capacity 64K
# No `timeout` around this one: its pid must be ipckit's own, to SIGKILL it. The trap kills it if
# the test fails first.
"$IPCKIT" chan recv "$chan" >/dev/null &
pids+=($!)
receiver=$!
wait_for "$chan" consumer
(timeout 30 "$IPCKIT" chan send "$chan" </dev/zero 2>"$work/dead.err") &
pids+=($!)
sender=$!
wait_for "$chan" producer
killed_at=$(date +%s%N)
{ kill -9 "$receiver" && wait "$receiver"; } 2>/dev/null || true
rc=0
wait "$sender" || rc=$?
waited_ms=$((($(date +%s%N) - killed_at) / 1000000))
[ "$rc" -eq 3 ] || fail "chan send to a dead receiver exited $rc, expected 3: $(cat "$work/dead.err")"
[ "$waited_ms" -lt 5000 ] || fail "chan send took $waited_ms ms to notice its receiver died"
grep -q "^ipckit: chan send: send($chan): the channel is full and no consumer is left$" \
  "$work/dead.err" || fail "chan send to a dead receiver said: $(cat "$work/dead.err")"
echo "ok: chan send -> 3 within $waited_ms ms of the receiver's SIGKILL: $(cat "$work/dead.err")"
"$IPCKIT" chan rm "$chan"

# --- Dead peer: the sender is killed mid-stream: the receiver must not call that end of stream --
chan=$prefix-deadsend
"$IPCKIT" chan create "$chan" --capacity 64K
(
  rc=0
  timeout 30 "$IPCKIT" chan recv "$chan" >/dev/null 2>"$work/deadsend.err" || rc=$?
  echo "$rc" >"$work/deadsend.rc"
) &
pids+=($!)
recv_job=$!
wait_for "$chan" consumer
"$IPCKIT" chan send "$chan" </dev/zero 2>/dev/null &
pids+=($!)
sender=$!
wait_for "$chan" producer
{ kill -9 "$sender" && wait "$sender"; } 2>/dev/null || true
wait "$recv_job" || true
rc=$(cat "$work/deadsend.rc")
[ "$rc" -eq 3 ] || fail "chan recv after its sender was killed exited $rc, expected 3: $(cat "$work/deadsend.err")"
grep -q "^ipckit: chan recv: recv($chan): a producer died: the stream may be incomplete$" \
  "$work/deadsend.err" || fail "chan recv after its sender was killed said: $(cat "$work/deadsend.err")"
echo "ok: chan recv -> 3 when its sender is killed mid-stream: $(cat "$work/deadsend.err")"
"$IPCKIT" chan rm "$chan"

# --- A closed output: recv's stdout is a pipe nobody reads --------------------------------------
chan=$prefix-closed
"$IPCKIT" chan create "$chan"
( (rc=0; timeout 30 "$IPCKIT" chan recv "$chan" 2>"$work/closed.err" || rc=$?; echo $rc >"$work/closed.rc") |
  true) &
pids+=($!)
job=$!
wait_for "$chan" consumer # by now `true` has long exited: the pipe has no reader
echo hello | timeout 30 "$IPCKIT" chan send "$chan"
wait "$job" || true
[ "$(cat "$work/closed.rc")" = 3 ] ||
  fail "chan recv into a closed pipe exited $(cat "$work/closed.rc"), expected 3: $(cat "$work/closed.err")"
grep -q "^ipckit: chan recv: write(stdout): Broken pipe$" "$work/closed.err" ||
  fail "chan recv into a closed pipe said: $(cat "$work/closed.err")"
echo "ok: chan recv into a closed pipe -> 3: $(cat "$work/closed.err")"

# --- Timeout ----------------------------------------------------------------------------------
"$IPCKIT" chan create "$prefix-idle"
expect 4 "chan recv: recv\\($prefix-idle\\): no message for 0.2 s$" \
  "$IPCKIT" chan recv --timeout 0.2 "$prefix-idle"
"$IPCKIT" chan create "$prefix-long" --capacity 4K  # max message 1 KiB
# shellcheck disable=SC2016  # $0 and $1 are sh -c's own arguments
expect 4 "chan send: send\\($prefix-long\\): no room in the channel for 0.2 s$" \
  sh -c 'head -c 65536 /dev/zero | "$0" chan send --timeout 0.2 "$1"' "$IPCKIT" "$prefix-long"

# --- Messages too large, a busy single-consumer side --------------------------------------------
"$IPCKIT" chan rm "$prefix-long"  # full from the test above: start again empty
"$IPCKIT" chan create "$prefix-long" --capacity 4K
# shellcheck disable=SC2016  # $0 and $1 are sh -c's own arguments
expect 1 "chan send: send\\($prefix-long\\): line 2 is longer than the channel's maximum message of 1024 bytes$" \
  sh -c '{ echo short; head -c 2000 /dev/zero | tr "\\0" x; echo; } | "$0" chan send --lines "$1"' \
  "$IPCKIT" "$prefix-long"

"$IPCKIT" chan create "$prefix-busy"
"$IPCKIT" chan recv "$prefix-busy" >/dev/null &
pids+=($!)
wait_for "$prefix-busy" consumer
expect 1 "chan recv: attach receiver\\($prefix-busy\\): single-consumer channel already has a consumer \\(pid [0-9]+\\)$" \
  "$IPCKIT" chan recv "$prefix-busy"

# --- Sizes ------------------------------------------------------------------------------------
expect 1 "chan create: create channel\\($prefix-size\\): capacity must be a power of two from 4 KiB to 16 GiB$" \
  "$IPCKIT" chan create "$prefix-size" --capacity 3M
if exists "$prefix-size"; then fail "a channel was created with --capacity 3M"; fi
expect 1 ".*max message is larger than capacity / 4$" \
  "$IPCKIT" chan create "$prefix-size" --capacity 64K --max-message 32K
for bad in 1Q "" -1 1.5M 4KB 99999999999999999999 16777216T; do
  expect_usage "--capacity: invalid size '$bad'" "$IPCKIT" chan create "$prefix-size" --capacity "$bad"
done
expect_usage "--chunk: invalid size 'x'" "$IPCKIT" chan send "$prefix-idle" --chunk x
expect_usage "--mode: invalid mode '0999'" "$IPCKIT" chan create "$prefix-size" --mode 0999
if exists "$prefix-size"; then fail "a channel was created from a command line that did not parse"; fi

# --- stat --json -------------------------------------------------------------------------------
"$IPCKIT" chan create "$prefix-json" --capacity 64K --max-message 4K --multi-producer
"$IPCKIT" chan stat --json "$prefix-json" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
expect = {"name": sys.argv[1], "kind": "posix", "capacity": 65536, "max_message": 4096,
          "producers": "multi", "consumers": "single", "used": 0, "stale": True, "participants": []}
for key, value in expect.items():
    assert doc[key] == value and type(doc[key]) is type(value), f"{key}: {doc[key]!r} != {value!r}"
for key in ("head", "tail", "created_unix_ns"):
    assert type(doc[key]) is int, f"{key} is not an integer: {doc[key]!r}"
assert type(doc["fill_percent"]) is float, doc["fill_percent"]
assert type(doc["creator"]["pid"]) is int and doc["creator"]["alive"] is False, doc["creator"]
' "$prefix-json" || fail "chan stat --json: unexpected document"
echo "ok: chan stat --json is valid JSON with typed numbers"
