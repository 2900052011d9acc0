#!/usr/bin/env bash
# Bad input to `ipckit bridge` (docs/bridge.md, "Errors"): each is refused with one line that
# says what and why, exit 1, and nothing is left behind; an unreachable bridge in is retried
# with backoff until SIGTERM (exit 0), not a crash.
set -euo pipefail

fail() {
  echo "bridge_errors: FAIL: $*" >&2
  keep_logs=1
  exit 1
}
# shellcheck source=tests/cli/bridge/common.sh
. "$(dirname "$0")/bridge/common.sh"
bridge_setup errors

"$IPCKIT" chan create "$src" --capacity 64K
refused() {  # WHAT SAYS COMMAND...: exit 1 and one line on stderr containing SAYS
  local what=$1 says=$2 msg rc=0
  shift 2
  msg=$("$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1 ($msg)"
  [ "$(wc -l <<<"$msg")" -eq 1 ] || fail "$what: more than one line: $msg"
  grep -q -- "$says" <<<"$msg" || fail "$what: expected \"$says\", got: $msg"
}
refused "an unknown scheme" 'unknown scheme "udp"' "$IPCKIT" bridge out "$src" udp://127.0.0.1:5555
refused "no port" "HOST:PORT" "$IPCKIT" bridge in tcp://127.0.0.1 "$dst"
refused "plaintext to another host" "--insecure" "$IPCKIT" bridge out "$src" tcp://192.0.2.1:5555
refused "plaintext on every address" "--insecure" "$IPCKIT" bridge in 'tcp://0.0.0.0:*' "$dst"
refused "a missing source channel" "No such file" "$IPCKIT" bridge out "$src-missing" tcp://127.0.0.1:9

# A destination that is not an ipckit channel is refused and left alone.
"$IPCKIT" shm create "$dst" --size 4096 >/dev/null
refused "a plain shm object as the destination" "not an ipckit channel" \
  "$IPCKIT" bridge in 'tcp://127.0.0.1:*' "$dst"
[ -e "/dev/shm/$dst" ] || fail "the foreign object was removed"
[ ! -e "$(ledger_of "$dst")" ] || fail "a ledger was made for a channel that is not one"
rm -f "/dev/shm/$dst"

# A ledger name taken by something that is not a ledger: refused, not removed.
"$IPCKIT" chan create "$dst" --capacity 64K
head -c 100 /dev/zero >"$(ledger_of "$dst")"
refused "a foreign object in the ledger's place" "not an ipckit bridge ledger" \
  "$IPCKIT" bridge in 'tcp://127.0.0.1:*' "$dst"
refused "forget on a foreign object" "not an ipckit bridge ledger" "$IPCKIT" bridge forget "$dst"
[ -s "$(ledger_of "$dst")" ] || fail "the foreign ledger object was changed or removed"
rm -f "$(ledger_of "$dst")"

# One bridge in per channel: the second is refused while the first runs; forget is refused too.
start_in 'tcp://127.0.0.1:*'
refused "a second bridge in" "another bridge in serves this channel" \
  "$IPCKIT" bridge in 'tcp://127.0.0.1:*' "$dst"
refused "forget while served" "a bridge in serves this channel" "$IPCKIT" bridge forget "$dst"

# A source whose messages the destination cannot hold is refused at hello, and says so.
"$IPCKIT" chan rm "$src"
"$IPCKIT" chan create "$src" --capacity 1M  # max message 256K; the destination's is 16K
rc=0
msg=$(timeout 30 "$IPCKIT" bridge out "$src" "tcp://127.0.0.1:$in_port" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "an oversized source: exit $rc ($msg)"
grep -q "refused source .*takes messages of up to 262144 bytes" <<<"$msg" ||
  fail "an oversized source: $msg"
kill "$in_pid"
wait "$in_pid" || fail "bridge in did not exit 0 on SIGTERM"

# Nobody listening: the connection is retried with backoff, each attempt logged with why;
# SIGTERM ends it with 0.
"$IPCKIT" chan rm "$src"
"$IPCKIT" chan create "$src" --capacity 64K
: >"$work/out.log"
start_out tcp://127.0.0.1:1
deadline=$((SECONDS + 30))
until [ "$(grep -c 'event=no_connection.*retrying' "$work/out.log")" -ge 3 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "no retries: $(cat "$work/out.log")"
  kill -0 "$out_pid" || fail "bridge out died with nobody listening: $(tail -n 3 "$work/out.log")"
  sleep 0.1
done
kill -TERM "$out_pid"
rc=0
wait "$out_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "bridge out exited $rc on SIGTERM"
"$IPCKIT" bridge forget "$dst" || fail "forget after the bridge in left"
[ ! -e "$(ledger_of "$dst")" ] || fail "forget left the ledger"
echo "bridge_errors: ok"
