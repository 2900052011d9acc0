#!/usr/bin/env bash
# `ipckit mq`, `sem`, `shm` (POSIX names) and `fifo`: every verb's happy path, and each failure
# with its documented exit code (docs/cli.md) and one line naming the object; a command line that
# does not parse creates and removes nothing. System V keys are covered by sysv_cli.sh.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "posix_cli: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (JSON checks)"

prefix=ipckit-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-posix-cli.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  # Every name below carries this run's pid: nothing else can be removed by mistake.
  for q in "$prefix"-{q,big,bin,perm,z,a,b}; do "$IPCKIT" mq rm "$q" >/dev/null 2>&1 || true; done
  for s in "$prefix"-{s,wake,perm,z,a,b}; do "$IPCKIT" sem rm "$s" >/dev/null 2>&1 || true; done
  for m in "$prefix"-{m,big,perm,z,a,b}; do "$IPCKIT" shm rm "$m" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/cli/ipc_cli/expect.sh
. "$(dirname "$0")/ipc_cli/expect.sh"

json_check() {  # json_check PYTHON-EXPR COMMAND...: COMMAND's JSON output satisfies the assertion
  local check=$1
  shift
  "$@" | python3 -c "
import json, sys
doc = json.load(sys.stdin)
assert ($check), doc
" || fail "'${*#"$IPCKIT" }': JSON does not satisfy: $check"
  echo "ok: '${*#"$IPCKIT" }' JSON: $check"
}

# ================================================================================================
# mq
q=$prefix-q
"$IPCKIT" mq create "$q" --max-messages 2 --message-size 64 --mode 0640
json_check 'doc == {"name": "/'"$q"'", "messages": 0, "max_messages": 2, "message_size": 64,
  "bytes": 0, "mode": "0640", "uid": '"$(id -u)"', "gid": '"$(id -g)"', "notify_pid": 0}' \
  "$IPCKIT" mq stat --json "$q"
"$IPCKIT" mq send "$q" hello --priority 3
"$IPCKIT" mq send "/$q" world --priority 7 # "/name" and "name" are one queue
json_check 'doc["messages"] == 2 and doc["bytes"] == 10' "$IPCKIT" mq stat --json "$q"
"$IPCKIT" mq stat "$q" | grep -q '^messages: *2 of 2$' || fail "mq stat: no 'messages: 2 of 2' line"

# Full: --timeout -> 4, --nonblock -> 1.
expect 4 "mq send: send\\(/$q\\): the queue stayed full for 0.1 s$" \
  "$IPCKIT" mq send "$q" more --timeout 0.1
expect 1 "mq send: send\\(/$q\\): the queue is full \\(2 messages\\)$" \
  "$IPCKIT" mq send "$q" more --nonblock

# Highest priority first; -v reports it on stderr, stdout stays the message.
"$IPCKIT" mq recv -v "$q" >"$work/out" 2>"$work/err"
[ "$(cat "$work/out")" = world ] || fail "mq recv: expected 'world' first, got '$(cat "$work/out")'"
grep -qx "ipckit: mq recv: /$q: priority 7, 5 bytes" "$work/err" || fail "mq recv -v said: $(cat "$work/err")"
echo "ok: mq recv -v -> world, $(cat "$work/err")"
expect_out hello "$IPCKIT" mq recv "$q"

# Empty: --timeout -> 4, --nonblock -> 1.
expect 4 "mq recv: receive\\(/$q\\): no message for 0.1 s$" "$IPCKIT" mq recv "$q" --timeout 0.1
expect 1 "mq recv: receive\\(/$q\\): the queue is empty$" "$IPCKIT" mq recv "$q" --nonblock

