#!/usr/bin/env bash
# `ipckit ls`: every kind of object it lists shows up with its type, name and holders; the
# filters, columns and the three output modes; and usage errors (ls_no_mqueue.sh: an unmounted
# mqueue fs). System V parts run in a private IPC
# namespace (unshare --ipc), so other tests' objects never show up and none of ours leak.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "ls_cli: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (JSON checks)"
command -v unshare >/dev/null || fail "unshare (util-linux) is needed"

prefix=ipckit-test-$$-ls
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-ls-cli.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  "$IPCKIT" shm rm "$prefix-shm" >/dev/null 2>&1 || true
  "$IPCKIT" chan rm "$prefix-chan" >/dev/null 2>&1 || true
  rm -f "/dev/shm/mb-$prefix-nev" "/dev/shm/mb-$prefix-név-ůž"
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

# --help lists every column from the descriptor table.
help=$("$IPCKIT" ls --help)
for col in TYPE NAME HOLDERS RSS SWAP PEER CAPACITY; do
  grep -q "^  $col " <<<"$help" || fail "--help does not list column $col"
done

# Usage errors: one line, the hint, exit 1, nothing printed on stdout.
for args in "--type bogus" "--output NOPE" "--user no-such-user-$$" "--key zz" "--json --raw"; do
  set +e
  # shellcheck disable=SC2086
  out=$("$IPCKIT" ls $args 2>"$work/err")
  code=$?
  set -e
  [ "$code" = 1 ] || fail "ls $args: exit $code, expected 1"
  [ -z "$out" ] || fail "ls $args printed on stdout"
  grep -q "for more information" "$work/err" || fail "ls $args: no --help hint"
done
grep -q "unknown type 'bogus'" <("$IPCKIT" ls --type bogus 2>&1 || true) ||
  fail "--type bogus: message does not name the type"

# POSIX shared memory, held by a background process through a descriptor.
"$IPCKIT" shm create "$prefix-shm" --size 8K
sleep 30 3<"/dev/shm/$prefix-shm" &
holder=$!
pids+=("$holder")
wait_exec "$holder" sleep
row=$("$IPCKIT" ls --type posix-shm --name "/$prefix-shm" --raw -o TYPE,NAME,SIZE,PERMS,NHOLDERS)
[ "$(sed -n 2p <<<"$row")" = "posix-shm /$prefix-shm 8192 0600 1" ] || fail "posix-shm row: $row"
"$IPCKIT" ls --type posix-shm --name "/$prefix-shm" -o HOLDERS --raw | grep -q "^$holder(sleep)$" ||
  fail "posix-shm holder is not $holder(sleep)"

# JSON: typed numbers, holders as objects, the selected columns lower-cased.
"$IPCKIT" ls --json --type posix-shm --name "/$prefix-shm" -o TYPE,NAME,SIZE,HOLDERS,ID >"$work/j"
python3 - "$work/j" "$prefix" "$holder" <<'PY' || fail "JSON document is not as documented"
import json, sys
doc = json.load(open(sys.argv[1]))
assert isinstance(doc["unreadable_processes"], int)
assert isinstance(doc["mqueue_mounted"], bool)
[o] = doc["objects"]
assert list(o) == ["type", "name", "size", "holders", "id"], o
assert o["type"] == "posix-shm" and o["name"] == "/" + sys.argv[2] + "-shm"
assert o["size"] == 8192 and o["id"] is None
assert o["holders"] == [{"pid": int(sys.argv[3]), "command": "sleep"}], o["holders"]
PY

# A named FIFO that a process holds open.
mkfifo "$work/fifo"
sleep 30 3<>"$work/fifo" &
pids+=("$!")
wait_exec "$!" sleep
"$IPCKIT" ls --type fifo --name "$work/fifo" --raw -o TYPE,NAME,HOLDERS | grep -q "^fifo $work/fifo $!(sleep)$" ||
  fail "the held FIFO is not listed"

