#!/usr/bin/env bash
# `ipckit tour` runs every step to the end, narrates them, and leaves nothing behind.
#
# The tour runs in a private IPC namespace (unshare --ipc; we run as root): System V objects made
# there are invisible to, and cannot collide with, the tests running in parallel, and `ipcs`
# inside the same namespace afterwards lists exactly what the tour left behind, which must be
# nothing. POSIX names (/dev/shm, sockets under /tmp) are not namespaced; those of this run carry
# the tour's pid ("ipckit-tour-<pid>-...") and must be gone too.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "tour: $*" >&2
  exit 1
}

command -v unshare >/dev/null || fail "unshare (util-linux) is needed"
unshare --ipc true 2>/dev/null || fail "unshare --ipc failed: this test needs root (CAP_SYS_ADMIN)"

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Inside the namespace: run the tour, then report its pid, its exit code and what ipcs sees.
# shellcheck disable=SC2016  # expanded by the inner shell
unshare --ipc bash -c '
  "$IPCKIT" tour &
  pid=$!
  wait "$pid" && rc=0 || rc=$?
  echo "@@ tour-pid $pid"
  echo "@@ tour-rc $rc"
  ipcs -m -q -s | sed "s/^/@@ ipcs /"
' >"$out" 2>&1 || fail "unshare --ipc bash failed"

tour_pid=$(sed -n 's/^@@ tour-pid //p' "$out")
rc=$(sed -n 's/^@@ tour-rc //p' "$out")
if [ "$rc" != 0 ]; then
  grep -v '^@@' "$out" >&2
  fail "ipckit tour exited with status $rc"
fi
echo "ok: ipckit tour exited 0"

expect() {  # expect TEXT: the tour's output contains the line fragment TEXT
  grep -qF -- "$1" "$out" || {
    grep -v '^@@' "$out" >&2
    fail "the tour's output lacks: $1"
  }
}
expect "== 1. System V shared memory: the article's shmwrite and shmread =="
expect "Hello, IPC world!"
expect "[ok] the reader got \"Hello, IPC world!\", the text the writer left"
expect ". The race: copying lines through shared memory with no lock =="
expect ". The article's fix: a semaphore lock around every copy =="
expect "[ok] no read was torn"
expect ". System V message queues: typed messages, chosen by type =="
expect "[ok] MSG_EXCEPT with type 2 takes the oldest message NOT of type 2"
expect ". Permissions: who may attach, write and remove (the article's experiment) =="
# The permission experiment's table, exactly (as root: uid 65534 in and out of the group).
table="      object          mode  who    read-only  read-write  remove
      System V shm    0600  group  EACCES     EACCES      EPERM
      System V shm    0600  other  EACCES     EACCES      EPERM
      System V shm    0640  group  ok         EACCES      EPERM
      System V shm    0640  other  EACCES     EACCES      EPERM
      System V shm    0644  group  ok         EACCES      EPERM
      System V shm    0644  other  ok         EACCES      EPERM
      channel         0600  group  EACCES     EACCES      EACCES
      channel         0600  other  EACCES     EACCES      EACCES
      channel         0640  group  ok         EACCES      EACCES
      channel         0640  other  EACCES     EACCES      EACCES
      channel         0644  group  ok         EACCES      EACCES
      channel         0644  other  ok         EACCES      EACCES"
got=$(grep -A12 -xF "      object          mode  who    read-only  read-write  remove" "$out" || true)
[ "$got" = "$table" ] || fail "the permission table is not as documented; got:
$got"
expect "[ok] root removed all six (IPC_RMID, Channel::unlink)"
expect "Tour complete: every step behaved as described; nothing was left behind."
if grep -q '\[FAILED\]' "$out"; then
  grep -v '^@@' "$out" >&2
  fail "a check failed"
fi
echo "ok: the tour narrated its steps and every check passed"

# ipcs rows for objects start with their key ("0x..."); headers and blank lines do not.
left=$(sed -n 's/^@@ ipcs //p' "$out" | grep '^0x' || true)
[ -z "$left" ] || fail "System V objects left behind in the tour's IPC namespace:
$(sed -n 's/^@@ ipcs //p' "$out")"
echo "ok: no System V object left behind (ipcs in the tour's namespace is empty)"

names=$(find /dev/shm /tmp -maxdepth 2 -name "ipckit-tour-$tour_pid-*" 2>/dev/null || true)
[ -z "$names" ] || fail "names left behind by the tour (pid $tour_pid): $names"
echo "ok: no /dev/shm or /tmp name of tour pid $tour_pid left behind"