# A receiver waiting for a message gets it.
"$IPCKIT" mq recv "$q" --timeout 10 >"$work/waited" &
pids+=($!)
waiter=$!
sleep 0.1
"$IPCKIT" mq send "$q" late
wait "$waiter" || fail "a waiting mq recv failed"
[ "$(cat "$work/waited")" = late ] || fail "the waiting mq recv printed '$(cat "$work/waited")'"
echo "ok: a waiting mq recv gets the message sent later"

# Too large; binary messages round trip with --file and -n.
long=$(printf 'x%.0s' $(seq 65))
expect 1 "mq send: mq_send\\(/$q\\): a message of 65 bytes exceeds the queue's message size of 64 bytes$" \
  "$IPCKIT" mq send "$q" "$long"
head -c 65 /dev/urandom >"$work/65"
expect 1 "mq send: mq_send\\(/$q\\): $work/65 is longer than the queue's message size of 64 bytes$" \
  "$IPCKIT" mq send "$q" --file "$work/65"
head -c 64 /dev/urandom >"$work/64"
"$IPCKIT" mq send "$q" --file "$work/64"
"$IPCKIT" mq recv -n "$q" >"$work/64.out"
cmp "$work/64" "$work/64.out" || fail "a binary message did not round-trip"
head -c 64 /dev/urandom >"$work/64b"
"$IPCKIT" mq send "$q" --file - <"$work/64b"
"$IPCKIT" mq recv --no-newline "$q" | cmp - "$work/64b" || fail "a message from stdin did not round-trip"
echo "ok: 64 random bytes round-trip through mq send --file / mq recv -n, from a file and stdin"

# Missing, existing.
expect 1 "mq send: mq_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" mq send "$prefix-missing" x
expect 1 "mq recv: mq_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" mq recv "$prefix-missing"
expect 1 "mq stat: mq_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" mq stat "$prefix-missing"
expect 1 "mq rm: mq_unlink\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" mq rm "$prefix-missing"
expect 1 "mq create: mq_open\\(/$q\\): File exists$" "$IPCKIT" mq create "$q"

# Usage errors: nothing is created.
expect_usage "invalid queue name 'a/b': '/' is allowed only as the first character" \
  "$IPCKIT" mq create a/b
expect_usage "invalid queue name 'sysv:0x1234': 'ipckit mq' is for POSIX queues" \
  "$IPCKIT" mq create sysv:0x1234
expect_usage "--mode: invalid mode '0999'" "$IPCKIT" mq create "$prefix-z" --mode 0999
expect_usage "--message-size: invalid size '1Q'" "$IPCKIT" mq create "$prefix-z" --message-size 1Q
expect_usage "--message-size: must be at least 1 byte, not 0" \
  "$IPCKIT" mq create "$prefix-z" --message-size 0
expect_usage "--max-messages: '0' not in range 1 to 65536" \
  "$IPCKIT" mq create "$prefix-z" --max-messages 0
expect_usage "--priority: '32768' not in range 0 to 32767" \
  "$IPCKIT" mq send "$q" x --priority 32768
expect_usage "--timeout and --nonblock exclude each other" "$IPCKIT" mq send "$q" x --timeout 1 --nonblock
expect_usage "TEXT: give the message as TEXT or with --file FILE" "$IPCKIT" mq send "$q"
expect 1 "mq stat: mq_open\\(/$prefix-z\\): No such file or directory$" "$IPCKIT" mq stat "$prefix-z"

# Limits the kernel refuses are named.
expect 1 "mq create: mq_open\\(/$prefix-big\\): .*HARD_MSGSIZEMAX" \
  "$IPCKIT" mq create "$prefix-big" --message-size 32M

# rm: one bad name among good ones; a name that does not parse removes nothing.
"$IPCKIT" mq create "$prefix-a" --max-messages 1 --message-size 16
"$IPCKIT" mq create "$prefix-b" --max-messages 1 --message-size 16
expect_usage "invalid queue name 'x/y'" "$IPCKIT" mq rm "$prefix-a" x/y
"$IPCKIT" mq stat "$prefix-a" >/dev/null || fail "mq rm removed a queue although its command line did not parse"
expect 1 "mq rm: mq_unlink\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" mq rm "$prefix-a" "$prefix-missing" "$prefix-b"
for n in a b; do
  if "$IPCKIT" mq stat "$prefix-$n" >/dev/null 2>&1; then fail "mq rm stopped at the first bad name"; fi
