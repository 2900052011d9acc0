#!/usr/bin/env bash
# `ipckit rm`: removal by id, key and name; nothing removed unless the whole command line
# parses; `--stale` lists only, `--yes` removes, and an object that any process holds is never
# removed. Tests run in parallel as root on a shared machine, so every --stale run here is
# narrowed with --name (unique, pid-suffixed names) or runs in a private IPC namespace.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "rm_cli: FAIL: $*" >&2
  exit 1
}
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"

# Run in a private PID namespace with its own /proc: --stale refuses to judge POSIX objects while
# some process cannot be read (here, as root, pid 1 of an outer sandbox can be unreadable), and
# in here every process is ours. /dev/shm stays the machine's: names are pid-suffixed.
if [ "${IPCKIT_RM_CLI_INNER:-}" != 1 ]; then
  # shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
  . "$(dirname "$0")/ipc_cli/cannot_run_here.sh"
  can_unshare_pid_proc ||
    cannot_run_here "rm --stale needs a private PID namespace with its own /proc (unshare --pid --fork --mount-proc), and this environment cannot make one"
  exec env IPCKIT_RM_CLI_INNER=1 unshare --pid --fork --mount-proc bash "$0"
fi

prefix=ipckit-test-$PPID-$$-rm
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-rm-cli.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  rm -f /dev/shm/"$prefix"-* /dev/shm/sem."$prefix"-*
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

exists() { [ -e "/dev/shm/$1" ]; }

# Nothing is removed when one OBJECT does not parse.
"$IPCKIT" shm create "$prefix-a" --size 4K
set +e
"$IPCKIT" rm "posix-shm:/$prefix-a" "bogus:1" 2>"$work/err"
code=$?
set -e
[ "$code" = 1 ] || fail "bad OBJECT: exit $code"
grep -q "invalid object 'bogus:1'" "$work/err" || fail "bad OBJECT message: $(cat "$work/err")"
exists "$prefix-a" || fail "removed although the command line did not parse"
for bad in "sysv-shm:x" "sysv-shm-key:0" "posix-shm:" "posix-shm-key:0x1" "unix:/x" "noseparator"; do
  if "$IPCKIT" rm "$bad" 2>/dev/null; then fail "rm $bad was accepted"; fi
done
if "$IPCKIT" rm 2>/dev/null; then fail "rm with nothing to remove succeeded"; fi

# By name.
"$IPCKIT" rm "posix-shm:/$prefix-a"
exists "$prefix-a" && fail "posix-shm:/NAME not removed"
set +e
"$IPCKIT" rm "posix-shm:/$prefix-a" 2>"$work/err"
code=$?
set -e
[ "$code" = 1 ] && grep -q "shm_unlink(/$prefix-a): No such file or directory" "$work/err" ||
  fail "removing a missing object: exit $code, $(cat "$work/err")"

# Names follow the library's rule and each kind's real limit (ipckit/posix/name.hpp): a 255-byte
# shared memory name is a name (here of nothing), a 252-byte semaphore name is not one.
long=$(printf "$prefix-%0$((255 - ${#prefix} - 1))d" 0)
set +e
"$IPCKIT" rm "posix-shm:/$long" 2>"$work/err"
code=$?
set -e
[ "$code" = 1 ] && grep -q "shm_unlink(/$long): No such file or directory" "$work/err" ||
  fail "255-byte shm name: exit $code, $(cat "$work/err")"
expect_usage "invalid object 'posix-sem:/${long:0:252}': 252 bytes after the '/', at most 251 for a named semaphore" \
  "$IPCKIT" rm "posix-sem:/${long:0:252}"
expect_usage "invalid object 'mqueue:/a/b': '/' is allowed only as the first character" \
  "$IPCKIT" rm "mqueue:/a/b"

# channel: refuses what is not a channel.
"$IPCKIT" shm create "$prefix-notchan" --size 8K
if "$IPCKIT" rm "channel:$prefix-notchan" 2>"$work/err"; then fail "removed a non-channel"; fi
grep -q "not removed" "$work/err" || fail "non-channel message: $(cat "$work/err")"
exists "$prefix-notchan" || fail "non-channel was removed"
"$IPCKIT" rm "posix-shm:/$prefix-notchan"

