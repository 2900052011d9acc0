#!/usr/bin/env bash
# `ipckit sock`: stream, dgram and seqpacket round trips over paths and abstract names, both
# directions at once, socat interop both ways, the listener in `ss -xl`, peer credentials and
# access policy, and the documented exit codes and one-line errors (docs/cli.md).
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "sock_cli: FAIL: $*" >&2
  exit 1
}
command -v socat >/dev/null || fail "socat is needed (scripts/deps.sh installs it)"
command -v ss >/dev/null || fail "ss (iproute2) is needed (scripts/deps.sh installs it)"
command -v python3 >/dev/null || fail "python3 is needed (scripts/deps.sh installs it)"

prefix=ipckit-sock-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-sock-cli.XXXXXX")
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
# expect CODE LINE COMMAND...: COMMAND exits with CODE and prints exactly LINE on stderr.
expect() {
  local code=$1 line=$2 got=0
  shift 2
  timeout 20 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || got=$?
  local what="'${*#"$IPCKIT" }'"
  [ "$got" -eq "$code" ] || fail "$what exited with $got, expected $code; stderr: $(cat "$work/stderr")"
  [ "$(cat "$work/stderr")" = "$line" ] || fail "$what: stderr is '$(cat "$work/stderr")', expected '$line'"
  echo "ok: $what -> $code: $line"
}
same() {  # same FILE TEXT WHAT
  [ "$(cat "$1")" = "$2" ] || fail "$3: got '$(cat "$1")', expected '$2'"
}

# --- Both directions at once: listen <-> connect, every type, path and abstract -------------------
for type in stream seqpacket; do
  for addr in "@$prefix-$type" "/tmp/$prefix-$type.sock"; do
    printf 'to the connector' | "$IPCKIT" sock listen --type "$type" "$addr" --timeout 10 \
      >"$work/l.out" 2>"$work/l.err" &
    lpid=$!
    pids+=("$lpid")
    wait_bound "$addr"
    printf 'to the listener' | timeout 10 "$IPCKIT" sock connect --type "$type" "$addr" \
      >"$work/c.out" 2>"$work/c.err" || fail "connect --type $type $addr: $(cat "$work/c.err")"
    finish "$lpid"
    [ "$rc" -eq 0 ] || fail "listen --type $type $addr exited $rc: $(cat "$work/l.err")"
    same "$work/l.out" "to the listener" "listen --type $type $addr"
    same "$work/c.out" "to the connector" "connect --type $type $addr"
    [ ! -e "$addr" ] && [ ! -e "$addr.lock" ] || fail "listen left $addr or its .lock behind"
    echo "ok: $type over $addr, both directions; nothing left behind"
  done
done

# Megabytes both ways at once: neither side may wait for the other to finish reading first.
head -c 6M /dev/urandom >"$work/big1"
head -c 5M /dev/urandom >"$work/big2"
for type in stream seqpacket; do
  addr=@$prefix-big-$type
  "$IPCKIT" sock listen --type "$type" "$addr" --timeout 10 <"$work/big1" >"$work/l.out" &
  lpid=$!
  pids+=("$lpid")
  wait_bound "$addr"
  timeout 30 "$IPCKIT" sock connect --type "$type" "$addr" <"$work/big2" >"$work/c.out" ||
    fail "connect --type $type (big) failed"
  finish "$lpid"
  [ "$rc" -eq 0 ] || fail "listen --type $type (big) exited $rc"
  cmp -s "$work/big2" "$work/l.out" || fail "$type: the listener's output differs from the input"
  cmp -s "$work/big1" "$work/c.out" || fail "$type: the connector's output differs from the input"
  echo "ok: $type: 6 MiB one way and 5 MiB the other at once, byte for byte"
done

# --keep-listening serves connections one after another, until a signal.
path=/tmp/$prefix-keep.sock
"$IPCKIT" sock listen --keep-listening "$path" </dev/null >"$work/l.out" &
lpid=$!
pids+=("$lpid")
wait_bound "$path"
for n in 1 2 3; do
  printf 'connection %s\n' "$n" | timeout 10 "$IPCKIT" sock connect "$path" || fail "connect #$n"
