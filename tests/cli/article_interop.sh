#!/usr/bin/env bash
# The article's C programs (examples/article/*.c) and ipckit's shmwrite/shmread (examples/*.cpp)
# share one segment and one semaphore set, under the article's key ftok("/etc/hostname", 903):
# text written by either side reads back on the other, with and without --lock, and the objects
# look as the article makes them (key, 4096 bytes, mode 666; a 2-counter set, mode 666).
#
# The key is FIXED and machine-wide, so this test
#  * serialises with every other user of it (other build trees' runs of this test, and anyone who
#    follows the convention) with flock on /tmp/ipckit-article-key.lock;
#  * fails, touching nothing, if a segment or semaphore set with that key already exists: it is
#    someone else's (a user's own shmwrite run, or a crashed test), and removing it could break
#    them; the message says how to remove it by hand;
#  * removes the segment and the set it created on exit, whatever happened.
set -euo pipefail

: "${IPCKIT_BUILD_DIR:?set by ctest: the build tree}"
ex=$IPCKIT_BUILD_DIR/examples
lockfile=/tmp/ipckit-article-key.lock

fail() {
  echo "article_interop: $*" >&2
  exit 1
}

for prog in shmwrite shmread article_shmwrite article_shmread article_shmwrite_locked \
  article_shmread_locked; do
  [ -x "$ex/$prog" ] || fail "missing $ex/$prog (configure with IPCKIT_BUILD_EXAMPLES=ON)"
done

# ftok(3) as glibc computes it: proj_id's low 8 bits, the device's low 8 bits, the inode's low
# 16 bits. Worked out here independently of the programs, to check the key they use.
read -r dev ino < <(stat -L -c '%d %i' /etc/hostname)
key=$(printf '0x%08x' $(((903 & 0xff) << 24 | (dev & 0xff) << 16 | (ino & 0xffff))))

exec 9>>"$lockfile"
flock -w 120 9 || fail "waited 120 s for $lockfile; another user of key $key holds it"

# Column $2 of `ipcs -m` / `ipcs -s` rows whose key is $key (the id), if any.
shm_id() { ipcs -m | awk -v k="$key" '$1 == k { print $2 }'; }
sem_id() { ipcs -s | awk -v k="$key" '$1 == k { print $2 }'; }

# The rows of `ipcs -m` and `ipcs -s` for $key, each under its table's title and header.
key_objects() {
  local t
  for t in m s; do
    ipcs -$t | awk -v k="$key" 'NR == 2 || NR == 3 { h = h $0 "\n" } $1 == k { printf "%s%s\n", h, $0; h = "" }'
  done
}

if [ -n "$(shm_id)$(sem_id)" ]; then
  fail "an IPC object with the article's key $key already exists, and this test did not create it:
$(key_objects)
It may be a shmwrite/shmread session of someone on this machine, or left over by a crash.
Remove it once nobody uses it: ipcrm -M $key; ipcrm -S $key"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-article-interop.XXXXXX")
holder=
cleanup() {
  if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  ipcrm -M "$key" 2>/dev/null || true
  ipcrm -S "$key" 2>/dev/null || true
}
trap 'cleanup; rm -rf "$work"' EXIT

checks=0
ok() {
  checks=$((checks + 1))
  echo "ok: $*"
}

# expect_read NAME EXPECTED COMMAND...: COMMAND prints exactly EXPECTED and exits 0.
expect_read() {
  local name=$1 want=$2 got
  shift 2
  got=$("$@") || fail "$name: '$*' exited with status $?"
  [ "$got" = "$want" ] || fail "$name: '$*' printed '$got', expected '$want'"
  ok "$name"
}

# check_segment WHO: the segment exists with the article's key, 4096 bytes, perms 666.
check_segment() {
  local row
  row=$(ipcs -m | awk -v k="$key" '$1 == k { print $4, $5 }')
  [ "$row" = "666 4096" ] ||
    fail "$1: expected segment $key with perms 666 and 4096 bytes, ipcs -m shows '${row:-nothing}'"
  ok "$1 made segment $key: 4096 bytes, perms 666 (ipcs -m)"
}

# check_sems WHO: the set exists with the article's key, 2 counters, perms 666, both at 0
# (nobody holds a lock once the programs have exited).
check_sems() {
  local id row values
  id=$(sem_id)
  [ -n "$id" ] || fail "$1: no semaphore set with key $key"
  row=$(ipcs -s | awk -v k="$key" '$1 == k { print $4, $5 }')
  [ "$row" = "666 2" ] ||
    fail "$1: expected semaphore set $key with perms 666 and 2 counters, ipcs -s shows '$row'"
  # `ipcs -s -i ID` lists one row per counter: semnum value ncount zcount pid.
  values=$(ipcs -s -i "$id" | awk '$1 ~ /^[0-9]+$/ && NF >= 4 { printf "%s=%s ", $1, $2 }')
  [ "$values" = "0=0 1=0 " ] || fail "$1: counters should be back to 0, ipcs -s -i shows '$values'"
  ok "$1 left semaphore set $key: 2 counters, perms 666, both 0 (unlocked)"
}

reset() { cleanup; }

# hold writer|reader: a third party (perl, whose semop() is the bare syscall) takes the article's
# writer lock ({0, 0}, {1, +1, SEM_UNDO}) or reader lock ({1, 0}, {0, +1, SEM_UNDO}) on the set
# and keeps it until release. This checks that both implementations use the article's counters,
# not merely that each agrees with itself.
hold() {
  local ops
  case $1 in
    writer) ops="0 0 0 1 1 4096" ;;  # 4096 = SEM_UNDO
    reader) ops="1 0 0 0 1 4096" ;;
  esac
  rm -f "$work/held"
  # shellcheck disable=SC2086  # $ops are six separate numbers
  perl -e 'my ($id, $flag, @ops) = @ARGV;
    semop($id, pack("s!*", @ops)) or die "semop: $!\n";
    open(my $f, ">", $flag) or die "$flag: $!\n"; close($f);
    sleep 60;' "$(sem_id)" "$work/held" $ops &
  holder=$!
  for _ in $(seq 300); do
    [ -e "$work/held" ] && return 0
    sleep 0.1
  done
  fail "perl did not take the $1 lock within 30 s"
}
release() {
  kill "$holder"
  wait "$holder" 2>/dev/null || true
  holder=
}