done
echo "ok: mq rm carries on past a missing queue"

# ================================================================================================
# sem (POSIX named semaphores)
s=$prefix-s
"$IPCKIT" sem create "$s" --value 1 --mode 0640
[ "$(stat -c %a "/dev/shm/sem.$s")" = 640 ] || fail "sem create --mode 0640 gave $(stat -c %a "/dev/shm/sem.$s")"
expect_out 1 "$IPCKIT" sem get "$s"
"$IPCKIT" sem wait "$s"
expect_out 0 "$IPCKIT" sem get "/$s"
expect 4 "sem wait: wait\\(/$s\\): the count stayed at 0 for 0.1 s$" "$IPCKIT" sem wait "$s" --timeout 0.1
expect 1 "sem wait: wait\\(/$s\\): the count is 0$" "$IPCKIT" sem wait "$s" --nonblock
"$IPCKIT" sem post "$s"
"$IPCKIT" sem post "$s"
expect_out 2 "$IPCKIT" sem get "$s"
"$IPCKIT" sem wait "$s" --nonblock
"$IPCKIT" sem wait "$s" --timeout 0
expect_out 0 "$IPCKIT" sem get "$s"

# A waiter is woken by a post.
"$IPCKIT" sem create "$prefix-wake"
"$IPCKIT" sem wait "$prefix-wake" --timeout 10 &
pids+=($!)
waiter=$!
sleep 0.1
"$IPCKIT" sem post "$prefix-wake"
wait "$waiter" || fail "sem wait was not woken by sem post"
expect_out 0 "$IPCKIT" sem get "$prefix-wake"
echo "ok: sem post wakes a waiting sem wait"

expect 1 "sem get: sem_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" sem get "$prefix-missing"
expect 1 "sem post: sem_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" sem post "$prefix-missing"
expect 1 "sem wait: sem_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" sem wait "$prefix-missing"
expect 1 "sem create: sem_open\\(/$s\\): File exists$" "$IPCKIT" sem create "$s"

expect_usage "--index: only a System V set \\(sysv:KEY\\) has more than one semaphore" \
  "$IPCKIT" sem get "$s" --index 1
expect_usage "--count: only a System V set \\(sysv:KEY\\) has more than one semaphore" \
  "$IPCKIT" sem create "$prefix-z" --count 2
expect_usage "--value: 2147483648 is above 2147483647, the largest value of a POSIX semaphore" \
  "$IPCKIT" sem create "$prefix-z" --value 2147483648
expect_usage "--value" "$IPCKIT" sem create "$prefix-z" --value -1
expect_usage "--mode: invalid mode 'rw'" "$IPCKIT" sem create "$prefix-z" --mode rw
expect_usage "--timeout and --nonblock exclude each other" "$IPCKIT" sem wait "$s" --nonblock --timeout 1
long=$(printf 'n%.0s' $(seq 252))
expect_usage "invalid semaphore name '$long': 252 bytes after the '/', at most 251" \
  "$IPCKIT" sem create "$long"
[ ! -e "/dev/shm/sem.$prefix-z" ] || fail "a semaphore was created from a command line that did not parse"

"$IPCKIT" sem create "$prefix-a"
"$IPCKIT" sem create "$prefix-b"
expect_usage "invalid semaphore name 'x/y'" "$IPCKIT" sem rm "$prefix-a" x/y
[ -e "/dev/shm/sem.$prefix-a" ] || fail "sem rm removed a semaphore although its command line did not parse"
expect 1 "sem rm: sem_unlink\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" sem rm "$prefix-a" "$prefix-missing" "$prefix-b"
if [ -e "/dev/shm/sem.$prefix-a" ] || [ -e "/dev/shm/sem.$prefix-b" ]; then fail "sem rm stopped at the first bad name"; fi

