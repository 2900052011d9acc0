#!/usr/bin/env bash
# `ipckit ls` when the kernel will not answer the NETLINK_SOCK_DIAG query (no unix_diag module,
# or a sandbox that forbids netlink): the listing still succeeds, PEER is empty, one line on
# stderr says why, and the JSON document says the peers are unknown. The refusal is simulated
# with an LD_PRELOAD shim that fails socket(AF_NETLINK, ...) with EPERM.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "ls_peer_unavailable: FAIL: $*" >&2
  exit 1
}
# A sanitizer runtime must come first in the library list, which a preloaded shim breaks; the
# behaviour tested here does not depend on the build flavour.
if [ -n "${IPCKIT_SANITIZE:-}" ]; then
  echo "ls_peer_unavailable: not run under ${IPCKIT_SANITIZE} (LD_PRELOAD shim)"
  exit 0
fi
cc=$(command -v cc || command -v gcc) || fail "a C compiler is needed for the shim"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-ls-nopeer.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/no_netlink.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol) {
  static int (*real)(int, int, int);
  if (domain == AF_NETLINK) {
    errno = EPERM;
    return -1;
  }
  if (!real) real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  return real(domain, type, protocol);
}
C
"$cc" -shared -fPIC -o "$work/no_netlink.so" "$work/no_netlink.c" -ldl ||
  fail "cannot build the shim"

cols=TYPE,INODE,PEER
LD_PRELOAD="$work/no_netlink.so" "$IPCKIT" ls --type unix -o "$cols" >"$work/out" 2>"$work/err" ||
  fail "ipckit ls failed without netlink: $(cat "$work/err")"
grep -q "Unix socket peers not shown" "$work/err" || fail "no note on stderr: $(cat "$work/err")"
[ "$(grep -c "peers not shown" "$work/err")" -eq 1 ] || fail "the note is not one line"
grep -q "Operation not permitted" "$work/err" || fail "the note does not say why: $(cat "$work/err")"
head -1 "$work/out" | grep -q "PEER" || fail "the table lost its PEER column"
# Every socket row shows "-" for PEER (the machine always has some sockets).
[ "$(wc -l <"$work/out")" -gt 1 ] || fail "no socket listed"
awk 'NR > 1 && $3 != "-" { bad = 1 } END { exit bad }' "$work/out" ||
  fail "PEER is not empty: $(cat "$work/out")"

LD_PRELOAD="$work/no_netlink.so" "$IPCKIT" ls --type unix -o "$cols" --json >"$work/json" 2>/dev/null ||
  fail "ipckit ls --json failed without netlink"
python3 - "$work/json" <<'PY' || fail "JSON does not say the peers are unknown"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["unix_peers_known"] is False, doc.get("unix_peers_known")
assert doc["objects"], "no socket listed"
assert all(o["peer"] is None for o in doc["objects"]), "a peer is known without netlink"
PY

# Without the shim the same listing knows its peers.
"$IPCKIT" ls --type unix -o "$cols" --json >"$work/json" 2>/dev/null || fail "ipckit ls failed"
python3 - "$work/json" <<'PY' || fail "peers unknown even with netlink"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["unix_peers_known"] is True
assert any(o["peer"] is not None for o in doc["objects"]), "no socket has a peer"
PY
echo "ls_peer_unavailable: ok"
