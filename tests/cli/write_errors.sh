#!/usr/bin/env bash
# A failed write to stdout is one line on stderr and the documented exit code, never a signal or
# an abort, for every command that writes to stdout (docs/cli.md "Write errors"):
#   - the `ipckit` commands: "ipckit: write error: REASON" (or, for data, "ipckit: VERB:
#     write(stdout): REASON"), exit 1; a reader that went away (EPIPE) exit 3;
#   - the util-linux drop-ins as util-linux 2.38's close_stdout(): "ipcs: write error" and exit 1
#     after a failed write, "ipcmk: write error: No space left on device" when only the final
#     flush failed; with SIGPIPE at its default they die of it quietly, as util-linux does; with
#     SIGPIPE ignored, a reader that went away is "write error", exit 1 (ipcmk, whose one line is
#     written at exit: 0).
#
# Runs in a private IPC namespace (unshare --ipc; we run as root) so that the 80 segments that
# make `ipcs` print more than stdio's 4 KiB buffer are invisible to the tests running in
# parallel, and vanish with the namespace.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "write_errors: FAIL: $*" >&2
  exit 1
}
[ -w /dev/full ] || fail "/dev/full is needed"
env --ignore-signal=PIPE true 2>/dev/null || fail "env --ignore-signal (coreutils 8.31+) is needed"
unshare --ipc true 2>/dev/null || fail "unshare --ipc failed: this test needs root (CAP_SYS_ADMIN)"

if [ "${1-}" != --in-namespace ]; then
  exec unshare --ipc bash "$0" --in-namespace
fi

prefix=ipckit-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-write-errors.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  "$IPCKIT" chan rm "$prefix-c" >/dev/null 2>&1 || true
  "$IPCKIT" shm rm "$prefix-m" >/dev/null 2>&1 || true
  "$IPCKIT" mq rm "$prefix-q" >/dev/null 2>&1 || true
  "$IPCKIT" sem rm "$prefix-s" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# full CODE LINE COMMAND...: COMMAND >/dev/full exits with CODE (no signal) and prints exactly LINE
# on stderr (LINE is an extended regex, anchored at both ends).
full() {
  local code=$1 line=$2 rc=0
  shift 2
  timeout 30 "$@" >/dev/full 2>"$work/stderr.all" </dev/null || rc=$?
  # ls and rm --stale warn about what they cannot see on this machine (no mqueue mount, other
  # users' processes): not write errors.
  grep -Ev '^ipckit: (ls|rm): ' "$work/stderr.all" >"$work/stderr" || true
  local what="'${*#"$IPCKIT" } >/dev/full'"
  [ "$rc" -eq "$code" ] || fail "$what exited with $rc, expected $code; stderr: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "$what: expected one line on stderr, got:
$(cat "$work/stderr")"
  grep -Eq "^$line\$" "$work/stderr" || fail "$what: stderr is not '$line': $(cat "$work/stderr")"
  echo "ok: $what -> $rc: $(cat "$work/stderr")"
}

# piped SIGPIPE CODE LINE COMMAND...: COMMAND writing into a pipe whose reader has gone (its read
# end is closed before COMMAND starts, so every write fails with EPIPE or raises SIGPIPE), with
# SIGPIPE "ignore"d or at its "default" in COMMAND: exits with CODE and prints LINE on stderr (an
# empty LINE: nothing).
piped() {
  local disposition=$1 code=$2 line=$3 rc=0
  shift 3
  python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
rc = subprocess.run(sys.argv[1:], stdout=w, stdin=subprocess.DEVNULL, timeout=30).returncode
sys.exit(128 - rc if rc < 0 else rc)  # killed by signal N: 128 + N, as a shell reports it
' env "--$disposition-signal=PIPE" "$@" 2>"$work/stderr.all" || rc=$?
  grep -Ev '^ipckit: (ls|rm): ' "$work/stderr.all" >"$work/stderr" || true
  local what="'${*#"$IPCKIT" } | (closed)' (SIGPIPE $disposition)"
  [ "$rc" -eq "$code" ] || fail "$what exited with $rc, expected $code; stderr: $(cat "$work/stderr")"
  if [ -z "$line" ]; then
    [ ! -s "$work/stderr" ] || fail "$what: expected no message, got: $(cat "$work/stderr")"
  else
    if [ "$(wc -l <"$work/stderr")" -ne 1 ] || ! grep -Eq "^$line\$" "$work/stderr"; then
      fail "$what: stderr is not '$line': $(cat "$work/stderr")"
    fi
  fi
  echo "ok: $what -> $rc${line:+: $line}"
}

nospace="No space left on device"

# ================================================================================================
# The drop-ins. 80 segments: `ipcs -a` and `lsipc -m` print over 4.5 KiB, more than stdio's
# buffer, so a write fails before the end (util-linux: "write error" with no reason).
for _ in $(seq 80); do "$IPCKIT" ipcmk -M 4096 >/dev/null; done
[ "$("$IPCKIT" ipcs -a | wc -c)" -gt 4500 ] || fail "ipcs -a prints less than 4500 bytes"
[ "$("$IPCKIT" lsipc -m | wc -c)" -gt 4500 ] || fail "lsipc -m prints less than 4500 bytes"

full 1 "ipcs: write error" "$IPCKIT" ipcs -a
full 1 "lsipc: write error" "$IPCKIT" lsipc -m
full 1 "ipcs: write error: $nospace" "$IPCKIT" ipcs -l
full 1 "ipcmk: write error: $nospace" "$IPCKIT" ipcmk -Q
id=$("$IPCKIT" ipcs -m | awk '$1 ~ /^0x/ && id == "" { id = $2 } END { print id }')
full 1 "ipcrm: write error: $nospace" "$IPCKIT" ipcrm -v -m "$id"
"$IPCKIT" ipcs -m | awk -v id="$id" '$2 == id { found = 1 } END { exit !found }' &&
  fail "ipcrm -v >/dev/full did not remove shmid $id"