done
kill -TERM "$lpid"
finish "$lpid"
[ "$rc" -eq 143 ] || fail "listen --keep-listening stopped by SIGTERM exited $rc, expected 143"
same "$work/l.out" $'connection 1\nconnection 2\nconnection 3' "listen --keep-listening"
[ ! -e "$path" ] && [ ! -e "$path.lock" ] || fail "listen --keep-listening left $path behind"
echo "ok: --keep-listening served 3 connections in turn; SIGTERM removed $path (143)"

# --- Messages: send and recv, every type, path and abstract --------------------------------------
for addr in "@$prefix-msg" "/tmp/$prefix-msg.sock"; do
  for type in dgram seqpacket; do
    "$IPCKIT" sock recv --type "$type" --count 3 --lines "$addr" --timeout 10 >"$work/r.out" &
    rpid=$!
    pids+=("$rpid")
    wait_bound "$addr"
    # An empty line is an empty message: a datagram like any other (on seqpacket an empty
    # message reads as the end of the connection, so none is sent there).
    if [ "$type" = dgram ]; then input=$'one\n\ntwo'; else input=$'one\ntwo\nthree'; fi
    printf '%s' "$input" | timeout 10 "$IPCKIT" sock send --type "$type" --lines "$addr" ||
      fail "send --type $type --lines $addr"
    finish "$rpid"
    [ "$rc" -eq 0 ] || fail "recv --type $type $addr exited $rc"
    expected=$input
    same "$work/r.out" "$expected" "recv --type $type $addr"
    [ ! -e "$addr" ] || fail "recv left $addr behind"
    echo "ok: $type messages over $addr keep their boundaries"
  done
  # A stream "message" is one connection's bytes, from connect to EOF.
  "$IPCKIT" sock recv --count 2 --lines "$addr" --timeout 10 >"$work/r.out" &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
  timeout 10 "$IPCKIT" sock send "$addr" "first message" || fail "send $addr MESSAGE"
  printf 'second\nmessage' | timeout 10 "$IPCKIT" sock send "$addr" || fail "send $addr <stdin"
  finish "$rpid"
  [ "$rc" -eq 0 ] || fail "recv $addr exited $rc"
  same "$work/r.out" $'first message\nsecond\nmessage' "recv (stream) $addr"
  echo "ok: stream send/recv over $addr: one connection, one message"
done

# A datagram listener prints each datagram as it comes; -v names the sender.
addr=@$prefix-dgl
"$IPCKIT" sock listen --type dgram -v "$addr" --timeout 10 >"$work/l.out" 2>"$work/l.err" &
lpid=$!
pids+=("$lpid")
wait_bound "$addr"
timeout 10 "$IPCKIT" sock send --type dgram "$addr" "abc"
for _ in $(seq 200); do [ -s "$work/l.out" ] && break; sleep 0.05; done
kill -TERM "$lpid"
finish "$lpid"
[ "$rc" -eq 143 ] || fail "listen --type dgram killed by SIGTERM exited $rc, expected 143"
same "$work/l.out" "abc" "listen --type dgram"
grep -Eq "^ipckit: sock listen: 3 bytes from pid [0-9]+ uid $(id -u) gid $(id -g)\$" "$work/l.err" ||
  fail "listen -v did not name the sender: $(cat "$work/l.err")"
echo "ok: dgram listen prints datagrams, -v names the sender, SIGTERM ends it (143)"

# --- socat interop -------------------------------------------------------------------------------
name=$prefix-socat
printf 'from ipckit' | "$IPCKIT" sock listen "@$name" --timeout 10 >"$work/l.out" &
lpid=$!
pids+=("$lpid")
wait_bound "@$name"
printf 'from socat' | timeout 10 socat -t 5 - "ABSTRACT-CONNECT:$name" >"$work/c.out" ||
  fail "socat - ABSTRACT-CONNECT:$name failed"
finish "$lpid"
[ "$rc" -eq 0 ] || fail "sock listen @$name (socat peer) exited $rc"
same "$work/l.out" "from socat" "sock listen, socat client"
same "$work/c.out" "from ipckit" "socat client, sock listen"
echo "ok: socat - ABSTRACT-CONNECT:$name talks to ipckit sock listen @$name"

