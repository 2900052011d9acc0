#!/usr/bin/env bash
# The tour's POSIX steps (shared memory, semaphores, message queues, FIFOs) pass every check,
# run fast, and leave nothing behind: no /dev/shm entry (objects or sem.* files), no message
# queue, no FIFO or directory under /tmp.
#
# They run in a private IPC namespace with an mqueue filesystem mounted in a private mount
# namespace (on a fresh directory under /tmp, removed afterwards): the message queue step then
# takes its "listing" branch, and whatever queue the steps left would show there. tour.sh runs
# the whole tour without the mount, which covers the other branch.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "posix_tour: FAIL: $*" >&2
  exit 1
}
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$(dirname "$0")/ipc_cli/cannot_run_here.sh"
unshare --ipc true 2>/dev/null || fail "unshare --ipc failed: this test needs root"
can_unshare_mount ||
  cannot_run_here "the POSIX steps need an mqueue filesystem mounted in a private mount namespace, and this environment cannot make one"

out=$(mktemp)
mnt=$(mktemp -d /tmp/ipckit-posix-tour-mqueue.XXXXXX)
trap 'rm -f "$out"; rmdir "$mnt" 2>/dev/null || true' EXIT

# The step numbers are positions in the sorted list: find ours by title.
steps=()
while read -r number title; do
  case $title in
    "POSIX shared memory:"* | "POSIX semaphores:"* | "POSIX message queues:"* | "FIFOs:"*)
      steps+=(--step "$number")
      ;;
  esac
done < <("$IPCKIT" tour --list)
[ "${#steps[@]}" -eq 8 ] || fail "expected 4 POSIX steps in 'ipckit tour --list', found: ${steps[*]}"

# shellcheck disable=SC2016  # expanded by the inner shell
MNT=$mnt unshare --ipc --mount --propagation private bash -c '
  mount -t mqueue none "$MNT" || { echo "@@ mount-failed"; exit 1; }
  start=$(date +%s%N)
  "$IPCKIT" tour "$@" &
  pid=$!
  wait "$pid" && rc=0 || rc=$?
  echo "@@ tour-ms $((($(date +%s%N) - start) / 1000000))"
  echo "@@ tour-pid $pid"
  echo "@@ tour-rc $rc"
  ls -A "$MNT" | sed "s/^/@@ queue /"
  umount "$MNT"
' bash "${steps[@]}" >"$out" 2>&1 || { cat "$out" >&2; fail "unshare bash failed"; }

grep -q '^@@ mount-failed' "$out" && fail "could not mount an mqueue filesystem"
rc=$(sed -n 's/^@@ tour-rc //p' "$out")
ms=$(sed -n 's/^@@ tour-ms //p' "$out")
pid=$(sed -n 's/^@@ tour-pid //p' "$out")
if [ "$rc" != 0 ] || grep -q '\[FAILED\]' "$out"; then
  grep -v '^@@' "$out" >&2
  fail "the POSIX tour steps exited $rc"
fi
echo "ok: the 4 POSIX tour steps passed in $ms ms"
[ "$ms" -lt 30000 ] || fail "the POSIX tour steps took $ms ms (they should take well under 1 s)"

expect() {
  grep -qF -- "$1" "$out" || {
    grep -v '^@@' "$out" >&2
    fail "the tour's output lacks: $1"
  }
}
expect "[ok] the child read \"Hello from POSIX shared memory!\" through its own mapping"
expect "[ok] the child's sem_wait returned once the parent posted, and took the count"
expect "[ok] highest priority first: urgent (9), normal (5), routine (1)"
expect "[ok] the fourth message on a 3-message queue fails with EAGAIN"
expect "QSIZE:24         NOTIFY:0     SIGNO:0     NOTIFY_PID:0"
expect "[ok] with no reader, a non-blocking writer's open fails with ENXIO"
expect "[ok] once the writer exited, read() returned 0: end of file"
echo "ok: the steps narrated what they showed, including the mqueue listing"

left=$(sed -n 's/^@@ queue //p' "$out")
[ -z "$left" ] || fail "message queues left behind in the tour's IPC namespace: $left"
names=$(find /dev/shm /tmp -maxdepth 1 \( -name "ipckit-tour-$pid-*" -o -name "sem.ipckit-tour-$pid-*" \) 2>/dev/null || true)
[ -z "$names" ] || fail "names left behind by the tour (pid $pid): $names"
echo "ok: nothing left in /dev/shm, the mqueue filesystem or /tmp"
