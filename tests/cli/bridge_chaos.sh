#!/usr/bin/env bash
# The bridge's delivery guarantee under faults (docs/bridge.md, "Delivery"): 100 rounds, each
# sending a chunk of messages while one fault strikes at a random moment: bridge out SIGKILLed
# and restarted, bridge in SIGKILLed and restarted, or the TCP connection reset by a proxy
# between them (tests/cli/bridge/tcp_proxy.py). Every round must finish within 60 s (no hang),
# and at the end the destination holds exactly every message, in order, each checked whole:
# 0 lost, 0 duplicated, 0 reordered. The seed is printed, to replay a failure.
set -euo pipefail

fail() {
  echo "bridge_chaos: FAIL: $*" >&2
  keep_logs=1
  exit 1
}
# shellcheck source=tests/cli/bridge/common.sh
. "$(dirname "$0")/bridge/common.sh"
bridge_setup chaos

rounds=100
chunk=2000
if [ -n "${IPCKIT_SANITIZE:-}" ]; then chunk=300; fi
seed=${BRIDGE_CHAOS_SEED:-$RANDOM}
RANDOM=$seed
total=$((rounds * chunk))

"$IPCKIT" chan create "$src" --capacity 1M
"$IPCKIT" chan create "$dst" --capacity 1M
start_in 'tcp://127.0.0.1:*'
port=$in_port
[ -n "$port" ] || fail "bridge in did not say which port it bound"

coproc PROXY { exec python3 "$(dirname "$0")/bridge/tcp_proxy.py" "$port"; }
proxy_pid=$PROXY_PID
bridge_pids+=("$proxy_pid")
read -r _ proxy_port <&"${PROXY[0]}" || fail "the proxy did not start"
# A short acknowledgement timeout: a cut that loses a batch is found by the in side's gap check
# or, when the cut took the last batch, by this timeout.
out_args=(--ack-timeout 0.5)
start_out "tcp://127.0.0.1:$proxy_port" "${out_args[@]}"

"$IPCKIT_BRIDGE_LOAD" verify "$dst" "$total" "$seed" 90 >"$work/verify.out" 2>"$work/verify.err" &
verify_pid=$!
bridge_pids+=("$verify_pid")

kills_out=0 kills_in=0 cuts=0
for round in $(seq 0 $((rounds - 1))); do
  from=$((round * chunk))
  expect_running
  "$IPCKIT_BRIDGE_LOAD" produce-from "$src" "$from" $((from + chunk)) "$seed" &
  producer=$!
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  case $((RANDOM % 3)) in
    0)
      kill -9 "$out_pid"
      wait "$out_pid" 2>/dev/null || true
      kills_out=$((kills_out + 1))
      start_out "tcp://127.0.0.1:$proxy_port" "${out_args[@]}"
      ;;
    1)
      kill -9 "$in_pid"
      wait "$in_pid" 2>/dev/null || true
      kills_in=$((kills_in + 1))
      start_in "tcp://127.0.0.1:$port"
      ;;
    2)
      kill -USR1 "$proxy_pid"
      cuts=$((cuts + 1))
      ;;
  esac
  # The round ends when its chunk is in the source ring (the ring is 1 MiB: the producer
  # finishes only when the bridge moved most of it on).
  deadline=$((SECONDS + 60))
  while kill -0 "$producer" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "round $round: the chunk did not drain within 60 s (seed $seed)"
    expect_running
    sleep 0.02
  done
  wait "$producer" || fail "round $round: the producer failed (seed $seed)"
  if [ "$round" -lt $((rounds - 1)) ] && ! kill -0 "$verify_pid" 2>/dev/null; then
    fail "round $round: verify stopped early: $(cat "$work/verify.err") (seed $seed)"
  fi
done

rc=0
wait "$verify_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "verify: $(cat "$work/verify.err") (seed $seed)"
grep -q "verified $total messages" "$work/verify.out" || fail "verify said: $(cat "$work/verify.out")"
echo "bridge_chaos: ok: $total messages over $rounds rounds ($kills_out out kills, $kills_in in kills, $cuts cuts; seed $seed)"
