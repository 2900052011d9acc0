#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `ipckit lsipc` against util-linux 2.38's lsipc: same stdout, stderr and exit status, option by
# option and in combination, on the same objects at the same moment (util-linux, then ipckit,
# back to back), in one private IPC namespace holding the fixed objects of
# tests/cli/sysv_compat/fixture.c (as ipcs_compat.sh; see there, also for COMPAT_PART=stat).
#
# Nothing is normalised. What could legitimately differ between the two back-to-back calls:
# the short time format prints HH:MM for objects made today and a date otherwise, so a run
# that straddles midnight could differ once; the objects' own times never change while the
# cases run (nothing operates on them).
set -uo pipefail
if [ -z "${COMPAT_INSIDE:-}" ]; then
  # shellcheck source=sysv_compat/compat_lib.sh
  source "$(dirname "$0")/sysv_compat/compat_lib.sh"
  compat_init lsipc_compat
  if [ "${COMPAT_PART:-main}" = stat ]; then
    # Hiding /proc/sysvipc takes a tmpfs mounted where only this test sees it.
    can_unshare_mount ||
      cannot_run_here "the *_STAT cases hide /proc/sysvipc with a tmpfs, which needs a private mount namespace"
    COMPAT_INSIDE=1 unshare --ipc --mount bash "$0"
  else
    COMPAT_INSIDE=1 unshare --ipc bash "$0"
  fi
  exit $?
fi
# shellcheck source=sysv_compat/compat_lib.sh
source "$(dirname "$0")/sysv_compat/compat_lib.sh"
compat_init lsipc_compat
SYS_lsipc=$(command -v lsipc) || compat_fail "util-linux's lsipc is needed for the comparison"

long_uid=$(getent passwd | awk -F: 'length($1) > 10 { print $3; exit }')
long_gid=$(getent group | awk -F: 'length($1) > 10 { print $3; exit }')
fixture_start \
  shm 0x1234 4096 0644 attach 2 touch \
  shm 0 100 0600 \
  shm 0xdeadbeef 1048576 0666 attach 1 own 12345 54321 \
  shm 0x42 8192 0600 attach 1 rmid \
  shm 0x43 65536 0640 attach 1 lock \
  shm 0x50 1500 0 \
  shm 0x7fffffff 3000000 0604 own "${long_uid:-4242}" "${long_gid:-4242}" \
  sem 0x5555 3 0600 setval 0 1 setval 1 5 semop 1 -2 waitzero 0 waitdec 2 \
  sem 0 1 0644 \
  sem 0x7777 2 0660 own "${long_uid:-4242}" "${long_gid:-4242}" \
  sem 0x80000000 5 0444 semop 4 7 \
  msg 0x9999 0600 send 1 100 send 2 50 recv \
  msg 0 0622 \
  msg 0x8888 0644 send 5 10 qbytes 1000 own 4242 0 \
  msg 0xffffffff 0640 send 1 2000 send 1 2000 send 3 1

same() {
  compat_clear
  run_as "$WORK/util" "" lsipc "$SYS_lsipc" "$@"
  run_as "$WORK/kit" "" ipckit "$IPCKIT" lsipc "$@"
  compat_check "lsipc $*"
}

ids() { awk 'NR > 1 { print $2 }' "/proc/sysvipc/$1"; }
shm_ids=$(ids shm) msg_ids=$(ids msg) sem_ids=$(ids sem)

# COMPAT_PART=stat (lsipc_compat_stat.sh) runs only the *_STAT cases at the end.
if [ "${COMPAT_PART:-main}" = main ]; then

# Every resource selection with every output mode and modifier.
for resources in "" -g -m -q -s "-g -m" "-g -q" "-g -s"; do
  for mode in "" -e -J -l -n -r; do
    for extra in "" -b -P --noheadings --notruncate -y "-b -P --noheadings"; do
      # shellcheck disable=SC2086  # each is zero or more words
      same $resources $mode $extra
    done
  done
done
for resources in -m -q -s; do
  for extra in -c -t "-t --time-format=full" "-t --time-format=iso" "-t --time-format=short" \
    "-c -e" "-t -J" "-t -r" "-c -n" "--time-format=iso"; do
    # shellcheck disable=SC2086
    same $resources $extra
  done
