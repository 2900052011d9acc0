#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `ipckit ipcrm` against util-linux 2.38's ipcrm: same stdout, stderr and exit status, and the
# same objects removed (the objects left afterwards are listed with util-linux's ipcs and must be
# identical), option by option, as root and as an unprivileged user.
#
# Each case runs twice, util-linux then ipckit, each in its own fresh IPC namespace holding the
# same objects (tests/cli/sysv_compat/), so ids and keys agree; nothing is normalised.
#
# Where util-linux 2.38 removes objects before it rejects the command line (`ipcrm -a shm`), or
# turns a malformed argument into a real id (`ipcrm shm ''` is id 0), ipckit deliberately
# differs: the case checks ipckit's message and status, and that nothing at all was removed.
set -uo pipefail
# shellcheck source=sysv_compat/compat_lib.sh
source "$(dirname "$0")/sysv_compat/compat_lib.sh"
compat_init ipcrm_compat

# shm ids 0-3, sem ids 0-2, msg ids 0-2; the last of each kind belongs to uid 65534.
FIXTURE="shm 0x1234 4096 0644 attach 1 shm 0 100 0600 shm 0x42 8192 0600 \
shm 0x65534 1024 0600 own 65534 65534 \
sem 0x5555 3 0600 sem 0x7777 2 0644 sem 0x6666 1 0600 own 65534 65534 \
msg 0x9999 0600 send 1 10 msg 0x8888 0644 msg 0x6565 0600 own 65534 65534"

same() {
  run_fresh root keep "$FIXTURE" ipcrm "$@"
  compat_check "ipcrm $*"
}

same_as_nobody() {
  run_fresh nobody keep "$FIXTURE" ipcrm "$@"
  compat_check "ipcrm $* (as 65534)"
}

# The objects as the fixture makes them: what a rejected command line must leave.
run_fresh root keep "$FIXTURE" ipcrm
cp "$WORK/kit.after" "$WORK/baseline"

# safe RC STDERR ARGS...: ipckit must print STDERR, exit RC, and remove nothing. (stdout is
# compared with util-linux's when util-linux prints the same, e.g. the usage for -h.)
safe() {
  local rc=$1 err=$2
  shift 2
  run_fresh root keep "$FIXTURE" ipcrm "$@"
  compat_expect "ipcrm $* (safe: nothing removed)" "$rc" "$err"
  if ! cmp -s "$WORK/baseline" "$WORK/kit.after"; then
    COMPAT_FAILED=$((COMPAT_FAILED + 1))
    echo "FAIL ipcrm $*: removed objects:"
    diff "$WORK/baseline" "$WORK/kit.after" | sed 's/^/     /'
  fi
}

try_help="Try 'ipcrm --help' for more information."

# By id.
same
same -m 0
same -m 1
same -m 2 -m 1
same -m 0 -m 0
same -q 0
same -s 1
same -m 1 -q 0 -s 1
same -m 3 -q 2 -s 2
same --shmem-id 0
same --shmem-id=2
same --queue-id 1
same --semaphore-id=0
same -m0
same -m 99
same -q 99
same -s 99
same -m -1
same -m " 1"
same -m +1
same -m 32768
same -m 2147483647
# By key: hex, decimal, octal.
same -M 0x1234
same -M 4660
same -M 011064
same -M 0X1234
same -Q 0x9999
same -S 0x5555
same -S 0x7777 -Q 0x8888 -M 0x42
same --shmem-key 0x42
same --queue-key=0x8888
same --semaphore-key 0x6666
same -M 0x9999
same -Q 0x1234
same -M 0x4321
same -M -1
same -M 0xffffffff
same -M 0x42 -M 0x42
same -m 2 -M 0x42
same -M 0x42 -m 2
same -m 0 -M 0x1234
# Key 0 is IPC_PRIVATE: never a key to look up.
same -M 0
same -M 0x0
same -M 00
same -Q -0
same -S " 0"
# Unparsable ids and keys.
same -m abc
same -m 1x
same -m ""
same -m 0x1
same -m 99999999999
same -m 2147483648
same -q -2147483649
same -M abc
same -M 0x
same -M 08
same -M 1x
same -M " "
same -M 99999999999999999999
# -a and its optional argument (only as -aX or --all=X).
same -a
same --all
same -ashm
same -amsg
same -asem
same --all=shm
same --all=msg
same --all=sem
same -a -asem
same -asem -amsg
same -abogus
same --all=bogus
same -a=shm
same -a -m 0
same -m 0 -a
same -M 0x42 -asem
# -v, wherever it is (util-linux reads it as it goes).
same -v -a
same -a -v
same -av
same -va
same -v -m 0 -M 0x42
same -m 0 -v -m 1
same -m 0 -m 1 -v
same -vm0
same --verbose -q 0 -s 0
same -v -m 99
# The historical syntax.
same shm 0
same shm 0 1 2
same shm 1 99 2
same msg 0 1
same sem 2 0
same shm -1
same shm 2147483648
same shm 99
same shm
same msg
same shm abc
same sem 1x
same foo
same shmx 0
# Usage errors and help.
same -z
same --bogus
same -m
same -M
same -q
same -S
same --sh 0
same --se 0
same --shmem-i 0
same -- -m 0
same -m 0 --
same -h
same --help
same -h extra
same -h -m 0
same -z -h

