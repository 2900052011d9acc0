#!/usr/bin/env bash
# CURVE on the bridge (docs/bridge.md, "Encryption"): keys from `ipckit bridge keygen`; a source
# with a key the bridge in does not allow is refused (and counted in the log), its messages
# never committed; an allowed one gets through, and a capture of the TCP stream (through
# tests/cli/bridge/tcp_proxy.py) holds no plaintext marker, where the same capture without
# CURVE does (the check can fail). Bad key files are refused with a reason.
set -euo pipefail

fail() {
  echo "bridge_curve: FAIL: $*" >&2
  keep_logs=1
  exit 1
}
# shellcheck source=tests/cli/bridge/common.sh
. "$(dirname "$0")/bridge/common.sh"
bridge_setup curve

k=$work/keys
mkdir "$k"
for name in server client stranger; do "$IPCKIT" bridge keygen "$k/$name"; done
[ "$(stat -c %a "$k/server.key")" = 600 ] || fail "a .key file is not mode 600"
out=$("$IPCKIT" bridge keygen "$k/server" 2>&1) && fail "keygen overwrote a key"
grep -q "not overwriting" <<<"$out" || fail "keygen over an existing key said: $out"

# Bad key files: readable by others, not a key, a public key where a key pair belongs.
cp "$k/client.key" "$k/open.key"
chmod 644 "$k/open.key"
echo "not a key" >"$k/junk.pub"
"$IPCKIT" chan create "$src"
"$IPCKIT" chan create "$dst"
expect_refusal() {  # WHAT SAYS COMMAND...
  local what=$1 says=$2 msg
  shift 2
  if msg=$("$@" 2>&1); then fail "$what was accepted"; fi
  grep -q -- "$says" <<<"$msg" || fail "$what: expected \"$says\", got: $msg"
}
expect_refusal "a world-readable key" "readable by its owner only" \
  "$IPCKIT" bridge out "$src" tcp://127.0.0.1:9 --curve "$k/open.key" --server-key "$k/server.pub"
expect_refusal "a junk public key" "not a public key" \
  "$IPCKIT" bridge out "$src" tcp://127.0.0.1:9 --curve "$k/client.key" --server-key "$k/junk.pub"
install -m 600 "$k/server.pub" "$k/pub-as-pair.key"
expect_refusal "a public key as a key pair" "not a bridge key file" \
  "$IPCKIT" bridge in tcp://127.0.0.1:9 "$dst" --curve "$k/pub-as-pair.key" --allow "$k/client.pub"
expect_refusal "--curve without --allow" "needs at least one --allow" \
  "$IPCKIT" bridge in tcp://127.0.0.1:9 "$dst" --curve "$k/server.key"

marker=PLAINTEXT-MARKER-$$-$RANDOM
# run_through_proxy CAPTURE OUT-ARGS...: one bridge out through a capturing proxy, sends the
# marker, waits for it at the destination.
run_through_proxy() {
  local capture=$1
  shift
  coproc PROXY { exec python3 "$(dirname "$0")/bridge/tcp_proxy.py" "$in_port" --capture "$capture"; }
  local proxy_pid=$PROXY_PID
  bridge_pids+=("$proxy_pid")
  read -r _ proxy_port <&"${PROXY[0]}" || fail "the proxy did not start"
  start_out "tcp://127.0.0.1:$proxy_port" "$@"
  echo "$marker" | "$IPCKIT" chan send "$src"
  got=$(timeout 30 "$IPCKIT" chan recv "$dst" --count 1 --timeout 20) || fail "nothing arrived (${*})"
  [ "$got" = "$marker" ] || fail "received \"$got\""
  kill "$out_pid" "$proxy_pid"
  wait "$out_pid" "$proxy_pid" 2>/dev/null || true
}

# Plaintext first: the capture shows the marker.
start_in 'tcp://127.0.0.1:*'
run_through_proxy "$work/plain.cap"
grep -q "$marker" "$work/plain.cap" || fail "the plaintext capture does not show the marker: the check cannot work"
kill "$in_pid"
wait "$in_pid" 2>/dev/null || true

# CURVE: the stranger is refused; the client gets through, encrypted.
start_in 'tcp://127.0.0.1:*' --curve "$k/server.key" --allow "$k/client.pub"
start_out "tcp://127.0.0.1:$in_port" --curve "$k/stranger.key" --server-key "$k/server.pub"
echo "from-the-stranger" | "$IPCKIT" chan send "$src"
deadline=$((SECONDS + 30))
until grep -q 'event=refused.*CURVE key not allowed' "$work/in.log"; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the stranger's key was not refused: $(tail -n 5 "$work/in.log")"
  sleep 0.1
done
grep -qF -- "$(cat "$k/stranger.pub")" "$work/in.log" || fail "the refusal does not name the key"
kill "$out_pid"
wait "$out_pid" 2>/dev/null || true
if "$IPCKIT" chan recv "$dst" --count 1 --timeout 1 >/dev/null 2>&1; then
  fail "the stranger's message was committed"
fi
"$IPCKIT" chan recv "$src" --count 1 --timeout 5 >/dev/null || fail "the stranger's message left the source"

run_through_proxy "$work/curve.cap" --curve "$k/client.key" --server-key "$k/server.pub"
[ -s "$work/curve.cap" ] || fail "the CURVE capture is empty"
if grep -q "$marker" "$work/curve.cap"; then fail "the marker crossed the wire in plaintext under CURVE"; fi
echo "bridge_curve: ok"
