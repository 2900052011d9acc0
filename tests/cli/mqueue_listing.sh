#!/usr/bin/env bash
# Runs the POSIX message queue listing test (gtest PosixMqueueListing.*) with an mqueue
# filesystem mounted, so that it always runs for real, never skipped.
#
# Listing queues needs the mqueue filesystem (usually at /dev/mqueue), which is not mounted on
# every machine (CI included). Where it is missing, this script mounts one in a private mount
# namespace (unshare --mount --propagation private; we run as root): the mount is invisible to
# the rest of the machine and goes away with the namespace. If /dev/mqueue does not exist as a
# directory, the mount goes on a fresh directory under /tmp instead (the library finds it in
# /proc/mounts), which is removed afterwards.
#
# Asserts: the gtest ran, passed (1 test), was not skipped, and left no queue of its own behind.
set -euo pipefail

: "${IPCKIT_BUILD_DIR:?set by ctest: the build tree}"
tests=$IPCKIT_BUILD_DIR/tests/ipckit_tests

fail() {
  echo "mqueue_listing: $*" >&2
  exit 1
}

[ -x "$tests" ] || fail "no test binary at $tests"
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$(dirname "$0")/ipc_cli/cannot_run_here.sh"
can_unshare_mount ||
  cannot_run_here "mounting an mqueue filesystem needs a private mount namespace, and this environment cannot make one"

out=$(mktemp)
mnt=""
cleanup() {
  rm -f "$out"
  if [ -n "$mnt" ]; then rmdir "$mnt" 2>/dev/null || true; fi
}
trap cleanup EXIT

if awk '$3 == "mqueue" { found = 1 } END { exit !found }' /proc/mounts; then
  mnt=""  # already mounted: the namespace inherits it, nothing to mount
elif [ -d /dev/mqueue ]; then
  mnt=""
  target=/dev/mqueue
else
  mnt=$(mktemp -d /tmp/ipckit-mqueue-XXXXXX)
  target=$mnt
fi

# Inside the namespace: mount if needed, run the gtest, report its pid, exit code and what the
# mqueue filesystem holds afterwards.
# shellcheck disable=SC2016  # expanded by the inner shell
IPCKIT_TESTS=$tests TARGET=${target:-} unshare --mount --propagation private bash -c '
  set -u
  if [ -n "$TARGET" ]; then
    mount -t mqueue none "$TARGET" || { echo "@@ mount-failed"; exit 1; }
  fi
  dir=$(awk '\''$3 == "mqueue" { print $2; exit }'\'' /proc/mounts)
  echo "@@ mqueue-dir $dir"
  "$IPCKIT_TESTS" --gtest_filter="PosixMqueueListing.*" --gtest_color=no &
  pid=$!
  wait "$pid" && rc=0 || rc=$?
  echo "@@ gtest-pid $pid"
  echo "@@ gtest-rc $rc"
  ls -A "$dir" | sed "s/^/@@ queue /"
' >"$out" 2>&1 || true

show() { grep -v '^@@' "$out" >&2 || true; }

grep -q '^@@ mount-failed' "$out" && fail "mount -t mqueue none ${target:-} failed"
dir=$(sed -n 's/^@@ mqueue-dir //p' "$out")
[ -n "$dir" ] || { show; fail "no mqueue filesystem in the namespace's /proc/mounts"; }
echo "ok: mqueue filesystem mounted at $dir in the test's mount namespace"

rc=$(sed -n 's/^@@ gtest-rc //p' "$out")
[ "$rc" = 0 ] || { show; fail "the listing gtest exited with status '${rc:-none}'"; }
grep -qF '[ RUN      ] PosixMqueueListing.ListsAQueueWithItsMessageCountBytesAndMode' "$out" ||
  { show; fail "the listing gtest did not run"; }
if grep -qF '[  SKIPPED ]' "$out"; then
  show
  fail "the listing gtest was skipped although the mqueue filesystem is mounted"
fi
grep -qF '[  PASSED  ] 1 test.' "$out" || { show; fail "expected '[  PASSED  ] 1 test.'"; }
echo "ok: PosixMqueueListing ran with the filesystem mounted and passed (not skipped)"

gtest_pid=$(sed -n 's/^@@ gtest-pid //p' "$out")
left=$(sed -n "s/^@@ queue //p" "$out" | grep "^ipckit-test-$gtest_pid-" || true)
[ -z "$left" ] || fail "queues left behind by the listing gtest (pid $gtest_pid): $left"
echo "ok: no queue of the listing gtest (pid $gtest_pid) left behind"