printf 'from socat' | timeout 10 socat -t 5 "ABSTRACT-LISTEN:$name" - >"$work/l.out" &
spid=$!
pids+=("$spid")
wait_bound "@$name"
printf 'from ipckit' | timeout 10 "$IPCKIT" sock connect "@$name" >"$work/c.out" ||
  fail "sock connect @$name (socat listener) failed"
finish "$spid"
[ "$rc" -eq 0 ] || fail "socat ABSTRACT-LISTEN:$name exited $rc"
same "$work/l.out" "from ipckit" "socat listener, sock connect"
same "$work/c.out" "from socat" "sock connect, socat listener"
echo "ok: ipckit sock connect @$name talks to socat ABSTRACT-LISTEN:$name -"

# --- The listener in ss -xl; peer credentials with -v ---------------------------------------------
addr=@$prefix-ss
"$IPCKIT" sock listen -v "$addr" --timeout 10 </dev/null >/dev/null 2>"$work/l.err" &
lpid=$!
pids+=("$lpid")
wait_bound "$addr"
ss -xl | grep -qF "$addr " || fail "ss -xl does not list $addr: $(ss -xl)"
echo "ok: ss -xl lists the listener $addr"
timeout 10 "$IPCKIT" sock connect -v "$addr" </dev/null 2>"$work/c.err" >/dev/null ||
  fail "connect -v $addr: $(cat "$work/c.err")"
finish "$lpid"
grep -Eq "^ipckit: sock listen: connection on $addr from pid [0-9]+ uid $(id -u) gid $(id -g)\$" \
  "$work/l.err" || fail "listen -v: $(cat "$work/l.err")"
same "$work/c.err" "ipckit: sock connect: connected to $addr, listener pid $lpid uid $(id -u) gid $(id -g)" \
  "connect -v"
echo "ok: -v prints the peer's pid, uid and gid on both sides"

# --- Access policy --------------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
  # An abstract name admits only the listener's own user by default.
  addr=@$prefix-policy
  "$IPCKIT" sock recv --lines "$addr" --timeout 10 >"$work/r.out" 2>"$work/r.err" &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
  # A refused peer sees its connection closed at once: EOF (a send could fail with EPIPE).
  timeout 10 "${as_nobody[@]}" "$IPCKIT" sock connect "$addr" </dev/null >"$work/c.out" ||
    fail "a refused connect exited $?, expected 0"
  [ ! -s "$work/c.out" ] || fail "a refused peer received '$(cat "$work/c.out")'"
  timeout 10 "$IPCKIT" sock send "$addr" "from root" || fail "send as root"
  finish "$rpid"
  [ "$rc" -eq 0 ] || fail "recv (default policy) exited $rc"
  same "$work/r.out" "from root" "recv, default policy on an abstract name"
  grep -Eq "^ipckit: refused connection from pid [0-9]+ uid 65534 on $addr: not allowed\$" \
    "$work/r.err" || fail "no refusal logged: $(cat "$work/r.err")"
  # --allow-uid lists exactly who may connect (root is not added).
  "$IPCKIT" sock recv --lines --allow-uid 65534 "$addr" --timeout 10 >"$work/r.out" 2>"$work/r.err" &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
  timeout 10 "$IPCKIT" sock connect "$addr" </dev/null || fail "a refused connect exited $?"
  timeout 10 "${as_nobody[@]}" "$IPCKIT" sock send "$addr" "from nobody" || fail "send as nobody"
  finish "$rpid"
  same "$work/r.out" "from nobody" "recv --allow-uid 65534"
  grep -Eq "refused connection from pid [0-9]+ uid 0 on $addr" "$work/r.err" ||
    fail "--allow-uid 65534 did not refuse root: $(cat "$work/r.err")"
  # --allow-any admits everyone.
  "$IPCKIT" sock recv --allow-any --lines "$addr" --timeout 10 >"$work/r.out" 2>"$work/r.err" &
  rpid=$!
  pids+=("$rpid")
  wait_bound "$addr"
  timeout 10 "${as_nobody[@]}" "$IPCKIT" sock send "$addr" "from nobody" || fail "send as nobody"
  finish "$rpid"
  same "$work/r.out" "from nobody" "recv --allow-any"
  echo "ok: access policy: same user by default on abstract names, --allow-uid, --allow-any"
else
  cannot_run_part "access policy (needs root and setpriv to act as another user)"
fi

