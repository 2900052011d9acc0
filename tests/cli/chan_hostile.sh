#!/usr/bin/env bash
# A channel's file truncated under `ipckit chan recv` and `chan send` (by anyone allowed to write
# it, or by the receiver itself writing to it): each ends with exit 1 and one line saying the
# segment was truncated, never with a signal (docs/channel.md, "Hostile peers").
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "chan_hostile: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (JSON checks)"

prefix=ipckit-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-chan-hostile.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  # Truncated channels are no longer channels (`chan rm` refuses them): remove the files.
  rm -f "/dev/shm/$prefix"-{recv,send,self}
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

# shellcheck source=tests/cli/ipc_cli/waits.sh
. "$(dirname "$0")/ipc_cli/waits.sh"

# check_exit PID NAME CODE PATTERN: the background command PID exited with CODE (not a signal)
# and printed one line on stderr ($work/NAME.err) matching PATTERN.
check_exit() {
  local rc=0
  wait "$1" || rc=$?
  [ "$rc" -eq "$3" ] || fail "$2 exited with $rc, expected $3; stderr: $(cat "$work/$2.err")"
  [ "$(wc -l <"$work/$2.err")" -eq 1 ] || fail "$2: expected one line on stderr, got:
$(cat "$work/$2.err")"
  grep -Eq "^ipckit: $4" "$work/$2.err" || fail "$2: stderr does not match '$4': $(cat "$work/$2.err")"
  echo "ok: $2 -> $3: $(cat "$work/$2.err")"
}

truncated='segment truncated while in use'

# --- A waiting receiver: the whole file goes --------------------------------------------------
"$IPCKIT" chan create "$prefix-recv" --capacity 64K
timeout 30 "$IPCKIT" chan recv "$prefix-recv" "$work/out" 2>"$work/recv.err" &
pid=$!
pids+=("$pid")
wait_for "$prefix-recv" consumer
truncate -s 0 "/dev/shm/$prefix-recv"
check_exit "$pid" recv 1 "chan recv: recv\\($prefix-recv\\): .*$truncated"

# --- An attached sender: the ring goes, the header stays ------------------------------------------
"$IPCKIT" chan create "$prefix-send" --capacity 64K
mkfifo "$work/in"
timeout 30 "$IPCKIT" chan send "$prefix-send" --timeout 10 <"$work/in" 2>"$work/send.err" &
pid=$!
pids+=("$pid")
exec 3>"$work/in"
echo before >&3
wait_for "$prefix-send" producer
truncate -s 4096 "/dev/shm/$prefix-send"
echo after >&3
exec 3>&-
check_exit "$pid" send 1 "chan send: send\\($prefix-send\\): .*$truncated"

# --- A receiver writing into its own segment ---------------------------------------------------
"$IPCKIT" chan create "$prefix-self" --capacity 64K
echo message | "$IPCKIT" chan send "$prefix-self"
expect 1 "chan recv: recv\\($prefix-self\\): .*$truncated" \
  "$IPCKIT" chan recv "$prefix-self" "/dev/shm/$prefix-self" --timeout 10

echo "chan_hostile: all passed"
