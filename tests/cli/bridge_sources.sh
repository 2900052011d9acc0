#!/usr/bin/env bash
# Several sources into one bridge in (docs/bridge.md): two source channels, each with its own
# bridge out (--source a, --source b), feed one destination at the same time; each source's
# messages keep their order there (checked whole, stream by stream), and `bridge stat` names
# both sources with their counts. A second bridge out with a name already connected gets
# nothing committed.
set -euo pipefail

fail() {
  echo "bridge_sources: FAIL: $*" >&2
  keep_logs=1
  exit 1
}
# shellcheck source=tests/cli/bridge/common.sh
. "$(dirname "$0")/bridge/common.sh"
bridge_setup sources
src2=$src-2
cleanup_more() {
  "$IPCKIT" chan rm "$src2" >/dev/null 2>&1 || true
  bridge_cleanup
}
trap cleanup_more EXIT

count=20000
if [ -n "${IPCKIT_SANITIZE:-}" ]; then count=3000; fi
seed_a=$(((RANDOM << 8) | 1))
seed_b=$(((RANDOM << 8) | 2))
"$IPCKIT" chan create "$src" --capacity 1M
"$IPCKIT" chan create "$src2" --capacity 1M
"$IPCKIT" chan create "$dst" --capacity 1M
start_in 'tcp://127.0.0.1:*'
"$IPCKIT" bridge out "$src" "tcp://127.0.0.1:$in_port" --source a 2>>"$work/out-a.log" &
bridge_pids+=($!)
"$IPCKIT" bridge out "$src2" "tcp://127.0.0.1:$in_port" --source b 2>>"$work/out-b.log" &
bridge_pids+=($!)

"$IPCKIT_BRIDGE_LOAD" verify-multi "$dst" 60 "$seed_a:$count" "$seed_b:$count" >"$work/verify.out" 2>"$work/verify.err" &
verify_pid=$!
bridge_pids+=("$verify_pid")
"$IPCKIT_BRIDGE_LOAD" produce "$src" "$count" "$seed_a" &
pa=$!
"$IPCKIT_BRIDGE_LOAD" produce "$src2" "$count" "$seed_b" || fail "producer b failed"
wait "$pa" || fail "producer a failed"
wait "$verify_pid" || fail "verify: $(cat "$work/verify.err")"

stat_json=$("$IPCKIT" bridge stat "$dst" --json)
python3 - "$count" "$stat_json" <<'PY' || fail "bridge stat: $stat_json"
import json, sys
count, doc = int(sys.argv[1]), json.loads(sys.argv[2])
by_name = {s["name"]: s for s in doc["sources"]}
assert set(by_name) == {"a", "b"}, by_name
for s in by_name.values():
    assert s["committed"] == count and s["duplicates"] == 0, s
PY

# A second "a" while the first is connected: ZeroMQ refuses the name, nothing of it is committed.
"$IPCKIT" chan rm "$src2"
"$IPCKIT" chan create "$src2" --capacity 64K
echo intruder | "$IPCKIT" chan send "$src2"
"$IPCKIT" bridge out "$src2" "tcp://127.0.0.1:$in_port" --source a 2>>"$work/out-dup.log" &
dup=$!
bridge_pids+=("$dup")
deadline=$((SECONDS + 10))
until [ "$(grep -c 'event=hello' "$work/out-dup.log" 2>/dev/null || true)" -ge 2 ]; do
  [ "$SECONDS" -lt "$deadline" ] || break
  sleep 0.1
done
if grep -q 'event=welcome' "$work/out-dup.log"; then
  fail "a second source with a connected name was welcomed: $(cat "$work/out-dup.log")"
fi
if "$IPCKIT" chan recv "$dst" --count 1 --timeout 1 >/dev/null 2>&1; then
  fail "a second source with a connected name got a message committed"
fi
echo "bridge_sources: ok"