# --version names ipckit instead of util-linux: check its form only.
run_fresh root keep "$FIXTURE" ipcrm -V
compat_expect "ipcrm -V (form)" 0 ""
grep -qx "ipcrm from ipckit [0-9][0-9.]*" "$WORK/kit.out" ||
  { COMPAT_FAILED=$((COMPAT_FAILED + 1)); echo "FAIL ipcrm -V printed: $(cat "$WORK/kit.out")"; }

# An empty key: util-linux appends whatever errno setlocale() left (ENOENT for C.UTF-8, whose
# files it looks up first; nothing for C).
same -M ""
LC_ALL=C same -M ""

# As an unprivileged user: permission errors, and the objects 65534 owns.
same_as_nobody -m 0
same_as_nobody -m 3
same_as_nobody -M 0x1234
same_as_nobody -M 0x65534
same_as_nobody -q 0 -q 2
same_as_nobody -S 0x5555 -S 0x6666
same_as_nobody -a
same_as_nobody -v -a
same_as_nobody -ashm
same_as_nobody shm 0 3
same_as_nobody sem 2

# Deliberate differences (docs/ipcs.md): util-linux 2.38 removes first and complains after, or
# turns the argument into another object's id or key; ipckit removes nothing.
safe 1 "ipcrm: unknown argument: shm
$try_help" -a shm
safe 1 "ipcrm: unknown argument: sem
$try_help" -m 0 -a sem
safe 1 "ipcrm: unknown argument: extra
$try_help" -m 0 extra
safe 1 "ipcrm: unknown argument: extra
$try_help" extra -m 0
safe 1 "ipcrm: invalid option -- 'z'
$try_help" -m 0 -z
safe 1 "ipcrm: failed to parse argument: 'abc'" -m 0 -m abc
safe 1 "ipcrm: failed to parse argument: 'abc'" -M 0x42 -m abc
safe 1 "ipcrm: unknown argument: foo
$try_help" foo -m 0
safe 1 "ipcrm: illegal key (0)" -M 0 -m 1
safe 1 "ipcrm: illegal key (0)" -m 1 -M 0
safe 1 "ipcrm: invalid id: -v" shm 0 -v
safe 1 "ipcrm: invalid id: abc" msg 0 abc 1
safe 1 "ipcrm: invalid id: " shm ""
safe 1 "ipcrm: invalid id: 4294967296" shm 4294967296
safe 1 "ipcrm: invalid id: 99999999999999999999" shm 99999999999999999999
safe 1 "ipcrm: failed to parse argument: '0x100000000': Numerical result out of range" \
  -M 0x100000000
safe 1 "ipcrm: failed to parse argument: '0x100001234': Numerical result out of range" \
  -M 0x100001234
safe 1 "ipcrm: failed to parse argument: '-4294967295': Numerical result out of range" \
  -M -4294967295
safe 0 "" -m 0 -h
cmp -s "$WORK/util.out" "$WORK/kit.out" ||
  { COMPAT_FAILED=$((COMPAT_FAILED + 1)); echo "FAIL ipcrm -m 0 -h: usage differs"; }
safe 0 "" -m 0 -V

compat_summary