# ================================================================================================
# shm (POSIX names)
m=$prefix-m
"$IPCKIT" shm create "$m" --size 4K --mode 0640
[ "$(stat -c '%s %a' "/dev/shm/$m")" = "4096 640" ] || fail "shm create: /dev/shm/$m is $(stat -c '%s %a' "/dev/shm/$m")"
json_check 'doc["name"] == "/'"$m"'" and doc["kind"] == "posix" and doc["size"] == 4096 and
  doc["mode"] == "0640" and type(doc["inode"]) is int' "$IPCKIT" shm stat --json "$m"
"$IPCKIT" shm stat "$m" | grep -q '^size: *4096 (4 KiB)$' || fail "shm stat: no 'size: 4096 (4 KiB)' line"

head -c 4096 /dev/urandom >"$work/rand"
"$IPCKIT" shm write "$m" --file "$work/rand"
"$IPCKIT" shm read "$m" >"$work/rand.out"
cmp "$work/rand" "$work/rand.out" || fail "4 KiB of random bytes did not round-trip through shm"
head -c 1000 /dev/urandom >"$work/part"
"$IPCKIT" shm write "$m" --offset 1K --file - <"$work/part"
"$IPCKIT" shm read "$m" --offset 1024 --length 1000 | cmp - "$work/part" || fail "shm --offset round trip"
"$IPCKIT" shm read "$m" --length 1K | cmp - <(head -c 1024 "$work/rand") || fail "shm write --offset overwrote bytes before it"
"$IPCKIT" shm read "$m" --offset 2024 | cmp - <(tail -c 2072 "$work/rand") || fail "shm write --offset overwrote bytes after it"
echo "ok: random bytes round-trip through shm write/read, whole and at offsets, from a file and stdin"
"$IPCKIT" shm write "$m" hello --offset 4091
expect_out hello "$IPCKIT" shm read "$m" --offset 4091
"$IPCKIT" shm read "$m" --offset 4096 | cmp - /dev/null || fail "shm read at the end printed bytes"

expect 1 "shm write: write\\(/$m\\): 6 bytes at offset 4091 go past the end of the 4096-byte object$" \
  "$IPCKIT" shm write "$m" hello! --offset 4091
expect 1 "shm write: write\\(/$m\\): offset 4097 is past the end of the 4096-byte object$" \
  "$IPCKIT" shm write "$m" x --offset 4097
head -c 4097 /dev/urandom >"$work/big"
expect 1 "shm write: write\\(/$m\\): 4097 bytes at offset 0 go past the end of the 4096-byte object$" \
  "$IPCKIT" shm write "$m" --file "$work/big"
"$IPCKIT" shm read "$m" --length 1K | cmp - <(head -c 1024 "$work/rand") || fail "a refused --file write changed the object"
# shellcheck disable=SC2016  # $0 and $1 are sh -c's own arguments
expect 1 "shm write: write\\(/$m\\): stdin is longer than the 4096 bytes from offset 0 to the end of the object; only those were written$" \
  sh -c 'head -c 5000 /dev/zero | "$0" shm write "$1" --file -' "$IPCKIT" "$m"
expect 1 "shm read: read\\(/$m\\): 2 bytes at offset 4095 go past the end of the 4096-byte object$" \
  "$IPCKIT" shm read "$m" --offset 4095 --length 2
expect 1 "shm write: open\\($work/nofile\\): No such file or directory$" \
  "$IPCKIT" shm write "$m" --file "$work/nofile"

expect 1 "shm read: shm_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" shm read "$prefix-missing"
expect 1 "shm write: shm_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" shm write "$prefix-missing" x
expect 1 "shm stat: shm_open\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" shm stat "$prefix-missing"
expect 1 "shm create: shm_open\\(/$m\\): File exists$" "$IPCKIT" shm create "$m" --size 1

