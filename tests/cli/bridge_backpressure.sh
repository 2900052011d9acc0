#!/usr/bin/env bash
# Back-pressure through the bridge (docs/bridge.md, "Back-pressure"): the destination's consumer
# stops (SIGSTOP); the destination ring fills, then the source ring, and the producer blocks:
# nothing is dropped on the way. The consumer resumes (SIGCONT) and every message arrives, in
# order, each checked whole.
set -euo pipefail

fail() {
  echo "bridge_backpressure: FAIL: $*" >&2
  keep_logs=1
  exit 1
}
# shellcheck source=tests/cli/bridge/common.sh
. "$(dirname "$0")/bridge/common.sh"
bridge_setup bp

count=3000  # about 11 MB of random sizes (16 KiB at most here): far more than both rings hold
seed=$RANDOM
"$IPCKIT" chan create "$src" --capacity 64K
"$IPCKIT" chan create "$dst" --capacity 64K
start_in 'tcp://127.0.0.1:*'
start_out "tcp://127.0.0.1:$in_port"

"$IPCKIT_BRIDGE_LOAD" verify "$dst" "$count" "$seed" 120 >"$work/verify.out" 2>"$work/verify.err" &
verify_pid=$!
bridge_pids+=("$verify_pid")
# Stop the consumer once it is attached (it may have taken a few messages by then).
deadline=$((SECONDS + 30))
until "$IPCKIT" chan stat --json "$dst" | grep -q '"consumer"'; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the consumer did not attach"
  sleep 0.05
done
kill -STOP "$verify_pid"

"$IPCKIT_BRIDGE_LOAD" produce "$src" "$count" "$seed" &
producer=$!
bridge_pids+=("$producer")

# Both rings fill up (more than three quarters each) while the producer is blocked.
fill() { "$IPCKIT" chan stat --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["fill_percent"])'; }
deadline=$((SECONDS + 60))
until python3 -c "import sys; sys.exit(0 if $(fill "$dst") > 75 and $(fill "$src") > 75 else 1)"; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the rings did not fill: destination $(fill "$dst")%, source $(fill "$src")%"
  kill -0 "$producer" 2>/dev/null || fail "the producer finished although the consumer is stopped"
  sleep 0.1
done
kill -0 "$producer" 2>/dev/null || fail "the producer finished although the consumer is stopped"
kill -0 "$in_pid" || fail "bridge in died under back-pressure: $(tail -n 3 "$work/in.log")"
kill -0 "$out_pid" || fail "bridge out died under back-pressure: $(tail -n 3 "$work/out.log")"

kill -CONT "$verify_pid"
wait "$producer" || fail "the producer failed"
wait "$verify_pid" || fail "verify: $(cat "$work/verify.err")"
grep -q "verified $count messages" "$work/verify.out" || fail "verify said: $(cat "$work/verify.out")"
if grep -q 'level=error' "$work/in.log" "$work/out.log"; then
  fail "an error was logged: $(grep -h 'level=error' "$work/in.log" "$work/out.log" | head -3)"
fi
echo "bridge_backpressure: ok ($count messages, seed $seed)"