# blocks NAME COMMAND...: COMMAND is still waiting after 0.5 s (timeout kills it: status 124).
blocks() {
  local name=$1 rc
  shift
  set +e
  timeout 0.5 "$@" >/dev/null 2>&1
  rc=$?
  set -e
  [ "$rc" = 124 ] || fail "$name: '$*' should wait for the lock, but exited with status $rc"
  ok "$name"
}

# 1. No segment yet: ipckit's shmread fails in one line, creating nothing (with --lock too).
for flag in "" --lock; do
  err=$("$ex/shmread" $flag 2>&1 >/dev/null) && fail "shmread $flag succeeded with no segment"
  [ "$err" = "shmread: shmget(key $key): No such file or directory" ] ||
    fail "shmread $flag with no segment printed '$err'"
  [ -z "$(shm_id)$(sem_id)" ] || fail "shmread $flag with no segment created an object"
done
ok "shmread with no segment: '$err', exit 1, nothing created"

# 2. Usage errors exit 1, as the article's shmwrite does with no argument.
for cmd in "$ex/shmwrite" "$ex/article_shmwrite"; do
  set +e
  "$cmd" 2>/dev/null
  rc=$?
  set -e
  [ "$rc" = 1 ] || fail "$cmd with no argument exited $rc, expected 1"
done
[ -z "$(shm_id)" ] || fail "shmwrite with no argument created a segment"
ok "shmwrite and article_shmwrite with no argument exit 1"

# 3. ipckit writes, the article reads.
text="Hello, IPC world!"
"$ex/shmwrite" "$text"
check_segment "shmwrite"
[ -z "$(sem_id)" ] || fail "shmwrite without --lock created a semaphore set"
expect_read "shmwrite -> article shmread" "$text" "$ex/article_shmread"

# 4. The article writes into its own fresh segment, ipckit reads.
reset
text="written by the article's shmwrite.c"
"$ex/article_shmwrite" "$text"
check_segment "article_shmwrite"
expect_read "article shmwrite -> shmread" "$text" "$ex/shmread"
# Overwriting a longer text with a shorter one leaves no tail, on either side (strncpy pads).
"$ex/article_shmwrite" "short"
expect_read "article shmwrite (shorter) -> shmread" "short" "$ex/shmread"
"$ex/shmwrite" "a much longer line than the one before it"
"$ex/shmwrite" "tiny"
expect_read "shmwrite (shorter) -> article shmread" "tiny" "$ex/article_shmread"

# 5. With the semaphore protocol: ipckit writes with --lock, the article's locked reader reads.
reset
text="locked write by ipckit, locked read by the article"
"$ex/shmwrite" --lock "$text"
check_segment "shmwrite --lock"
check_sems "shmwrite --lock"
expect_read "shmwrite --lock -> article shmread_locked" "$text" "$ex/article_shmread_locked"
check_sems "article_shmread_locked"

# 6. The article's locked writer, ipckit's locked reader; each creates the set when missing.
reset
text="locked write by the article, locked read by ipckit"
"$ex/article_shmwrite_locked" "$text"
check_segment "article_shmwrite_locked"
check_sems "article_shmwrite_locked"
expect_read "article shmwrite_locked -> shmread --lock" "$text" "$ex/shmread" --lock
check_sems "shmread --lock"
ipcrm -S "$key"
expect_read "shmread --lock creates the missing set" "$text" "$ex/shmread" --lock
check_sems "shmread --lock (new set)"

# 7. The locks exclude each other across implementations; programs without --lock ignore them.
hold writer
blocks "shmread --lock waits while a writer holds the lock" "$ex/shmread" --lock
blocks "article shmread_locked waits while a writer holds the lock" "$ex/article_shmread_locked"
expect_read "shmread without --lock does not wait for it" "$text" "$ex/shmread"
release
expect_read "shmread --lock proceeds once the writer is gone" "$text" "$ex/shmread" --lock
hold reader
blocks "shmwrite --lock waits while a reader holds the lock" "$ex/shmwrite" --lock "never"
blocks "article shmwrite_locked waits while a reader holds the lock" \
  "$ex/article_shmwrite_locked" "never"
release
expect_read "a writer that gave up while waiting wrote nothing" "$text" "$ex/shmread" --lock
check_sems "the lock tests"

# 8. Long texts: ipckit keeps 4095 bytes and a NUL; the article's reader prints exactly those.
reset
long=$(head -c 5000 /dev/zero | tr '\0' x)
err=$("$ex/shmwrite" "$long" 2>&1 >/dev/null)
[ "$err" = "shmwrite: TEXT is 5000 bytes; wrote its first 4095" ] || fail "long text: '$err'"
expect_read "shmwrite (5000 bytes) -> article shmread (4095)" "${long:0:4095}" "$ex/article_shmread"
# The article's strncpy(seg, text, 4096) leaves no NUL for a 4096-byte text; shmread stops at
# the segment's end instead of running off it.
"$ex/article_shmwrite" "$long"
expect_read "article shmwrite (no NUL) -> shmread (4096)" "${long:0:4096}" "$ex/shmread"

echo "article_interop: $checks checks passed (key $key)"
