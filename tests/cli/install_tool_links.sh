#!/usr/bin/env bash
# The optional `tool_links` install component: ipcs/ipcmk/ipcrm/lsipc links to ipckit under a
# prefix of the user's choice, which behave as the util-linux tools; refused under /usr; an
# existing file that is not an ipckit link is never replaced.
set -euo pipefail
: "${IPCKIT_BUILD_DIR:?set by ctest}"

fail() {
  echo "install_tool_links: FAIL: $*" >&2
  exit 1
}
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-links.XXXXXX")
manifest="$IPCKIT_BUILD_DIR/install_manifest.txt"
saved=""
if [ -f "$manifest" ]; then
  saved="$work/manifest.saved"
  cp "$manifest" "$saved"
fi
cleanup() {
  if [ -n "$saved" ]; then cp "$saved" "$manifest"; else rm -f "$manifest"; fi
  rm -rf "$work"
}
trap cleanup EXIT

prefix="$work/prefix"
cmake --install "$IPCKIT_BUILD_DIR" --prefix "$prefix" >/dev/null
cmake --install "$IPCKIT_BUILD_DIR" --prefix "$prefix" --component tool_links >/dev/null
for tool in ipcs ipcmk ipcrm lsipc; do
  [ -L "$prefix/bin/$tool" ] || fail "$tool is not a link"
  [ "$(readlink "$prefix/bin/$tool")" = ipckit ] || fail "$tool does not point to ipckit"
done
echo "ok: four links to ipckit under the prefix"
for tool in ipcs ipcmk ipcrm lsipc; do
  [ "$(readlink "$prefix/share/bash-completion/completions/$tool")" = ipckit ] ||
    fail "no bash completion link for $tool"
done
echo "ok: bash completion links for the four"

# Through the link, the tool behaves as util-linux's: same output on the same (empty) namespace.
ours=$(unshare --ipc "$prefix/bin/ipcs" -a)
theirs=$(unshare --ipc /usr/bin/ipcs -a)
[ "$ours" = "$theirs" ] || fail "ipcs through the link differs from util-linux:
$ours
---
$theirs"
echo "ok: ipcs through the link prints what util-linux prints"

# An existing file that is not ours is left alone (and installing again is idempotent).
prefix2="$work/prefix2"
mkdir -p "$prefix2/bin"
echo "not ours" >"$prefix2/bin/lsipc"
cmake --install "$IPCKIT_BUILD_DIR" --prefix "$prefix2" --component tool_links >"$work/out" 2>&1
[ "$(cat "$prefix2/bin/lsipc")" = "not ours" ] || fail "an existing lsipc was replaced"
# CMake wraps messages: compare with line breaks and runs of spaces folded.
folded() { tr -s ' \n' ' ' <"$1"; }
folded "$work/out" | grep -q "exists and is not an ipckit link: left alone" || fail "no warning: $(cat "$work/out")"
[ -L "$prefix2/bin/ipcs" ] || fail "ipcs link missing next to a foreign lsipc"
cmake --install "$IPCKIT_BUILD_DIR" --prefix "$prefix2" --component tool_links >/dev/null ||
  fail "installing the links twice failed"
echo "ok: a foreign lsipc was left alone; reinstalling is idempotent"

# Never over the system's tools.
before=$(stat -c '%i %Y' /usr/bin/ipcs)
if cmake --install "$IPCKIT_BUILD_DIR" --prefix /usr --component tool_links >"$work/usr" 2>&1; then
  fail "the /usr prefix was accepted"
fi
folded "$work/usr" | grep -q "refusing to install ipcs/ipcmk/ipcrm/lsipc links under '/usr'" ||
  fail "unexpected refusal text: $(cat "$work/usr")"
[ "$(stat -c '%i %Y' /usr/bin/ipcs)" = "$before" ] || fail "/usr/bin/ipcs changed"
echo "ok: the /usr prefix is refused and /usr/bin/ipcs untouched"
