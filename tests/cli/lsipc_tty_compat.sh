#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# `ipckit lsipc` against util-linux 2.38's lsipc with stdout on a terminal: libsmartcols then
# fits the table to the terminal's width (COMMAND truncated, an extreme STATUS cell wrapping the
# row), and both must print the same bytes. Also a creator whose command line is multibyte
# UTF-8 (double-width CJK too): widths are screen columns, on a terminal and off one. Each case runs both tools on a new
# pseudo-terminal of a given width (sysv_compat/pty_run.py), back to back, in one private IPC
# namespace holding fixture objects (as lsipc_compat.sh), and compares stdout,
# stderr and exit status. Also: the width comes from the terminal first, then $COLUMNS, then 80.
set -uo pipefail
if [ -z "${COMPAT_INSIDE:-}" ]; then
  # shellcheck source=sysv_compat/compat_lib.sh
  source "$(dirname "$0")/sysv_compat/compat_lib.sh"
  compat_init lsipc_tty_compat
  COMPAT_INSIDE=1 unshare --ipc bash "$0"
  exit $?
fi
# shellcheck source=sysv_compat/compat_lib.sh
source "$(dirname "$0")/sysv_compat/compat_lib.sh"
compat_init lsipc_tty_compat
SYS_lsipc=$(command -v lsipc) || compat_fail "util-linux's lsipc is needed for the comparison"
command -v python3 >/dev/null || compat_fail "python3 is needed (pseudo-terminals)"
python3 -c 'import os; os.openpty()' 2>/dev/null ||
  cannot_run_here "no pseudo-terminal can be opened (is /dev/pts mounted?)"
PTY_RUN="$COMPAT_DIR/pty_run.py"

# The fixture's command line is long (COMMAND gets truncated); 0x44 is both removed and locked,
# so its STATUS, "dest,locked", is an extreme cell among mostly empty ones.
fixture_start \
  shm 0x1234 4096 0644 attach 2 touch \
  shm 0 100 0600 \
  shm 0xdeadbeef 1048576 0666 attach 1 own 12345 54321 \
  shm 0x42 8192 0600 attach 1 rmid \
  shm 0x43 65536 0640 attach 1 lock \
  shm 0x44 4096 0600 attach 1 lock rmid \
  shm 0x50 1500 0 \
  sem 0x5555 3 0600 setval 0 1 setval 1 5 \
  sem 0x7777 2 0660 \
  msg 0x9999 0600 send 1 100 send 2 50 recv \
  msg 0x8888 0644 send 5 10 qbytes 1000

# same_tty COLS ARGS...: both tools on a COLS-column terminal ($COLUMNS as in the caller).
same_tty() {
  local cols=$1
  shift
  compat_clear
  python3 "$PTY_RUN" "$cols" "$WORK/util" lsipc "$SYS_lsipc" "$@"
  python3 "$PTY_RUN" "$cols" "$WORK/kit" ipckit "$IPCKIT" lsipc "$@"
  compat_check "tty $cols${COLUMNS:+ COLUMNS=$COLUMNS}: lsipc $*"
}

# Widths that cut, fit and leave room. Sanitizer builds check memory on fewer widths: the bytes are
# proven by the default build, and each case costs seconds there (CI's time budget).
if [ -n "${IPCKIT_SANITIZE:-}" ]; then
  widths=(40)
  mb_widths=(33)
else
  widths=(20 80 200)
  mb_widths=(20 33 47 120)
fi

unset COLUMNS
sem_id=$(awk 'NR == 2 { print $2 }' /proc/sysvipc/sem)
for cols in "${widths[@]}"; do
  for args in "" -m -s -q -g "-m --notruncate" "-m -c" "-m -t" "-m -b -P" "-m --noheadings" \
    "-m -y" "-g -m" "-g -y" "-m -o KEY,COMMAND" "-m -o COMMAND,KEY,COMMAND" "-m -o COMMAND,ID" \
    "-m -o KEY,STATUS,ID --notruncate" "-m -o STATUS,KEY" "-m -o ID,STATUS" \
    "-m -o +STATUS,USER --notruncate" "-q -c -t" "-s -t" "-m -r" "-m -J" "-m -e" "-m -n" \
    "-s -i $sem_id" "-m -i 0" "-m -i 0 -l"; do
    # shellcheck disable=SC2086  # each is zero or more words
    same_tty "$cols" $args
  done
done
# Where the width comes from: the terminal, else a valid $COLUMNS, else 80.
COLUMNS=50 same_tty 0 -m
COLUMNS=150 same_tty 0 -m
COLUMNS=50 same_tty 100 -m
COLUMNS=abc same_tty 0 -m
COLUMNS=-5 same_tty 0 -m
COLUMNS=60x same_tty 0 -m
same_tty 0 -m
unset COLUMNS

fixture_stop

# Multibyte command lines: COMMAND is measured, aligned and cut in screen columns.
FIXTURE_ARGV0="fixture-žluťoučký-kůň-日本語-ＡＢＣ-αβγ" fixture_start \
  shm 0x6666 4096 0600 attach 1 \
  shm 0x6667 8192 0644 attach 1 lock
mb_id=$(awk '$1 == 26214 { print $2 }' /proc/sysvipc/shm)
mb_cases=("-m" "-m --notruncate" "-m -o COMMAND,KEY" "-m -o KEY,COMMAND,ID" "-m -o COMMAND"
  "-m -r" "-m -J" "-m -e" "-m -n" "-m -y" "-m -i $mb_id" "-m -i $mb_id -l")
for cols in "${mb_widths[@]}"; do
  for args in "${mb_cases[@]}"; do
    # shellcheck disable=SC2086  # each is zero or more words
    same_tty "$cols" $args
  done
done
for args in "${mb_cases[@]}"; do  # off a terminal
  compat_clear
  # shellcheck disable=SC2086
  run_as "$WORK/util" "" lsipc "$SYS_lsipc" $args
  # shellcheck disable=SC2086
  run_as "$WORK/kit" "" ipckit "$IPCKIT" lsipc $args
  compat_check "no tty: lsipc $args"
done
fixture_stop
compat_summary
