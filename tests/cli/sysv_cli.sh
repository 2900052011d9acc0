#!/usr/bin/env bash
# `ipckit shm` and `ipckit sem` on System V objects (sysv:KEY, sysv:id:ID): every verb's happy
# path, binary-safe data, and each failure with its exit code and one line naming the key or id.
#
# Keys are random, checked unused with ipcs before use; only objects this script created are
# removed, by the trap on every path.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "sysv_cli: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (JSON checks)"
command -v ipcs >/dev/null || fail "ipcs (util-linux) is needed to pick unused keys"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-sysv-cli.XXXXXX")
made=() # "shm KEY" or "sem KEY": what this script created
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  for obj in "${made[@]}"; do
    # shellcheck disable=SC2086  # "shm KEY" splits into the command and the key
    set -- $obj
    "$IPCKIT" "$1" rm "sysv:$2" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

# A random key (0x10000000..0x7fffffff) that no System V object has now.
pick_key() {
  local key
  while :; do
    key=$(printf '0x%08x' $(((RANDOM << 15 | RANDOM) % 0x6fffffff + 0x10000000)))
    if ! ipcs -m -s -q | awk '{ print tolower($1) }' | grep -qx "$key"; then
      echo "$key"
      return
    fi
  done
}

created() { made+=("$1 $2"); }
removed() { # the object is gone: the trap must not remove a later one that reuses the key
  local i
  for i in "${!made[@]}"; do [ "${made[$i]}" != "$1 $2" ] || unset 'made[i]'; done
}

key_gone() {  # key_gone KEY: no object has KEY
  ! ipcs -m -s -q | awk '{ print tolower($1) }' | grep -qx "$1"
}

