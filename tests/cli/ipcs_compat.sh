#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `ipckit ipcs` against util-linux 2.38's ipcs: same stdout, stderr and exit status, option by
# option, on the same objects at the same moment (util-linux, then ipckit, back to back).
#
# The whole test runs in one private IPC namespace holding a fixed set of objects
# (tests/cli/sysv_compat/fixture.c): segments of several sizes, modes and keys (IPC_PRIVATE
# included), attached and not, one removed while attached ("dest"), one locked; semaphore sets
# with several counters, processes blocked on them (ncount, zcount) and a last-op pid; queues
# holding messages; owners without a name and with a name longer than ipcs's columns. Nothing
# changes while the cases run, so nothing is normalised. With COMPAT_PART=stat
# (ipcs_compat_stat.sh) it runs the same cases on the *_STAT syscalls instead (util-linux's
# fallback when /proc/sysvipc is missing: a tmpfs hides it, in a private mount namespace).
set -uo pipefail
if [ -z "${COMPAT_INSIDE:-}" ]; then
  # Checks, work dir and fixture build happen outside, then everything else in the namespace.
  # shellcheck source=sysv_compat/compat_lib.sh
  source "$(dirname "$0")/sysv_compat/compat_lib.sh"
  compat_init ipcs_compat
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
compat_init ipcs_compat

# An owner and a group whose names are longer than ipcs's 10 columns, when the system has them.
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
  run_as "$WORK/util" "" ipcs "$SYS_ipcs" "$@"
  run_as "$WORK/kit" "" ipckit "$IPCKIT" ipcs "$@"
  compat_check "ipcs $*"
}

same_as_nobody() {
  local runner="setpriv --reuid=65534 --regid=65534 --clear-groups --"
  compat_clear
  run_as "$WORK/util" "$runner" ipcs "$SYS_ipcs" "$@"
  run_as "$WORK/kit" "$runner" ipckit "$WORK/ipckit" ipcs "$@"
  compat_check "ipcs $* (as 65534)"
}

ids() { awk 'NR > 1 { print $2 }' "/proc/sysvipc/$1"; }
shm_ids=$(ids shm) msg_ids=$(ids msg) sem_ids=$(ids sem)

# COMPAT_PART=stat (ipcs_compat_stat.sh) runs only the *_STAT cases at the end.
if [ "${COMPAT_PART:-main}" = main ]; then

# Every resource selection with every output format and unit.
for resources in "" -a -m -q -s "-m -q" "-q -s" "-m -s" "-m -q -s"; do
  for format in "" -t -p -c -l -u; do
    for unit in "" -b --human; do
      # shellcheck disable=SC2086  # each is zero or more words
      same $resources $format $unit
    done
  done
done
# Long forms, clusters, and "only the last output format counts".
for args in "--shmems" "--queues" "--semaphores" "--all" "--time" "--pid" "--creator" \
  "--limits" "--summary" "--bytes" "--human" "--shmems --time" "--queues --pid --human" \
  "--semaphores --creator" "--limits --bytes" "--summary --human" "-mqs" "-mt" "-qpb" \
  "-sc" "-lb" "-ub" "-t -p" "-p -t" "-l -u" "-u -c" "-c -l" "-b --human" "--human -b" \
  "-m -t -l" "--sh" "--q" "--se" "--ti" "--cr" "--li" "--su" "--hu" "--by" "--a"; do
  # shellcheck disable=SC2086
  same $args
done

# -i detail views: every object of each kind, in each unit, and the ways to write it.
for id in $shm_ids; do
  same -m -i "$id"
  same -m -i "$id" -b
  same -m -i "$id" --human
  same --shmems --id "$id" -t
done
for id in $msg_ids; do
  same -q -i "$id"
  same -q -i "$id" -b
  same -q -i "$id" --human
  same --queues --id="$id" -c
done
for id in $sem_ids; do
  same -s -i "$id"
  same -s -i "$id" --human
  same --semaphores -i"$id" -u
done
same -mi0
same -i 0 -m
same -m -i 1 -i 0
same -q -i " 1"
same -q -i +1
# -i errors: no such id, no or several resources, bad numbers.
same -m -i 99
same -q -i 99
same -s -i 99
same -m -i 2147483647
same -i 0
same -m -q -i 0
same -a -i 0
same -m -s -q -i 0
same -m -i abc
same -m -i 1x
same -m -i 0x1
same -m -i ""
same -m -i 99999999999
same -m -i -99999999999
same -m -i
same -i
same --id
# Usage errors, help, stray arguments, "--".
same -z
same -mz
same --bogus
same --h
same --s
same --shmems=1
same -h
same --help
same -h -z
same -z -h
same -m -h
same -m extra
same extra -q
same -- -m
same -m -- -q
POSIXLY_CORRECT=1 same -m extra -t