# --stale on POSIX objects and channels: held ones are never listed nor removed.
"$IPCKIT" shm create "$prefix-idle" --size 4K
"$IPCKIT" shm create "$prefix-held" --size 4K
"$IPCKIT" chan create "$prefix-chan" --capacity 16K
sleep 30 3<"/dev/shm/$prefix-held" &
pids+=("$!")
wait_exec "$!" sleep
out=$("$IPCKIT" rm --stale --name "*$prefix-*")
grep -q "^posix-shm:/$prefix-idle: " <<<"$out" || fail "idle object not listed as stale: $out"
grep -q "^channel:$prefix-chan: " <<<"$out" || fail "stale channel not listed: $out"
grep -q "held" <<<"$out" && fail "held object listed as stale: $out"
exists "$prefix-idle" && exists "$prefix-chan" || fail "--stale without --yes removed something"
out=$("$IPCKIT" rm --stale --yes --name "*$prefix-*")
grep -q "^removed posix-shm:/$prefix-idle" <<<"$out" || fail "--yes output: $out"
exists "$prefix-idle" && fail "--yes did not remove the idle object"
exists "$prefix-chan" && fail "--yes did not remove the stale channel"
exists "$prefix-held" || fail "--yes removed an object a process holds"
"$IPCKIT" rm "posix-shm:/$prefix-held"

# System V, in a private IPC namespace: a segment whose creator exited and that nobody attaches
# is stale; a channel segment a live process attaches is not. Removal by id and by key. With a
# private /dev/shm too: `--type channel` also takes POSIX channels, and other tests' channels
# that are stale for a moment (created, nobody attached yet) must not be removed.
unshare --ipc --mount bash -c '
  set -euo pipefail
  mount -t tmpfs ipckit-rm-cli /dev/shm
  ipckit=$1
  fail() { echo "rm_cli: FAIL: $*" >&2; exit 1; }
  "$ipckit" ipcmk -M 4096 >/dev/null
  orphan=$("$ipckit" ls --type sysv-shm --raw -o KEY | sed -n 2p)
  "$ipckit" chan create sysv:0x00beef01 --capacity 16K
  "$ipckit" chan recv sysv:0x00beef01 --timeout 30 >/dev/null &
  recv=$!
  trap "kill -9 $recv 2>/dev/null || true; wait 2>/dev/null || true" EXIT
  for _ in $(seq 300); do
    [ "$("$ipckit" ls --key 0x00beef01 --raw -o NATTCH | sed -n 2p)" = 1 ] && break
    sleep 0.1
  done
  out=$("$ipckit" rm --stale --type sysv-shm,channel)
  grep -q "(key $orphan)" <<<"$out" || fail "orphaned segment not listed: $out"
  grep -q "0x00beef01" <<<"$out" && fail "attached segment listed as stale: $out"
  "$ipckit" rm --stale --yes --type sysv-shm,channel >/dev/null
  [ "$("$ipckit" ls --type sysv-shm,channel --key 0x00beef01 --raw -o TYPE,KEY | sed -n "2,\$p")" = \
    "channel 0x00beef01" ] || fail "after --yes: $("$ipckit" ls --type sysv-shm,channel)"
  [ "$("$ipckit" ls --type sysv-shm --raw | wc -l)" = 1 ] ||
    fail "after --yes: $("$ipckit" ls --type sysv-shm)"
  id=$("$ipckit" ipcmk -S 2 | awk "{print \$NF}")
  "$ipckit" rm "sysv-sem:$id"
  "$ipckit" ipcmk -Q >/dev/null
  "$ipckit" rm "sysv-msg-key:$("$ipckit" ls --type sysv-msg --raw -o KEY | sed -n 2p)"
  [ "$("$ipckit" ls --type sysv-sem,sysv-msg --raw | wc -l)" = 1 ] || fail "sem/msg not removed"
' bash "$IPCKIT"

echo "rm_cli: ok"
