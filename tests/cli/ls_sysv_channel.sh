#!/usr/bin/env bash
# `ipckit ls` on channels made with a System V key: listed once, as a channel named sysv:0xKEY
# with its capacity and fill level (not as sysv-shm), found by `rm --stale` under that name;
# while a System V segment of channel size whose bytes are not a channel header (zeroes, the
# magic with a wrong capacity, random bytes) stays sysv-shm with no warning. Runs in a private
# IPC namespace (unshare --ipc): every segment dies with it.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "ls_sysv_channel: FAIL: $*" >&2
  exit 1
}
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"
unshare --ipc true 2>/dev/null || fail "unshare --ipc failed: this test needs root"

out=$(unshare --ipc bash -euo pipefail -c '
  k=$1
  "$k" chan create sysv:0xc4a1 --capacity 64K
  printf "hello" | "$k" chan send sysv:0xc4a1 >/dev/null
  "$k" shm create sysv:0xe001 --size 8K                     # zeroes
  "$k" shm create sysv:0xe002 --size 8K
  printf "IIPCKCH1\001\000\000\000\000\020\000\000\000\000\001\000\000\000\000\000" >magic
  "$k" shm write sysv:0xe002 --file magic                   # magic, capacity 2^40
  rm -f magic
  "$k" shm create sysv:0xe003 --size 12K
  head -c 12288 /dev/urandom | "$k" shm write sysv:0xe003 --file -
  echo "== all"
  # --type channel also lists POSIX channels: a parallel test may have just corrupted one of its
  # own on purpose, which makes ls warn and exit 1 (checked below: only such warnings pass).
  "$k" ls --type sysv-shm,channel --raw -o TYPE,NAME,KEY,SIZE,CAPACITY,USED,ATTACHED,STALE ||
    [ $? = 1 ]
  echo "== sysv-shm"
  "$k" ls --type sysv-shm --raw -o TYPE,KEY
  echo "== stale"
  "$k" rm --stale --type channel,sysv-shm --key 0xc4a1
' sh "$IPCKIT" 2>&1) || fail "commands failed: $out"

expect_line() {
  grep -qxF -- "$1" <<<"$out" || fail "missing line '$1' in:
$out"
}
# The fill level counts the record header (8 bytes) and the payload padded to 8.
expect_line "channel sysv:0x0000c4a1 0x0000c4a1 69632 65536 16 0 yes"
expect_line "sysv-shm - 0x0000e001 8192 - - - -"
expect_line "sysv-shm - 0x0000e002 8192 - - - -"
expect_line "sysv-shm - 0x0000e003 12288 - - - -"
[ "$(sed -n '/^== sysv-shm$/,/^== stale$/p' <<<"$out" | grep -c 0x0000c4a1)" = 0 ] ||
  fail "the channel is also listed as sysv-shm: $out"
expect_line "channel:sysv:0x0000c4a1 (key 0x0000c4a1): creator gone, nobody attached or mapping it"
# (a line about processes that could not be read may come: pid 1 of an outer sandbox)
! grep -v -e "could not be read" -e "ls: inspect channel(ipckit-test-" <<<"$out" |
  grep -q "^ipckit:" || fail "warnings: $out"

# Shmids are per IPC namespace: a process of another namespace that maps its own segment 0 is
# no holder of ours (nor does it keep our orphaned segment 0 from being stale).
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-ls-sysv-chan.XXXXXX")
other=
cleanup() {
  if [ -n "$other" ]; then
    kill -9 "$other" 2>/dev/null || true
    wait "$other" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
unshare --ipc bash -c '
  "$1" chan create sysv:0xc4a2 --capacity 16K
  exec "$1" chan recv sysv:0xc4a2 --timeout 60 >/dev/null' sh "$IPCKIT" &
other=$!
for _ in $(seq 300); do grep -q "SYSV0000c4a2" "/proc/$other/maps" 2>/dev/null && break; sleep 0.1; done
grep -q "SYSV0000c4a2" "/proc/$other/maps" || fail "the other namespace's receiver did not attach"
out=$(unshare --ipc bash -c '
  "$1" ipcmk -M 4096 >/dev/null
  "$1" ls --type sysv-shm --raw -o ID,NATTCH,NHOLDERS 2>/dev/null | sed -n 2p' sh "$IPCKIT")
[ "$out" = "0 0 0" ] || fail "a mapping in another IPC namespace counted as a holder: $out"

echo "ls_sysv_channel: ok"
