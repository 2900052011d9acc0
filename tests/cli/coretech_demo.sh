#!/usr/bin/env bash
# The article's datagram demo (examples/coretech_server, coretech_client): the numbers the client
# sends are the numbers the server prints, over a path and over an abstract name; the server
# removes its socket file when it exits (after --count N, or on SIGTERM), and nothing is left.
set -euo pipefail

: "${IPCKIT_BUILD_DIR:?set by ctest: the build directory}"

fail() {
  echo "coretech_demo: FAIL: $*" >&2
  exit 1
}

command -v python3 >/dev/null || fail "python3 is needed (scripts/deps.sh installs it)"

server=$IPCKIT_BUILD_DIR/examples/coretech_server
client=$IPCKIT_BUILD_DIR/examples/coretech_client
[ -x "$server" ] && [ -x "$client" ] ||
  fail "$server and $client are not built (configure with -DIPCKIT_BUILD_EXAMPLES=ON)"

prefix=ipckit-coretech-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-coretech.XXXXXX")
pids=()
cleanup() {
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  rm -f /tmp/"$prefix"*
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/cli/ipc_cli/waits.sh
. "$(dirname "$0")/ipc_cli/waits.sh"

# run_demo LISTED SERVER_ARGS -- CLIENT_ARGS: 7 numbers from the client to the server, where
# LISTED is the name /proc/net/unix shows for the server's socket.
run_demo() {
  local listed=$1 server_args=() client_args=()
  shift
  while [ "$1" != -- ]; do server_args+=("$1"); shift; done
  shift
  client_args=("$@")
  "$server" --count 7 "${server_args[@]}" >"$work/server.out" 2>"$work/server.err" &
  local spid=$!
  pids+=("$spid")
  wait_bound "$listed"
  timeout 10 "$client" --count 7 --interval 0 "${client_args[@]}" >"$work/client.out" ||
    fail "coretech_client ${client_args[*]} failed"
  finish "$spid"
  [ "$rc" -eq 0 ] || fail "coretech_server ${server_args[*]} exited $rc: $(cat "$work/server.err")"
  [ "$(wc -l <"$work/client.out")" -eq 7 ] && ! grep -qvE '^[0-9]+$' "$work/client.out" ||
    fail "the client did not print 7 numbers: $(cat "$work/client.out")"
  cmp -s "$work/client.out" "$work/server.out" ||
    fail "the server printed '$(cat "$work/server.out")', the client sent '$(cat "$work/client.out")'"
  bound "$listed" && fail "$listed is still bound after the server exited"
  echo "ok: 7 numbers from client to server over $listed: $(tr '\n' ' ' <"$work/server.out")"
}

# A path, as in the article; the file exists while the server runs and is gone after.
path=/tmp/$prefix.sock
run_demo "$path" "$path" -- "$path"
[ ! -e "$path" ] || fail "the server left $path behind"
echo "ok: the server removed $path when it exited"

# --abstract: the same string in the abstract namespace; no file ever.
run_demo "@$path" --abstract "$path" -- --abstract "$path"
[ ! -e "$path" ] || fail "an abstract server made the file $path"
run_demo "@$prefix-name" "@$prefix-name" -- "@$prefix-name"
echo "ok: abstract names (--abstract PATH, @NAME) leave no file"

# SIGTERM: a server without --count stops cleanly and removes its file.
"$server" "$path" >/dev/null 2>&1 &
spid=$!
pids+=("$spid")
wait_bound "$path"
[ -S "$path" ] || fail "no socket file $path while the server runs"
kill -TERM "$spid"
finish "$spid"
[ "$rc" -eq 0 ] || fail "coretech_server stopped by SIGTERM exited $rc"
[ ! -e "$path" ] || fail "SIGTERM left $path behind"
echo "ok: SIGTERM stops the server, which removes $path"

# No server: the client says why in one line and exits 1.
expect_client() {  # expect_client LINE ARGS...
  local line=$1 got=0
  shift
  timeout 10 "$client" --count 1 "$@" >/dev/null 2>"$work/err" || got=$?
  [ "$got" -eq 1 ] || fail "coretech_client $* exited $got, expected 1"
  [ "$(cat "$work/err")" = "$line" ] || fail "coretech_client $*: '$(cat "$work/err")'"
  echo "ok: coretech_client $* -> 1: $line"
}
expect_client "coretech_client: sendto($path): No such file or directory" "$path"
expect_client "coretech_client: sendto(@$path): Connection refused" --abstract "$path"

# Something at the path already: the server refuses, names it, and removes nothing.
echo keep >"$path"
got=0
timeout 10 "$server" --count 1 "$path" >/dev/null 2>"$work/err" || got=$?
[ "$got" -eq 1 ] && [ "$(cat "$work/err")" = "coretech_server: bind($path): $path exists and is not a socket" ] ||
  fail "coretech_server over an existing file: exit $got: $(cat "$work/err")"
[ "$(cat "$path")" = keep ] || fail "coretech_server touched the file in its way"
rm -f "$path"
echo "ok: the server refuses a path that exists: $(cat "$work/err")"

# A socket file left by a killed server: the server names it and says what to do.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind(sys.argv[1])' "$path"
got=0
timeout 10 "$server" --count 1 "$path" >/dev/null 2>"$work/err" || got=$?
[ "$got" -eq 1 ] && grep -q "^coretech_server: bind($path): a socket file is already at $path: .*(if none is running: rm $path)\$" "$work/err" ||
  fail "coretech_server over a left-over socket file: exit $got: $(cat "$work/err")"
[ -S "$path" ] || fail "coretech_server removed a socket file it did not bind"
rm -f "$path"
echo "ok: the server refuses a left-over socket file: $(cat "$work/err")"

left=$(find /tmp -maxdepth 1 -name "$prefix*" 2>/dev/null || true)
[ -z "$left" ] || fail "left behind: $left"
echo "ok: nothing left under /tmp"
