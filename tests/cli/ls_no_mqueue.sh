#!/usr/bin/env bash
# `ipckit ls` where no mqueue filesystem is mounted: one line on stderr that says how to mount
# one, and the rest of the listing still prints. Where an mqueue filesystem is mounted, the test
# unmounts it in a private mount namespace (invisible to the rest of the machine); where none is
# mounted (a chroot, CI), it runs as it is.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "ls_no_mqueue: FAIL: $*" >&2
  exit 1
}
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$(dirname "$0")/ipc_cli/cannot_run_here.sh"

prefix=ipckit-test-$$-lsnomq
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-ls-no-mqueue.XXXXXX")
cleanup() {
  "$IPCKIT" shm rm "$prefix-shm" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

list='"$1" ls --type mqueue,posix-shm --name "/$2-shm" --raw -o TYPE,NAME 2>"$3/err"'
"$IPCKIT" shm create "$prefix-shm" --size 4K
if ! awk '$3 == "mqueue" { found = 1 } END { exit !found }' /proc/mounts; then
  out=$(sh -c "$list" sh "$IPCKIT" "$prefix" "$work")
elif can_unshare_mount; then
  out=$(unshare --mount --propagation private sh -c '
    awk "\$3 == \"mqueue\" { print \$2 }" /proc/mounts | while read -r m; do umount "$m"; done
    '"$list" sh "$IPCKIT" "$prefix" "$work")
else
  cannot_run_here "an mqueue filesystem is mounted, and hiding it needs a private mount namespace"
fi
[ "$(sed -n 2p <<<"$out")" = "posix-shm /$prefix-shm" ] || fail "listing without mqueue fs: $out"
# (a line about processes that could not be read may come too: pid 1 of an outer sandbox)
[ "$(grep -vc "could not be read" "$work/err")" = 1 ] || fail "expected one stderr line, got: $(cat "$work/err")"
grep -q "mount -t mqueue" "$work/err" || fail "the mqueue line does not say how to mount: $(cat "$work/err")"
echo "ls_no_mqueue: ok: $(grep -v "could not be read" "$work/err")"
