#!/usr/bin/env bash
# `ipckit sock` and `ipckit fd` against hostile neighbours (issue 10): a PATH.lock held or planted
# by another user makes listen/recv fail within the timeout naming the holder (and SIGTERM ends
# the wait), the lock file is private, datagram starters take the same lock, clients refuse a
# squatter on an abstract name before anything leaves (--allow-uid), and empty or malformed
# ids are usage errors (docs/cli.md, docs/unix-sockets.md).
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "sock_guard: FAIL: $*" >&2
  exit 1
}

prefix=ipckit-guard-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-sock-guard.XXXXXX")
chmod 0755 "$work"
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do pkill -9 -P "$pid" || true; kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  rm -f /tmp/"$prefix"-*
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$(dirname "$0")/ipc_cli/cannot_run_here.sh"

# expect, expect_usage, as_nobody, can_drop_privileges: shared with the other CLI error tests.
# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

# shellcheck source=tests/cli/ipc_cli/waits.sh
. "$(dirname "$0")/ipc_cli/waits.sh"

# --- Ids: empty or malformed is a usage error, never uid 0 ------------------------------------------
for id in "" " " "-1" "abc" "0x1" "4294967295"; do
  expect_usage "invalid uid '$id'" "$IPCKIT" fd recv "@$prefix-id" --allow-uid "$id" --timeout 0.2
  expect_usage "invalid gid '$id'" "$IPCKIT" sock listen "@$prefix-id" --allow-gid "$id" --timeout 0.2
done
expect_usage "invalid uid ''" "$IPCKIT" sock recv "@$prefix-id" --allow-uid "" --timeout 0.2
expect_usage "invalid uid ''" "$IPCKIT" sock send "@$prefix-id" --allow-uid "" hi
expect_usage "invalid gid ''" "$IPCKIT" sock connect "@$prefix-id" --allow-gid ""
expect_usage "invalid uid ''" "$IPCKIT" fd send "@$prefix-id" --allow-uid "" /etc/hostname
# A datagram sender has no peer credentials to check: --allow-* there is refused, not ignored.
expect_usage "datagram socket has no peer credentials" \
  "$IPCKIT" sock send --type dgram --allow-uid 0 "@$prefix-id" hi
expect_usage "datagram socket has no peer credentials" \
  "$IPCKIT" sock connect --type dgram --allow-any "@$prefix-id"

# --- The lock file is private, and datagram starters take it too --------------------------------
path=/tmp/$prefix-priv.sock
"$IPCKIT" sock listen "$path" --timeout 10 </dev/null >/dev/null 2>"$work/l.err" &
lpid=$!
pids+=("$lpid")
wait_bound "$path"
[ "$(stat -c %a "$path.lock")" = 600 ] || fail "lock file mode is $(stat -c %a "$path.lock"), expected 600"
[ "$(stat -c %u "$path.lock")" = "$(id -u)" ] || fail "lock file not owned by the binder"
# A datagram starter on the live stream listener's path finds it alive.
expect 1 "sock recv: bind\($path\): a live process is bound to $path\$" \
  "$IPCKIT" sock recv --type dgram "$path" --timeout 0.2
kill -TERM "$lpid"
finish "$lpid"
[ ! -e "$path" ] && [ ! -e "$path.lock" ] || fail "listen left $path or its .lock behind"
echo "ok: the lock file is 0600 and the binder's; a datagram starter respects a live listener"

if ! can_drop_privileges; then
  cannot_run_part "hostile users (needs root and setpriv)"
  exit 0
fi

# --- Another user cannot hold our lock file ---------------------------------------------------------
path=/tmp/$prefix-mine.sock
"$IPCKIT" sock listen "$path" --timeout 10 </dev/null >/dev/null 2>"$work/l.err" &
lpid=$!
pids+=("$lpid")
wait_bound "$path"
rc=0
timeout 10 "${as_nobody[@]}" flock -n "$path.lock" true 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "uid 65534 could take the listener's lock"
kill -TERM "$lpid"
finish "$lpid"
echo "ok: uid 65534 cannot open, so cannot hold, a listener's lock file"

# --- A lock held by someone else: an error within the timeout, naming the holder -----------------
# uid 65534 plants PATH.lock in the sticky /tmp and holds it. Root may use another user's lock
# file, but waits no longer than --timeout.
hold_lock() {  # hold_lock LOCKFILE: uid 65534 holds a flock on it until killed; sets $hpid
  rm -f "$1"
  # -o: the lock stays with flock itself (named as the holder), not with its sleep.
  "${as_nobody[@]}" flock -o "$1" sleep 120 </dev/null >/dev/null 2>&1 &
  hpid=$!
  pids+=("$hpid")
  local _
  for _ in $(seq 200); do
    [ -e "$1" ] && ! flock -n "$1" true 2>/dev/null && return 0
    sleep 0.05
  done
  fail "uid 65534 did not take $1 within 10 s"
}
path=/tmp/$prefix-held.sock
hold_lock "$path.lock"
holder="pid [0-9]+ \(flock\) uid 65534"
expect 4 "sock listen: flock\($path.lock\): lock file is held by $holder; gave up after 1 s\$" \
  "$IPCKIT" sock listen "$path" --timeout 1