expect_usage "--size: must be at least 1 byte, not 0" "$IPCKIT" shm create "$prefix-z" --size 0
for bad in 1Q "" -1 1.5M 4KB 99999999999999999999; do
  expect_usage "--size: invalid size '$bad'" "$IPCKIT" shm create "$prefix-z" --size "$bad"
done
expect_usage "missing --size" "$IPCKIT" shm create "$prefix-z"
expect_usage "--mode: invalid mode '01777'" "$IPCKIT" shm create "$prefix-z" --size 1 --mode 01777
expect_usage "--offset: invalid size 'x'" "$IPCKIT" shm read "$m" --offset x
expect_usage "invalid shared memory name 'sem.$prefix-s': /dev/shm/sem.$prefix-s is where glibc keeps the POSIX semaphore '$prefix-s'" \
  "$IPCKIT" shm rm "sem.$prefix-s"
expect_usage "TEXT: give the bytes to write as TEXT or with --file FILE" "$IPCKIT" shm write "$m"
expect_usage "TEXT and --file exclude each other" "$IPCKIT" shm write "$m" x --file "$work/rand"
[ ! -e "/dev/shm/$prefix-z" ] || fail "an object was created from a command line that did not parse"
[ -e "/dev/shm/sem.$s" ] || fail "shm rm removed a semaphore"

"$IPCKIT" shm create "$prefix-a" --size 1
"$IPCKIT" shm create "$prefix-b" --size 1
expect_usage "invalid shared memory name 'sysv:0'" "$IPCKIT" shm rm "$prefix-a" sysv:0
[ -e "/dev/shm/$prefix-a" ] || fail "shm rm removed an object although its command line did not parse"
expect 1 "shm rm: shm_unlink\\(/$prefix-missing\\): No such file or directory$" \
  "$IPCKIT" shm rm "$prefix-a" "$prefix-missing" "$prefix-b"
if [ -e "/dev/shm/$prefix-a" ] || [ -e "/dev/shm/$prefix-b" ]; then fail "shm rm stopped at the first bad name"; fi

# A closed stdout: 1 MiB cannot fit in the pipe, so the write must meet the closed end.
"$IPCKIT" shm create "$prefix-big" --size 1M
(
  rc=0
  "$IPCKIT" shm read "$prefix-big" 2>"$work/closed.err" || rc=$?
  echo "$rc" >"$work/closed.rc"
) | true
[ "$(cat "$work/closed.rc")" = 3 ] || fail "shm read into a closed pipe exited $(cat "$work/closed.rc"), expected 3"
grep -qx "ipckit: shm read: write(stdout): Broken pipe" "$work/closed.err" ||
  fail "shm read into a closed pipe said: $(cat "$work/closed.err")"
echo "ok: shm read into a closed pipe -> 3: $(cat "$work/closed.err")"
"$IPCKIT" shm rm "$prefix-big"

# ================================================================================================
# fifo
f=$work/fifo
"$IPCKIT" fifo create "$f" --mode 0640
[ "$(stat -c '%F %a' "$f")" = "fifo 640" ] || fail "fifo create: $f is $(stat -c '%F %a' "$f")"
(echo through the fifo >"$f") &
pids+=($!)
[ "$(timeout 10 cat "$f")" = "through the fifo" ] || fail "no data through the FIFO"
echo "ok: fifo create makes a FIFO (mode 640) that carries data"
expect 1 "fifo create: mkfifo\\($f\\): File exists$" "$IPCKIT" fifo create "$f"
expect 1 "fifo create: mkfifo\\($work/no/fifo\\): No such file or directory$" \
  "$IPCKIT" fifo create "$work/no/fifo"