# ================================================================================================
# shm sysv:KEY
k=$(pick_key)
"$IPCKIT" shm create "sysv:$k" --size 8K --mode 0640
created shm "$k"
"$IPCKIT" shm stat --json "sysv:$k" >"$work/stat.json"
id=$(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
want = {"name": "sysv:" + sys.argv[2], "kind": "sysv", "key": sys.argv[2], "size": 8192,
        "mode": "0640", "nattch": 0, "atime": None, "removed": False}
for key, value in want.items():
    assert doc[key] == value, f"{key}: {doc[key]!r} != {value!r}"
for key in ("id", "cpid", "uid", "cuid"):
    assert type(doc[key]) is int, f"{key}: {doc[key]!r}"
print(doc["id"])
' "$work/stat.json" "$k") || fail "shm stat --json sysv:$k: $(cat "$work/stat.json")"
echo "ok: shm stat --json sysv:$k: 8192 bytes, mode 0640, id $id"
ipcs -m | awk -v k="$k" 'tolower($1) == k { print $2, $4, $5 }' | grep -qx "$id 640 8192" ||
  fail "ipcs -m does not show id $id, mode 640, 8192 bytes for $k"
"$IPCKIT" shm stat "sysv:id:$id" | grep -q "^key: *$k$" || fail "shm stat sysv:id:$id: wrong key"

head -c 8192 /dev/urandom >"$work/rand"
"$IPCKIT" shm write "sysv:$k" --file "$work/rand"
"$IPCKIT" shm read "sysv:$k" >"$work/rand.out"
cmp "$work/rand" "$work/rand.out" || fail "8 KiB of random bytes did not round-trip through sysv:$k"
head -c 100 /dev/urandom >"$work/part"
"$IPCKIT" shm write "sysv:id:$id" --offset 8092 --file - <"$work/part"
"$IPCKIT" shm read "sysv:id:$id" --offset 8092 | cmp - "$work/part" || fail "shm round trip by id"
"$IPCKIT" shm read "sysv:$k" --length 8092 | cmp - <(head -c 8092 "$work/rand") ||
  fail "shm write --offset changed bytes before it"
echo "ok: random bytes round-trip through sysv:$k and sysv:id:$id, whole and at an offset"
"$IPCKIT" shm write "sysv:$k" "text" --offset 4K
expect_out text "$IPCKIT" shm read "sysv:$k" --offset 4K --length 4

expect 1 "shm create: shmget\\(key $k\\): File exists$" "$IPCKIT" shm create "sysv:$k" --size 1
head -c 8193 /dev/zero >"$work/8193"
expect 1 "shm write: write\\(key $k\\): 8193 bytes at offset 0 go past the end of the 8192-byte object$" \
  "$IPCKIT" shm write "sysv:$k" --file "$work/8193"
expect 1 "shm read: read\\(id $id\\): offset 9000 is past the end of the 8192-byte object$" \
  "$IPCKIT" shm read "sysv:id:$id" --offset 9000
missing=$(pick_key)
expect 1 "shm read: shmget\\(key $missing\\): No such file or directory$" "$IPCKIT" shm read "sysv:$missing"
expect 1 "shm stat: shmget\\(key $missing\\): No such file or directory$" "$IPCKIT" shm stat "sysv:$missing"
expect 1 "shm rm: shmget\\(key $missing\\): No such file or directory$" "$IPCKIT" shm rm "sysv:$missing"
expect 1 "shm read: shmctl\\(id 2147483647\\): no segment has this id \\(it was removed, or never existed\\)$" \
  "$IPCKIT" shm read sysv:id:2147483647

expect_usage "invalid shared memory name 'sysv:id:$id': an id names an existing object; create takes sysv:KEY" \
  "$IPCKIT" shm create "sysv:id:$id" --size 1
expect_usage "invalid shared memory name 'sysv:0': IPC_PRIVATE \\(0\\) names no object" \
  "$IPCKIT" shm create sysv:0 --size 1
expect_usage "invalid shared memory name 'sysv:zz': expected sysv:KEY" "$IPCKIT" shm stat sysv:zz
expect_usage "invalid shared memory name 'sysv:id:-1': expected sysv:id:ID" "$IPCKIT" shm stat sysv:id:-1
k2=$(pick_key)
expect_usage "--size: invalid size '8k8'" "$IPCKIT" shm create "sysv:$k2" --size 8k8
expect_usage "--size: must be at least 1 byte, not 0" "$IPCKIT" shm create "sysv:$k2" --size 0
expect_usage "--mode: invalid mode '0800'" "$IPCKIT" shm create "sysv:$k2" --size 1 --mode 0800
key_gone "$k2" || fail "a segment was created from a command line that did not parse"
expect_usage "invalid shared memory name 'x/y'" "$IPCKIT" shm rm "sysv:$k" x/y
[ "$(ipcs -m | awk -v k="$k" 'tolower($1) == k' | wc -l)" -eq 1 ] ||
  fail "shm rm removed a segment although its command line did not parse"

# ================================================================================================
# sem sysv:KEY: a set of 2, both at 1
s=$(pick_key)
"$IPCKIT" sem create "sysv:$s" --count 2 --value 1 --mode 0640
created sem "$s"
ipcs -s | awk -v k="$s" 'tolower($1) == k { print $4, $5 }' | grep -qx "640 2" ||
  fail "ipcs -s does not show mode 640 and 2 semaphores for $s"
sid=$(ipcs -s | awk -v k="$s" 'tolower($1) == k { print $2 }')
expect_out 1 "$IPCKIT" sem get "sysv:$s"
expect_out 1 "$IPCKIT" sem get "sysv:$s" --index 1
"$IPCKIT" sem wait "sysv:$s" --index 1
expect_out 0 "$IPCKIT" sem get "sysv:id:$sid" --index 1
expect_out 1 "$IPCKIT" sem get "sysv:$s" --index 0
expect 4 "sem wait: wait\\(key $s\\): semaphore 1 stayed at 0 for 0.1 s$" \
  "$IPCKIT" sem wait "sysv:$s" --index 1 --timeout 0.1
expect 1 "sem wait: wait\\(key $s\\): semaphore 1 is 0$" "$IPCKIT" sem wait "sysv:$s" --index 1 --nonblock
"$IPCKIT" sem wait "sysv:$s" --index 1 --timeout 10 &
pids+=($!)
waiter=$!
sleep 0.1
"$IPCKIT" sem post "sysv:$s" --index 1
wait "$waiter" || fail "sem wait on sysv:$s was not woken by sem post"
echo "ok: sem post --index 1 wakes a waiting sem wait --index 1"
"$IPCKIT" sem post "sysv:id:$sid" --index 1
expect_out 1 "$IPCKIT" sem get "sysv:$s" --index 1

expect 1 "sem post: semop\\(id $sid\\): index 2 is out of range: the set has 2 semaphores$" \
  "$IPCKIT" sem post "sysv:$s" --index 2
expect 1 "sem get: semctl\\(id $sid\\): index 2 is out of range: the set has 2 semaphores$" \
  "$IPCKIT" sem get "sysv:$s" --index 2
expect 1 "sem create: semget\\(key $s\\): File exists$" "$IPCKIT" sem create "sysv:$s"
missing=$(pick_key)
expect 1 "sem get: semget\\(key $missing\\): No such file or directory$" "$IPCKIT" sem get "sysv:$missing"
expect 1 "sem wait: semget\\(key $missing\\): No such file or directory$" "$IPCKIT" sem wait "sysv:$missing"
expect 1 "sem rm: semctl\\(id 2147483647\\): no semaphore set has this id" "$IPCKIT" sem rm sysv:id:2147483647

s2=$(pick_key)
expect_usage "--value: 32768 is above 32767, the largest value of a System V semaphore" \
  "$IPCKIT" sem create "sysv:$s2" --value 32768
expect_usage "--count: '0' not in range 1 to 65535" "$IPCKIT" sem create "sysv:$s2" --count 0
expect_usage "invalid semaphore name 'sysv:id:1': an id names an existing object" \
  "$IPCKIT" sem create sysv:id:1
key_gone "$s2" || fail "a semaphore set was created from a command line that did not parse"

# ================================================================================================
# Permission denied: root's 0600 objects, used by uid 65534.
if can_drop_privileges; then
  p=$(pick_key)
  "$IPCKIT" shm create "sysv:$p" --size 4K --mode 0600
  created shm "$p"
  pid_=$(ipcs -m | awk -v k="$p" 'tolower($1) == k { print $2 }')
  expect 1 "shm read: shmat\\(id $pid_\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm read "sysv:$p"
  expect 1 "shm write: shmat\\(id $pid_\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm write "sysv:$p" x
  expect 1 "shm stat: shmctl\\(id $pid_\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm stat "sysv:$p"
  expect 1 "shm rm: shmctl\\(id $pid_\\): Operation not permitted$" "${as_nobody[@]}" "$IPCKIT" shm rm "sysv:$p"
  ps=$(pick_key)
  "$IPCKIT" sem create "sysv:$ps" --mode 0600
  created sem "$ps"
  psid=$(ipcs -s | awk -v k="$ps" 'tolower($1) == k { print $2 }')
  expect 1 "sem post: semop\\(id $psid\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" sem post "sysv:$ps"
  expect 1 "sem get: semctl\\(id $psid\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" sem get "sysv:$ps"
  expect 1 "sem rm: semctl\\(id $psid\\): Operation not permitted$" "${as_nobody[@]}" "$IPCKIT" sem rm "sysv:$ps"
  "$IPCKIT" shm rm "sysv:$p" && removed shm "$p"
  "$IPCKIT" sem rm "sysv:$ps" && removed sem "$ps"
else
  cannot_run_part "permission denied (needs root and setpriv to act as another user)"
fi

# ================================================================================================
# rm: by key and by id, carrying on past a missing one.
"$IPCKIT" shm rm "sysv:id:$id" "sysv:$missing" 2>/dev/null && fail "shm rm of a missing key exited 0"
key_gone "$k" || fail "shm rm sysv:id:$id left the segment"
removed shm "$k"
expect 1 "shm read: shmctl\\(id $id\\): no segment has this id" "$IPCKIT" shm read "sysv:id:$id"
"$IPCKIT" sem rm "sysv:$s" && removed sem "$s"
key_gone "$s" || fail "sem rm sysv:$s left the set"
echo "ok: all done"
