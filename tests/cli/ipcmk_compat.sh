#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `ipckit ipcmk` against util-linux 2.38's ipcmk: same stdout, stderr and exit status, and the
# same objects made (size, mode, semaphore count), option by option.
#
# Each case runs twice, util-linux then ipckit, each in its own fresh IPC namespace holding the
# same few objects (tests/cli/sysv_compat/), so both hand out the same ids. One normalisation:
# the key column of the objects listed afterwards is replaced by KEY, because ipcmk picks a
# random key. The objects go away with their namespace.
set -uo pipefail
# shellcheck source=sysv_compat/compat_lib.sh
source "$(dirname "$0")/sysv_compat/compat_lib.sh"
compat_init ipcmk_compat

FIXTURE="shm 0x1234 4096 0644 attach 1 sem 0x5555 3 0600 msg 0x9999 0600 send 1 10"

same() {
  run_fresh root random "$FIXTURE" ipcmk "$@"
  compat_check "ipcmk $*"
}

# Shared memory sizes: plain, binary and decimal suffixes, fractions, C number bases, blanks.
for size in 1 4096 1K 1k 1KiB 1kib 1KB 1kb 1M 2m 1MiB 1MB 1.5K 0.5M 1.05K 1.005K 1.0K 1.K \
  0.9999K 1.999999K 2.5m 0x10 010 010K 0x1K +5 " 10" 1G; do
  same -M "$size"
done
# Sizes that do not parse or that the kernel refuses.
for size in 1Q 1Ki 1iB 1B 1b 1.5 1.0 .5K 1e3 "1 " "1.5 K" 1,5K -5 "" abc 08 0x \
  99999999999999999999999 18446744073709551616 16E 1Z 1Y 3.33333333333333333333333K \
  0 0K 1E 15E 18446744073709551615; do
  same -M "$size"
done
same --shmem 8K
same --shmem=8K
same -M8K

# Semaphore sets and queues.
for n in 1 3 250 " 4" +2 0 -1 abc 1x "" 99999999999 2147483648; do
  same -S "$n"
done
same --semaphore 2
same --semaphore=2
same -Q
same --queue
same -QM 1K
same -M 10 -Q -S 2
same -S 2 -Q -M 10

# Modes: octal, with and without a leading 0, bits outside 0777, garbage.
for mode in 0600 600 0 777 0777 01777 0100000 " 644" +644 -1 9 abc 0x1ff "" 8 \
  99999999999999999999999; do
  same -Q -p "$mode"
  same -S 1 --mode "$mode"
done
same -M 1K -p 0600
same -M 1K --mode=0400 -Q -S 1
same -p 0600 -M 1K
same -M 1K -p 0600 -p 0640

# Usage errors and help.
same
same -p 600
same extra
same -Q extra
same -z
same --bogus
same -M
same -S
same -p
same --shmem
same --sh 5
same --s 2
same -Q -M 1Q
same -M 1Q -Q
same -Q -z
same -h
same --help
same -h -z
same -z -h
same -Q -h
same -- -Q
same -Q --
POSIXLY_CORRECT=1 same -Q extra -M 1K

# --version names ipckit instead of util-linux: check its form only.
run_fresh root random "$FIXTURE" ipcmk -V
compat_expect "ipcmk -V (form)" 0 ""
grep -qx "ipcmk from ipckit [0-9][0-9.]*" "$WORK/kit.out" ||
  { COMPAT_FAILED=$((COMPAT_FAILED + 1)); echo "FAIL ipcmk -V printed: $(cat "$WORK/kit.out")"; }

# As an unprivileged user.
run_fresh nobody random "$FIXTURE" ipcmk -M 1K -Q -S 2 -p 0600
compat_check "ipcmk -M 1K -Q -S 2 -p 0600 (as 65534)"

compat_summary
