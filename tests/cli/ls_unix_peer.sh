#!/usr/bin/env bash
# `ipckit ls` PEER column: a python helper holds a socketpair and an accepted connection on a
# unique abstract name; each end's PEER (table, --raw and --json) is the other end's inode, the
# listener has none, and the JSON document says the peers are known. Abstract names leave no
# file behind; the helper is killed on exit.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "ls_unix_peer: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed"

name=ipckit-test-$$-peer
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-ls-peer.XXXXXX")
helper=
cleanup() {
  if [ -n "$helper" ]; then
    kill -9 "$helper" 2>/dev/null || true
    wait "$helper" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Prints "a b listener client server" inodes, then holds everything until killed.
python3 -c '
import os, socket, sys, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
l.bind("\0" + sys.argv[1]); l.listen(1)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
c.connect("\0" + sys.argv[1])
s, _ = l.accept()
print(*(os.fstat(x.fileno()).st_ino for x in (a, b, l, c, s)), flush=True)
time.sleep(60)' "$name" >"$work/inodes" &
helper=$!
for _ in $(seq 300); do [ -s "$work/inodes" ] && break; sleep 0.1; done
read -r a b listener client server <"$work/inodes" || fail "the helper did not start"

# --raw: INODE PEER for each of our five sockets.
"$IPCKIT" ls --type unix --raw -o INODE,PEER,NAME >"$work/raw"
peer_raw() { awk -v i="$1" '$1 == i { print $2 }' "$work/raw"; }
[ "$(peer_raw "$a")" = "$b" ] || fail "socketpair end $a: peer '$(peer_raw "$a")', expected $b"
[ "$(peer_raw "$b")" = "$a" ] || fail "socketpair end $b: peer '$(peer_raw "$b")', expected $a"
[ "$(peer_raw "$client")" = "$server" ] || fail "client $client: peer '$(peer_raw "$client")'"
[ "$(peer_raw "$server")" = "$client" ] || fail "server $server: peer '$(peer_raw "$server")'"
[ "$(peer_raw "$listener")" = "-" ] || fail "listener: peer '$(peer_raw "$listener")', expected -"

# Table: the listener and the accepted end (which shows the listener's name) under @name.
"$IPCKIT" ls --type unix --name "@$name" -o NAME,STATE,PEER >"$work/table"
grep -q "^NAME  *STATE  *PEER$" "$work/table" || fail "table header: $(cat "$work/table")"
grep -q "^@$name  *listen  *-$" "$work/table" || fail "table: listener row: $(cat "$work/table")"
grep -q "^@$name  *connected  *$client$" "$work/table" ||
  fail "table: accepted end row: $(cat "$work/table")"

# JSON: numbers, null for the listener, and unix_peers_known.
"$IPCKIT" ls --type unix --json -o INODE,PEER,STATE >"$work/json"
python3 - "$work/json" "$a" "$b" "$listener" "$client" "$server" <<'PY' || fail "JSON peers"
import json, sys
doc = json.load(open(sys.argv[1]))
a, b, listener, client, server = map(int, sys.argv[2:])
assert doc["unix_peers_known"] is True, doc["unix_peers_known"]
peer = {o["inode"]: o["peer"] for o in doc["objects"]}
assert peer[a] == b and peer[b] == a, (peer[a], peer[b])
assert peer[client] == server and peer[server] == client, (peer[client], peer[server])
assert peer[listener] is None, peer[listener]
PY

echo "ls_unix_peer: ok"