# As an unprivileged user: /proc still lists everything, but a semaphore set's counters need
# read permission (util-linux then fails) and a queue's qbytes reads as 0.
same_as_nobody
same_as_nobody -c
same_as_nobody -t
same_as_nobody -u
for id in $shm_ids; do same_as_nobody -m -i "$id"; done
for id in $msg_ids; do same_as_nobody -q -i "$id"; done
for id in $sem_ids; do same_as_nobody -s -i "$id"; done

# --version names ipckit instead of util-linux: check its form only.
compat_clear
run_as "$WORK/kit" "" ipckit "$IPCKIT" ipcs -V
compat_expect "ipcs -V (form)" 0 ""
grep -qx "ipcs from ipckit [0-9][0-9.]*" "$WORK/kit.out" ||
  { COMPAT_FAILED=$((COMPAT_FAILED + 1)); echo "FAIL ipcs -V printed: $(cat "$WORK/kit.out")"; }

# A negative id is never found (util-linux 2.38 printed the first object under that id).
compat_clear
run_as "$WORK/kit" "" ipckit "$IPCKIT" ipcs -m -i -1
compat_expect "ipcs -m -i -1 (safe: not found)" 0 "ipcs: id -1 not found"
[ ! -s "$WORK/kit.out" ] || { COMPAT_FAILED=$((COMPAT_FAILED + 1)); echo "FAIL ipcs -m -i -1 printed"; }

# A full stdout is a write error.
for args in "" "-h" "-m -i 0"; do
  compat_clear
  # shellcheck disable=SC2086
  (exec -a ipcs "$SYS_ipcs" $args) >/dev/full 2>"$WORK/util.err"
  echo $? >"$WORK/util.rc"
  # shellcheck disable=SC2086
  (exec -a ipckit "$IPCKIT" ipcs $args) >/dev/full 2>"$WORK/kit.err"
  echo $? >"$WORK/kit.rc"
  compat_check "ipcs $args >/dev/full"
done

# Through links named after the tools (argv[0] dispatch), by name and by path.
mkdir -p "$WORK/links"
for name in ipcs ipcmk ipcrm; do ln -sf "$IPCKIT" "$WORK/links/$name"; done
for args in "-m" "-z" "-q -i 0" "--h"; do
  compat_clear
  # shellcheck disable=SC2086
  run_as "$WORK/util" "" ipcs "$SYS_ipcs" $args
  # shellcheck disable=SC2086
  run_as "$WORK/kit" "" ipcs "$WORK/links/ipcs" $args
  compat_check "ipcs $args (link)"
  compat_clear
  # shellcheck disable=SC2086
  run_as "$WORK/util" "" "$WORK/links/ipcs" "$SYS_ipcs" $args
  # shellcheck disable=SC2086
  run_as "$WORK/kit" "" "$WORK/links/ipcs" "$WORK/links/ipcs" $args
  compat_check "ipcs $args (link, run by its path)"
done
for args in "" "-z" "-M 1Q"; do
  compat_clear
  # shellcheck disable=SC2086
  run_as "$WORK/util" "" ipcmk "$SYS_ipcmk" $args
  # shellcheck disable=SC2086
  run_as "$WORK/kit" "" ipcmk "$WORK/links/ipcmk" $args
  compat_check "ipcmk $args (link)"
done
for args in "-z" "-m 99" "-M 0" "shm"; do
  compat_clear
  # shellcheck disable=SC2086
  run_as "$WORK/util" "" ipcrm "$SYS_ipcrm" $args
  # shellcheck disable=SC2086
  run_as "$WORK/kit" "" ipcrm "$WORK/links/ipcrm" $args
  compat_check "ipcrm $args (link)"
done

fi

# The same views from the *_STAT syscalls: a tmpfs hides /proc/sysvipc from both tools.
if [ "${COMPAT_PART:-main}" = stat ]; then
mount -t tmpfs ipckit-hides-sysvipc /proc/sysvipc || compat_fail "cannot hide /proc/sysvipc"
for args in "" "-t" "-p" "-c" "-u" "-l" "--human" "-b"; do
  # shellcheck disable=SC2086
  same $args
done
for id in $shm_ids; do same -m -i "$id"; done
for id in $msg_ids; do same -q -i "$id"; done
for id in $sem_ids; do same -s -i "$id"; done
same -m -i 99
umount /proc/sysvipc
fi

fixture_stop
compat_summary