echo data >"$work/regular"
expect 1 "fifo rm: unlink\\($work/regular\\): not a FIFO but a regular file; refusing to remove it$" \
  "$IPCKIT" fifo rm "$work/regular"
[ -f "$work/regular" ] || fail "fifo rm removed a regular file"
mkdir "$work/dir"
expect 1 "fifo rm: unlink\\($work/dir\\): not a FIFO but a directory; refusing to remove it$" \
  "$IPCKIT" fifo rm "$work/dir"
ln -s "$f" "$work/link"
expect 1 "fifo rm: unlink\\($work/link\\): not a FIFO but a symbolic link; refusing to remove it$" \
  "$IPCKIT" fifo rm "$work/link"
if [ ! -p "$f" ] || [ ! -L "$work/link" ]; then fail "fifo rm removed a symlink or what it points to"; fi
expect 1 "fifo rm: unlink\\($work/missing\\): No such file or directory$" "$IPCKIT" fifo rm "$work/missing"
expect_usage "--mode: invalid mode '888'" "$IPCKIT" fifo create "$work/z" --mode 888
expect_usage "invalid FIFO path ''" "$IPCKIT" fifo create ""
[ ! -e "$work/z" ] || fail "a FIFO was created from a command line that did not parse"
"$IPCKIT" fifo create "$work/fifo2"
expect 1 "fifo rm: unlink\\($work/regular\\): not a FIFO" "$IPCKIT" fifo rm "$f" "$work/regular" "$work/fifo2"
if [ -e "$f" ] || [ -e "$work/fifo2" ]; then fail "fifo rm stopped at the first bad path"; fi
echo "ok: fifo rm removes FIFOs only, and carries on past the rest"

# ================================================================================================
# Permission denied: objects made 0600 by root, used by uid 65534.
if can_drop_privileges; then
  chmod 0755 "$work"
  "$IPCKIT" mq create "$prefix-perm" --mode 0600 --max-messages 1 --message-size 16
  expect 1 "mq send: mq_open\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" mq send "$prefix-perm" x
  expect 1 "mq recv: mq_open\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" mq recv "$prefix-perm"
  expect 1 "mq rm: mq_unlink\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" mq rm "$prefix-perm"
  "$IPCKIT" sem create "$prefix-perm" --mode 0600
  expect 1 "sem post: sem_open\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" sem post "$prefix-perm"
  expect 1 "sem rm: sem_unlink\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" sem rm "$prefix-perm"
  "$IPCKIT" shm create "$prefix-perm" --size 4K --mode 0600
  expect 1 "shm read: shm_open\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm read "$prefix-perm"
  expect 1 "shm write: shm_open\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm write "$prefix-perm" x
  expect 1 "shm stat: shm_open\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm stat "$prefix-perm"
  expect 1 "shm rm: shm_unlink\\(/$prefix-perm\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" shm rm "$prefix-perm"
  mkdir -m 0755 "$work/rootonly"
  expect 1 "fifo create: mkfifo\\($work/rootonly/f\\): Permission denied$" \
    "${as_nobody[@]}" "$IPCKIT" fifo create "$work/rootonly/f"
  "$IPCKIT" fifo create "$work/rootonly/g"
  expect 1 "fifo rm: unlink\\($work/rootonly/g\\): Permission denied$" "${as_nobody[@]}" "$IPCKIT" fifo rm "$work/rootonly/g"
  [ -p "$work/rootonly/g" ] || fail "nobody removed root's FIFO"
  "$IPCKIT" mq rm "$prefix-perm"
  "$IPCKIT" sem rm "$prefix-perm"
  "$IPCKIT" shm rm "$prefix-perm"
else
  cannot_run_part "permission denied (needs root and setpriv to act as another user)"
fi

# ================================================================================================
"$IPCKIT" mq rm "$q"
"$IPCKIT" sem rm "$s" "$prefix-wake"
"$IPCKIT" shm rm "$m"
echo "ok: all done"
