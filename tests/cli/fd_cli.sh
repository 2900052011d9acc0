#!/usr/bin/env bash
# `ipckit fd send|recv`: descriptors handed from one process to another over a Unix socket;
# `fd recv -- COMMAND` runs COMMAND on the first one, and exits with its status; without a
# command it prints what each descriptor refers to. Errors exit with the codes of docs/cli.md.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "fd_cli: FAIL: $*" >&2
  exit 1
}

prefix=ipckit-fd-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-fd-cli.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  rm -f /tmp/"$prefix"-*
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$(dirname "$0")/ipc_cli/cannot_run_here.sh"

# shellcheck source=tests/cli/ipc_cli/waits.sh
. "$(dirname "$0")/ipc_cli/waits.sh"
same() {  # same FILE TEXT WHAT
  [ "$(cat "$1")" = "$2" ] || fail "$3: got '$(cat "$1")', expected '$2'"
}
# receiver ADDR ARGS...: starts `fd recv ADDR ARGS...` in the background (stdout r.out, stderr
# r.err), sets $rpid and waits until it listens.
receiver() {
  local addr=$1
  shift
  "$IPCKIT" fd recv "$addr" --timeout 10 "$@" >"$work/r.out" 2>"$work/r.err" </dev/null &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
}

printf 'line one\nline two\n' >"$work/file"
other=/etc/hostname

# --- fd recv -- cat: cat reads the file through the descriptor that came over the socket ---------
for addr in "@$prefix-cat" "/tmp/$prefix-cat.sock"; do
  receiver "$addr" -- cat
  timeout 10 "$IPCKIT" fd send "$addr" "$work/file" || fail "fd send $addr FILE"
  finish "$rpid"
  [ "$rc" -eq 0 ] || fail "fd recv $addr -- cat exited $rc: $(cat "$work/r.err")"
  same "$work/r.out" $'line one\nline two' "fd recv $addr -- cat"
  [ ! -e "$addr" ] && [ ! -e "$addr.lock" ] || fail "fd recv left $addr behind"
  echo "ok: fd recv $addr -- cat printed the file fd send opened"
done

# The receiver needs no permission on the file: a uid-65534 cat reads a 0600 file root opened.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  printf 'for root only\n' >"$work/secret"
  chmod 0600 "$work/secret"
  addr=@$prefix-nobody
  setpriv --reuid 65534 --regid 65534 --clear-groups \
    "$IPCKIT" fd recv --allow-uid 0 "$addr" --timeout 10 -- cat >"$work/r.out" 2>"$work/r.err" </dev/null &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
  timeout 10 "$IPCKIT" fd send "$addr" "$work/secret" || fail "fd send (to nobody)"
  finish "$rpid"
  [ "$rc" -eq 0 ] || fail "fd recv as uid 65534 exited $rc: $(cat "$work/r.err")"
  same "$work/r.out" "for root only" "cat as uid 65534 of a root-only file"
  echo "ok: a uid-65534 cat read a mode-0600 root file through the descriptor root sent"
else
  cannot_run_part "descriptor to another user (needs root and setpriv)"
fi

# Without a command: one /proc/self/fd link per descriptor, in the order sent.
receiver "@$prefix-list"
timeout 10 "$IPCKIT" fd send "@$prefix-list" "$work/file" "$other" || fail "fd send two files"
finish "$rpid"
[ "$rc" -eq 0 ] || fail "fd recv (list) exited $rc: $(cat "$work/r.err")"
same "$work/r.out" "$(readlink -f "$work/file")"$'\n'"$(readlink -f "$other")" "fd recv (list)"
echo "ok: fd recv prints each descriptor's /proc link: $(tr '\n' ' ' <"$work/r.out")"

# "-" sends the sender's own stdin: here a pipe, which cat then drains.
receiver "@$prefix-stdin" -- cat
printf 'through a pipe' | timeout 10 "$IPCKIT" fd send "@$prefix-stdin" - || fail "fd send -"
finish "$rpid"
same "$work/r.out" "through a pipe" "fd send - | fd recv -- cat"
receiver "@$prefix-stdin"
printf 'x' | timeout 10 "$IPCKIT" fd send "@$prefix-stdin" - || fail "fd send -"
finish "$rpid"
grep -Eq '^pipe:\[[0-9]+\]$' "$work/r.out" || fail "fd recv of a pipe printed '$(cat "$work/r.out")'"
echo "ok: fd send - passes stdin itself ($(cat "$work/r.out"))"