# --- Errors and exit codes ------------------------------------------------------------------------
expect 1 "ipckit: sock connect: connect(@$prefix-none): Connection refused" \
  "$IPCKIT" sock connect "@$prefix-none"
expect 1 "ipckit: sock connect: connect(/tmp/$prefix-none): No such file or directory" \
  "$IPCKIT" sock connect "/tmp/$prefix-none"
expect 1 "ipckit: sock send: sendto(@$prefix-none): Connection refused" \
  "$IPCKIT" sock send --type dgram "@$prefix-none" hello
expect 1 "ipckit: sock send: connect(@$prefix-none): Connection refused" \
  "$IPCKIT" sock send --type seqpacket "@$prefix-none" hello

# EADDRINUSE: a live listener holds the name (path or abstract, stream or dgram).
for type in stream dgram; do
  path=/tmp/$prefix-busy-$type.sock
  # The second listen probes the path with a connect: --keep-listening survives that connection.
  keep=()
  if [ "$type" = stream ]; then keep=(--keep-listening); fi
  "$IPCKIT" sock listen --type "$type" "${keep[@]}" "$path" </dev/null >/dev/null &
  lpid=$!
  pids+=("$lpid")
  "$IPCKIT" sock listen --type "$type" "@$prefix-busy-$type" </dev/null >/dev/null &
  apid=$!
  pids+=("$apid")
  wait_bound "$path"
  wait_bound "@$prefix-busy-$type"
  what=$([ "$type" = stream ] && echo "listening on" || echo "bound to")
  expect 1 "ipckit: sock listen: bind($path): a live process is $what $path" \
    "$IPCKIT" sock listen --type "$type" "$path"
  expect 1 "ipckit: sock listen: bind(@$prefix-busy-$type): abstract name @$prefix-busy-$type is already bound by a live socket" \
    "$IPCKIT" sock listen --type "$type" "@$prefix-busy-$type"
  kill -TERM "$lpid" "$apid"
  finish "$lpid"
  [ "$rc" -eq 143 ] || fail "listen --type $type killed by SIGTERM exited $rc"
  finish "$apid"
  [ ! -e "$path" ] && [ ! -e "$path.lock" ] || fail "SIGTERM left $path or its .lock behind"
done
echo "ok: SIGTERM ends a waiting listener (143) and removes its socket file"

# --mode sets the socket file's permission bits (the umask is not applied).
for type in stream dgram; do
  path=/tmp/$prefix-mode-$type.sock
  (umask 077 && exec "$IPCKIT" sock listen --type "$type" --mode 0660 "$path" --timeout 10 </dev/null >/dev/null) &
  lpid=$!
  pids+=("$lpid")
  wait_bound "$path"
  [ "$(stat -c %a "$path")" = 660 ] || fail "--mode 0660 ($type) made $(stat -c %a "$path")"
  kill -TERM "$lpid"
  finish "$lpid"
  [ ! -e "$path" ] || fail "listen --mode left $path behind"
done
echo "ok: --mode 0660 gives the socket file mode 660 (stream and dgram)"

# A stale socket file (its owner died) is replaced; anything else is never touched.
for type in stream dgram; do
  path=/tmp/$prefix-stale-$type.sock
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(sys.argv[1])' "$path"
  [ -S "$path" ] || fail "setup: no stale socket at $path"
  "$IPCKIT" sock recv --type "$type" --timeout 10 "$path" >"$work/r.out" &
  rpid=$!
  pids+=("$rpid")
  for _ in $(seq 200); do bound "$path" && break; sleep 0.05; done
  timeout 10 "$IPCKIT" sock send --type "$type" "$path" "after the stale file" || fail "send $path"
  finish "$rpid"
  [ "$rc" -eq 0 ] || fail "recv --type $type over a stale file exited $rc"
  same "$work/r.out" "after the stale file" "recv over a stale $path"
  [ ! -e "$path" ] && [ ! -e "$path.lock" ] || fail "recv left $path behind"
done
echo "ok: a stale socket file is replaced by sock listen/recv (stream and dgram)"
path=/tmp/$prefix-regular
echo keep >"$path"
expect 1 "ipckit: sock listen: bind($path): $path exists and is a regular file; refusing to replace it" \
  "$IPCKIT" sock listen "$path"