expect 4 "sock recv: flock\($path.lock\): lock file is held by $holder; gave up after 0.5 s\$" \
  "$IPCKIT" sock recv --type dgram "$path" --timeout 0.5
expect 4 "fd recv: flock\($path.lock\): lock file is held by $holder; gave up after 0.5 s\$" \
  "$IPCKIT" fd recv "$path" --timeout 0.5
[ ! -e "$path" ] || fail "a starter bound $path without the lock"

# SIGTERM ends the wait at once (no --timeout: the default wait is 5 s): death by SIGTERM, quiet.
"$IPCKIT" sock listen "$path" </dev/null >/dev/null 2>"$work/l.err" &
lpid=$!
pids+=("$lpid")
sleep 0.5
kill -TERM "$lpid"
finish "$lpid"
[ "$rc" -eq 143 ] || fail "sock listen waiting for a held lock exited $rc after SIGTERM, expected 143: $(cat "$work/l.err")"
[ ! -s "$work/l.err" ] || fail "sock listen stopped by SIGTERM printed: $(cat "$work/l.err")"
echo "ok: SIGTERM ends a wait for a held lock (143, nothing printed)"

# A user other than root does not trust a lock file planted by another user: refused at once.
expect 1 "sock listen: open\($path.lock\): lock file is owned by uid 65534, not by uid 4242; refusing to use it\$" \
  setpriv --reuid 4242 --regid 4242 --clear-groups "$IPCKIT" sock listen "$path" --timeout 10
{ pkill -9 -P "$hpid" || true; kill -9 "$hpid" || true; wait "$hpid" || true; } 2>/dev/null
rm -f "$path.lock"

# --- Probe errors are one clean line ---------------------------------------------------------------
path=/tmp/$prefix-private.sock
python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen()
time.sleep(30)' "$path" &
ppid=$!
pids+=("$ppid")
wait_bound "$path"
expect 1 "sock listen: connect\($path\): cannot probe the existing socket file: Permission denied\$" \
  "${as_nobody[@]}" "$IPCKIT" sock listen "$path" --timeout 1
[ ! -e "$path.lock" ] || fail "the failed starter left $path.lock"
{ kill -9 "$ppid" || true; wait "$ppid" || true; } 2>/dev/null
rm -f "$path"

# --- Clients refuse a squatter before anything leaves --------------------------------------------
printf 'root only\n' >"$work/secret"
chmod 0600 "$work/secret"
addr=@$prefix-squat
"${as_nobody[@]}" "$IPCKIT" fd recv --allow-any "$addr" --timeout 10 >"$work/r.out" 2>"$work/r.err" </dev/null &
rpid=$!
pids+=("$rpid")
wait_bound "$addr"
expect 1 "fd send: connect\($addr\): peer pid $rpid uid 65534 gid 65534 is not allowed \(allowing uids \{0\} gids \{\}\)\$" \
  "$IPCKIT" fd send --allow-uid 0 "$addr" "$work/secret"
finish "$rpid"
[ "$rc" -eq 3 ] || fail "the squatter's fd recv exited $rc, expected 3 (no descriptor came): $(cat "$work/r.err")"
[ ! -s "$work/r.out" ] || fail "the squatter received: $(cat "$work/r.out")"
echo "ok: fd send --allow-uid 0 refused a uid-65534 squatter; no descriptor left"

for verb in send connect; do
  "${as_nobody[@]}" "$IPCKIT" sock recv --allow-any "$addr" --timeout 10 >"$work/r.out" 2>"$work/r.err" </dev/null &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
  if [ "$verb" = send ]; then
    expect 1 "sock send: connect\($addr\): peer pid $rpid uid 65534 gid 65534 is not allowed \(allowing uids \{0\} gids \{\}\)\$" \
      "$IPCKIT" sock send --allow-uid 0 "$addr" "secret"
  else
    expect 1 "sock connect: connect\($addr\): peer pid $rpid uid 65534 gid 65534 is not allowed \(allowing uids \{0\} gids \{\}\)\$" \
      sh -c 'echo secret | "$@"' sh "$IPCKIT" sock connect --allow-uid 0 "$addr"
  fi
  finish "$rpid"
  [ ! -s "$work/r.out" ] || fail "the squatter received '$(cat "$work/r.out")' from sock $verb"
done
echo "ok: sock send/connect --allow-uid 0 refused the squatter; nothing left"

# The allowed listener is served as before.
"${as_nobody[@]}" "$IPCKIT" fd recv --allow-uid 0 "$addr" --timeout 10 -- cat >"$work/r.out" 2>"$work/r.err" </dev/null &
rpid=$!
pids+=("$rpid")
wait_bound "$addr"
timeout 10 "$IPCKIT" fd send --allow-uid 65534 "$addr" "$work/secret" || fail "fd send --allow-uid 65534"
finish "$rpid"
[ "$rc" -eq 0 ] && [ "$(cat "$work/r.out")" = "root only" ] || fail "fd recv (allowed) exited $rc: $(cat "$work/r.err")"
echo "ok: fd send --allow-uid 65534 reached the listener it expected"

left=$(find /tmp -maxdepth 1 -name "$prefix-*" 2>/dev/null || true)
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left under /tmp"