done
# -o: replacing, appending (+), case, every column of each kind, errors.
same -m -o KEY,SIZE
same -m -o +CUSER,CGROUP,USER,GROUP
same -m -o key,size,status
same -m -o KEY, -J
same -q -o +SEND,RECV,CTIME,CUSER -r
same -s -o NSEMS,OTIME,CTIME,UID,GID,CUID,CGID
same -m -o KEY,ID,OWNER,PERMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP,CTIME,SIZE,NATTCH,STATUS,ATTACH,DETACH,COMMAND,CPID,LPID
same -q -o KEY,ID,OWNER,PERMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP,CTIME,USEDBYTES,MSGS,SEND,RECV,LSPID,LRPID
same -g -o RESOURCE,USED
same -o +KEY
same -o KEY
same -o USE%,LIMIT -e -y
same -o FOO
same -o FOO,KEY
same -m -o SIZE,FOO
same -m -o NSEMS
same -q -o SIZE,KEY
same -g -o SIZE
same -m -o ""
same -m -o ,KEY
same -m -o KEY,,ID
same -m -o +
same -m -m -m -m -m -m
same -m -m -m -m -m -m -m
# --id: the detail view, and with list modes, for every object.
for id in $shm_ids; do
  same -m -i "$id"
  same -m -i "$id" -b -P
  same -m -i "$id" -t
  same -m -i "$id" -l
  same --shmems --id "$id" -J
  same -m -i "$id" -o KEY,SIZE
  same -m -i "$id" -o +KEY
done
for id in $msg_ids; do
  same -q -i "$id"
  same -q -i "$id" -c
  same -q -i "$id" -e
  same -q -i "$id" --time-format=iso
done
for id in $sem_ids; do
  same -s -i "$id"
  same -s -i "$id" -t
  same -s -i "$id" -r
  same -s -i "$id" --noheadings
done
same -m -i 99
same -q -i 99
same -s -i 99
same -s -i 99 -J
same -m -i -1
same -m -i -5
same -m -i x
same -m -i ""
same -m -i 99999999999
same -m -i
# Mutually exclusive options and other errors.
same -J -e
same -r -l
same -n -J
same -m -q
same -q -s
same -g -i 0
same -c -o KEY -m
same -t -o KEY -m
same -c -t -m
same -c
same -t
same -i 0
same --time-format=bogus -m
same --time-format
same -z
same --bogus
same --no
same --s
same --time=1
same -m extra
same -- -m
same -h
same --help
same -m -h
same -z -h

# As an unprivileged user: /proc still lists everything, but a semaphore set's counters need
# read permission (util-linux then fails, whatever the output mode).
same_as_nobody() {
  local runner="setpriv --reuid=65534 --regid=65534 --clear-groups --"
  compat_clear
  run_as "$WORK/util" "$runner" lsipc "$SYS_lsipc" "$@"
  run_as "$WORK/kit" "$runner" ipckit "$WORK/ipckit" lsipc "$@"
  compat_check "lsipc $* (as 65534)"
}
same_as_nobody
same_as_nobody -m -c
same_as_nobody -q -t
same_as_nobody -s -J
for id in $shm_ids; do same_as_nobody -m -i "$id"; done
for id in $msg_ids; do same_as_nobody -q -i "$id"; done
for id in $sem_ids; do
  same_as_nobody -s -i "$id"
  same_as_nobody -s -i "$id" -J
done

# --version names ipckit instead of util-linux: check its form only.
compat_clear
run_as "$WORK/kit" "" ipckit "$IPCKIT" lsipc -V
compat_expect "lsipc -V (form)" 0 ""
grep -qx "lsipc from ipckit [0-9][0-9.]*" "$WORK/kit.out" ||
  { COMPAT_FAILED=$((COMPAT_FAILED + 1)); echo "FAIL lsipc -V printed: $(cat "$WORK/kit.out")"; }

# Through a link named lsipc (argv[0] dispatch).
mkdir -p "$WORK/links"
ln -sf "$IPCKIT" "$WORK/links/lsipc"
for args in "" "-m" "-z" "-q -i 0"; do
  compat_clear
  # shellcheck disable=SC2086
  run_as "$WORK/util" "" lsipc "$SYS_lsipc" $args
  # shellcheck disable=SC2086
  run_as "$WORK/kit" "" lsipc "$WORK/links/lsipc" $args
  compat_check "lsipc $args (link)"
done

# A full stdout is a write error.
for args in "" "-m" "-h" "-m -i 0"; do
  compat_clear
  # shellcheck disable=SC2086
  (exec -a lsipc "$SYS_lsipc" $args) >/dev/full 2>"$WORK/util.err"
  echo $? >"$WORK/util.rc"
  # shellcheck disable=SC2086
  (exec -a ipckit "$IPCKIT" lsipc $args) >/dev/full 2>"$WORK/kit.err"
  echo $? >"$WORK/kit.rc"
  compat_check "lsipc $args >/dev/full"
done

fi

# The same views from the *_STAT syscalls: a tmpfs hides /proc/sysvipc from both tools.
if [ "${COMPAT_PART:-main}" = stat ]; then
mount -t tmpfs ipckit-hides-sysvipc /proc/sysvipc || compat_fail "cannot hide /proc/sysvipc"
for args in "" "-m" "-q" "-s" "-m -t" "-q -t" "-s -t" "-m -c" "-g -m"; do
  # shellcheck disable=SC2086
  same $args
done
for id in $shm_ids; do same -m -i "$id"; done
for id in $msg_ids; do same -q -i "$id"; done
for id in $sem_ids; do same -s -i "$id"; done
umount /proc/sysvipc
fi

fixture_stop
compat_summary