# The command's exit status is fd recv's; a command that cannot run is 127 (126 if not executable).
receiver "@$prefix-status" -- sh -c 'cat >/dev/null; exit 7'
timeout 10 "$IPCKIT" fd send "@$prefix-status" "$work/file"
finish "$rpid"
[ "$rc" -eq 7 ] || fail "fd recv -- sh -c 'exit 7' exited $rc"
receiver "@$prefix-status" -- "$work/no-such-command"
timeout 10 "$IPCKIT" fd send "@$prefix-status" "$work/file"
finish "$rpid"
[ "$rc" -eq 127 ] || fail "fd recv -- (missing command) exited $rc, expected 127"
same "$work/r.err" "ipckit: fd recv: exec($work/no-such-command): No such file or directory" \
  "a missing command"
receiver "@$prefix-status" -- "$work/file"
timeout 10 "$IPCKIT" fd send "@$prefix-status" "$work/file"
finish "$rpid"
[ "$rc" -eq 126 ] || fail "fd recv -- (not executable) exited $rc, expected 126"
echo "ok: fd recv exits with COMMAND's status (7), 127 when missing, 126 when not executable"

# --- Errors ---------------------------------------------------------------------------------------
expect() {  # expect CODE LINE COMMAND...: exit CODE and exactly LINE on stderr
  local code=$1 line=$2 got=0
  shift 2
  timeout 20 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || got=$?
  [ "$got" -eq "$code" ] || fail "'$*' exited $got, expected $code: $(cat "$work/stderr")"
  [ "$(cat "$work/stderr")" = "$line" ] || fail "'$*': stderr '$(cat "$work/stderr")', expected '$line'"
  echo "ok: ${*#"$IPCKIT" } -> $code: $line"
}
expect 1 "ipckit: fd send: connect(@$prefix-none): Connection refused" \
  "$IPCKIT" fd send "@$prefix-none" "$work/file"
# A FILE that cannot be opened: nothing is sent (the receiver still waits and gets the next).
receiver "@$prefix-open" -- cat
expect 1 "ipckit: fd send: open($work/missing): No such file or directory" \
  "$IPCKIT" fd send "@$prefix-open" "$work/file" "$work/missing"
timeout 10 "$IPCKIT" fd send "@$prefix-open" "$work/file"
finish "$rpid"
same "$work/r.out" $'line one\nline two' "fd recv after a failed fd send"
# A peer that sends bytes but no descriptors (1), or hangs up without sending (3).
receiver "@$prefix-bytes"
timeout 10 "$IPCKIT" sock send "@$prefix-bytes" "no descriptors here"
finish "$rpid"
[ "$rc" -eq 1 ] || fail "fd recv of a message without descriptors exited $rc"
same "$work/r.err" "ipckit: fd recv: recvmsg(@$prefix-bytes): a message without descriptors came" \
  "no descriptors"
receiver "@$prefix-bytes"
timeout 10 "$IPCKIT" sock connect "@$prefix-bytes" </dev/null
finish "$rpid"
[ "$rc" -eq 3 ] || fail "fd recv of a peer that hung up exited $rc, expected 3"
same "$work/r.err" \
  "ipckit: fd recv: recvmsg(@$prefix-bytes): the peer closed the connection without sending descriptors" \
  "a peer that hung up"
expect 4 "ipckit: fd recv: accept(@$prefix-idle): no connection for 0.2 s" \
  "$IPCKIT" fd recv --timeout 0.2 "@$prefix-idle"
# More than one message can carry (253) is a usage error, before anything is opened.
many=()
for _ in $(seq 254); do many+=("$work/file"); done
got=0
"$IPCKIT" fd send "@$prefix-none" "${many[@]}" >/dev/null 2>"$work/stderr" || got=$?
[ "$got" -eq 1 ] && grep -q "at most 253 files fit in one message, not 254" "$work/stderr" &&
  grep -q "^Try '.* --help' for more information.$" "$work/stderr" ||
  fail "fd send of 254 files: exit $got: $(cat "$work/stderr")"
echo "ok: fd send refuses 254 files: $(head -n 1 "$work/stderr")"

left=$(find /tmp -maxdepth 1 -name "$prefix-*" 2>/dev/null || true)
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left under /tmp"