echo "ok: ipcrm -v >/dev/full still removed shmid $id"

piped ignore 1 "ipcs: write error" "$IPCKIT" ipcs -a
piped ignore 1 "lsipc: write error" "$IPCKIT" lsipc -m
piped ignore 0 "" "$IPCKIT" ipcmk -M 4096
piped default 141 "" "$IPCKIT" ipcs -a # 128 + SIGPIPE, as util-linux
# The same through links named after the tools.
mkdir "$work/bin"
ln -s "$IPCKIT" "$work/bin/ipcs"
full 1 "ipcs: write error" "$work/bin/ipcs" -a
piped ignore 1 "ipcs: write error" "$work/bin/ipcs" -a

# ================================================================================================
# The ipckit commands: a report, and data.
"$IPCKIT" chan create "$prefix-c" --capacity 64K
"$IPCKIT" shm create "$prefix-m" --size 1M
"$IPCKIT" mq create "$prefix-q"
"$IPCKIT" sem create "$prefix-s" --value 3

full 1 "ipckit: write error: $nospace" "$IPCKIT" ls
full 1 "ipckit: write error: $nospace" "$IPCKIT" ls --json
full 1 "ipckit: write error: $nospace" "$IPCKIT" rm --stale
full 1 "ipckit: write error: $nospace" "$IPCKIT" chan stat "$prefix-c"
full 1 "ipckit: write error: $nospace" "$IPCKIT" chan stat --json "$prefix-c"
full 1 "ipckit: write error: $nospace" "$IPCKIT" shm stat "$prefix-m"
full 1 "ipckit: write error: $nospace" "$IPCKIT" mq stat "$prefix-q"
full 1 "ipckit: write error: $nospace" "$IPCKIT" sem get "$prefix-s"
full 1 "ipckit: write error: $nospace" "$IPCKIT" tour --list
full 1 "ipckit: write error: $nospace" "$IPCKIT" --help
full 1 "ipckit: write error: $nospace" "$IPCKIT" chan --help
full 1 "ipckit: write error: $nospace" "$IPCKIT" --version
full 1 "ipckit: shm read: write\\(stdout\\): $nospace" "$IPCKIT" shm read "$prefix-m"

# mq recv: the message that could not be written is lost (mq_receive took it); the docs say so.
"$IPCKIT" mq send "$prefix-q" hello
full 1 "ipckit: mq recv: write\\(stdout\\): $nospace" "$IPCKIT" mq recv "$prefix-q"

# chan recv: the messages stay in the ring, for the next receiver.
printf 'one\ntwo\n' | "$IPCKIT" chan send "$prefix-c" --lines
full 1 "ipckit: chan recv: write\\(stdout\\): $nospace" \
  "$IPCKIT" chan recv "$prefix-c" --lines --count 2 --timeout 10

# sock recv: the datagram that could not be written is lost with its socket.
"$IPCKIT" sock recv "@$prefix-sock" --type dgram --timeout 20 >/dev/full 2>"$work/sock.err" &
sock_pid=$!
pids+=("$sock_pid")
for _ in $(seq 200); do
  "$IPCKIT" sock send "@$prefix-sock" --type dgram hello 2>/dev/null && break
  sleep 0.05
done
rc=0
wait "$sock_pid" || rc=$?
if [ "$rc" -ne 1 ] || [ "$(wc -l <"$work/sock.err")" -ne 1 ] ||
  ! grep -Eq "^ipckit: sock recv: write\\(stdout\\): $nospace\$" "$work/sock.err"; then
  fail "sock recv >/dev/full exited with $rc: $(cat "$work/sock.err")"
fi
echo "ok: 'sock recv >/dev/full' -> 1: $(cat "$work/sock.err")"

# fd recv: prints the paths of the descriptors it got; the descriptors are closed at exit.
"$IPCKIT" fd recv "@$prefix-fd" --timeout 20 >/dev/full 2>"$work/fd.err" &
fd_pid=$!
pids+=("$fd_pid")
for _ in $(seq 200); do
  "$IPCKIT" fd send "@$prefix-fd" /etc/hostname 2>/dev/null && break
  sleep 0.05
done
rc=0
wait "$fd_pid" || rc=$?
if [ "$rc" -ne 1 ] || [ "$(wc -l <"$work/fd.err")" -ne 1 ] ||
  ! grep -Eq "^ipckit: write error: $nospace\$" "$work/fd.err"; then
  fail "fd recv >/dev/full exited with $rc: $(cat "$work/fd.err")"
fi
echo "ok: 'fd recv >/dev/full' -> 1: $(cat "$work/fd.err")"

# The tour: its narration fails to print, yet it finishes and removes what it made.
before=$("$IPCKIT" ipcs -m | grep -c '^0x' || true)
full 1 "ipckit: write error: $nospace" "$IPCKIT" tour --step 1
after=$("$IPCKIT" ipcs -m | grep -c '^0x' || true)
[ "$before" = "$after" ] || fail "tour --step 1 >/dev/full left segments behind ($before, then $after)"
echo "ok: tour --step 1 >/dev/full left no segment behind"

# A reader that goes away: the ipckit commands ignore SIGPIPE whatever they inherit, and say so.
for disposition in ignore default; do
  piped "$disposition" 3 "ipckit: write error: Broken pipe" "$IPCKIT" ls --json
  piped "$disposition" 3 "ipckit: shm read: write\\(stdout\\): Broken pipe" \
    "$IPCKIT" shm read "$prefix-m"
done
echo "write_errors: all passed"