expect 1 "ipckit: sock listen: bind($path): $path exists and is a regular file; refusing to replace it" \
  "$IPCKIT" sock listen --type dgram "$path"
same "$path" keep "a regular file in the way"
rm -f "$path" "$path.lock"

# EPIPE: the peer stops reading (shutdown SHUT_RD) before our input arrives: exit 3.
name=$prefix-epipe
mkfifo "$work/in"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen()
c, _ = s.accept()
c.shutdown(socket.SHUT_RD)
print("ready", flush=True)
time.sleep(10)
' "$name" >"$work/py.out" &
ppid=$!
pids+=("$ppid")
wait_bound "@$name"
"$IPCKIT" sock connect "@$name" <"$work/in" >/dev/null 2>"$work/c.err" &
cpid=$!
pids+=("$cpid")
exec 3>"$work/in"
for _ in $(seq 200); do grep -q ready "$work/py.out" && break; sleep 0.05; done
grep -q ready "$work/py.out" || fail "setup: the python peer did not accept"
echo "data nobody reads" >&3
exec 3>&-
finish "$cpid"
[ "$rc" -eq 3 ] || fail "connect to a peer that stopped reading exited $rc, expected 3"
same "$work/c.err" "ipckit: sock connect: send(@$name): Broken pipe" "EPIPE message"
kill "$ppid" 2>/dev/null || true
echo "ok: EPIPE -> exit 3: $(cat "$work/c.err")"

# A closed stdout: the write fails with EPIPE (SIGPIPE is ignored), exit 3.
closed_stdout() {  # closed_stdout COMMAND...: runs COMMAND with stdout a pipe nobody reads
  python3 -c 'import os, sys; r, w = os.pipe(); os.close(r); os.dup2(w, 1); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
addr=@$prefix-stdout
closed_stdout "$IPCKIT" sock recv --type dgram "$addr" --timeout 10 2>"$work/r.err" &
rpid=$!
pids+=("$rpid")
wait_bound "$addr"
timeout 10 "$IPCKIT" sock send --type dgram "$addr" "nobody reads this"
finish "$rpid"
[ "$rc" -eq 3 ] || fail "recv with a closed stdout exited $rc, expected 3"
same "$work/r.err" "ipckit: sock recv: write(stdout): Broken pipe" "recv with a closed stdout"
echo "ok: a closed stdout -> exit 3: $(cat "$work/r.err")"

# ETIMEDOUT: --timeout with nothing coming: exit 4.
expect 4 "ipckit: sock recv: accept(@$prefix-idle): no connection for 0.2 s" \
  "$IPCKIT" sock recv --timeout 0.2 "@$prefix-idle"
expect 4 "ipckit: sock recv: recvmsg(/tmp/$prefix-idle): no message for 0.2 s" \
  "$IPCKIT" sock recv --type dgram --timeout 0.2 "/tmp/$prefix-idle"
[ ! -e "/tmp/$prefix-idle" ] || fail "a timed-out recv left its socket file behind"

# Usage errors: one reason, the --help hint, exit 1, nothing bound.
usage() {  # usage PATTERN COMMAND...
  local pattern=$1 got=0
  shift
  timeout 20 "$@" >/dev/null 2>"$work/stderr" </dev/null || got=$?
  [ "$got" -eq 1 ] || fail "'$*' exited $got, expected 1"
  grep -Eq "^ipckit: .*$pattern" "$work/stderr" || fail "'$*': $(cat "$work/stderr")"
  grep -q "^Try '.* --help' for more information.$" "$work/stderr" || fail "'$*': no --help hint"
  echo "ok: usage error: $(head -n 1 "$work/stderr")"
}
usage "invalid address ''" "$IPCKIT" sock listen ""
usage "--type: .*bogus" "$IPCKIT" sock listen --type bogus "@$prefix-x"
usage "--lines needs a message socket" "$IPCKIT" sock send --lines "@$prefix-x"
usage "--allow-uid and --allow-any exclude each other" "$IPCKIT" sock listen --allow-any --allow-uid 0 "@$prefix-x"
usage "invalid address '/tmp/x{200}" "$IPCKIT" sock connect "/tmp/$(printf 'x%.0s' $(seq 200))"

left=$(find /tmp -maxdepth 1 -name "$prefix-*" 2>/dev/null || true)
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left under /tmp"