# A channel: recognised by its header, with capacity and fill level; not listed as posix-shm.
"$IPCKIT" chan create "$prefix-chan" --capacity 64K
row=$("$IPCKIT" ls --name "*$prefix-chan" --raw -o TYPE,NAME,CAPACITY,USED,STALE | sed -n '2,$p')
[ "$row" = "channel $prefix-chan 65536 0 yes" ] || fail "channel row: $row"

# An abstract Unix socket, listening, held by python.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(1); print("up", flush=True); time.sleep(30)' "$prefix-sock" >"$work/up" &
pids+=("$!")
for _ in $(seq 300); do [ -s "$work/up" ] && break; sleep 0.1; done
row=$("$IPCKIT" ls --type unix --name "@$prefix-sock" --raw -o TYPE,NAME,SOCKTYPE,STATE,NHOLDERS | sed -n 2p)
[ "$row" = "unix @$prefix-sock stream listen 1" ] || fail "abstract socket row: $row"

# System V, in a private IPC namespace: exactly our segment, with RSS and SWAP columns.
out=$(unshare --ipc sh -c "\"$IPCKIT\" ipcmk -M 16384 >/dev/null && \"$IPCKIT\" ls --type sysv-shm,sysv-sem,sysv-msg --raw -o TYPE,SIZE,NATTCH,RSS,SWAP")
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "sysv listing in a fresh namespace: $out"
[ "$(sed -n 2p <<<"$out")" = "sysv-shm 16384 0 0 0" ] || fail "sysv row: $out"
out=$(unshare --ipc sh -c "\"$IPCKIT\" ipcmk -Q >/dev/null && \"$IPCKIT\" ipcmk -Q >/dev/null &&
  key=\$(\"$IPCKIT\" ls --type sysv-msg --raw -o KEY | sed -n 2p) &&
  \"$IPCKIT\" ls --key \$key --raw -o TYPE,MSGS")
[ "$out" = "$(printf 'TYPE MSGS\nsysv-msg 0')" ] || fail "--key filter: $out"

# A name with a newline in it (anyone may make one in /dev/shm) stays on its row, escaped as
# util-linux does; rm's error about such a name stays on one line.
nl_name=$'nl-'"$prefix"$'\nx'
: >"/dev/shm/$nl_name"
table=$("$IPCKIT" ls --type posix-shm --name "/nl-$prefix*" -o NAME)
rm -f "/dev/shm/$nl_name"
[ "$table" = "$(printf 'NAME\n/nl-%s\\x0ax' "$prefix")" ] || fail "newline in a name: $table"
set +e
"$IPCKIT" rm "posix-shm:/$nl_name" 2>"$work/err"
set -e
[ "$(wc -l <"$work/err")" = 1 ] || fail "rm of a name with a newline: $(cat "$work/err")"

# Multibyte names: columns are aligned in screen columns (here each character is one column),
# not bytes; -o +COL adds to the default columns.
for n in "mb-$prefix-nev" "mb-$prefix-név-ůž"; do : >"/dev/shm/$n"; done
table=$(LC_ALL=C.UTF-8 "$IPCKIT" ls --type posix-shm --name "/mb-$prefix*" -o NAME,TYPE,SIZE)
LC_ALL=C.UTF-8 python3 -c '
import sys
lines = sys.argv[1].split("\n")
assert len(lines) == 3, lines
starts = {line.index("posix-shm" if i else "TYPE") for i, line in enumerate(lines)}
assert len(starts) == 1, lines
' "$table" || fail "a multibyte name misaligns the table: $table"
plus=$("$IPCKIT" ls --type posix-shm --name "/mb-$prefix*" -o +INODE | head -1) || fail "-o +INODE"
[ "$plus" = "$("$IPCKIT" ls --type posix-shm --name "/mb-$prefix*" | head -1) INODE" ] ||
  fail "-o +INODE: $plus"

echo "ls_cli: ok"
