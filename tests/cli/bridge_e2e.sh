#!/usr/bin/env bash
# `ipckit bridge out` → `ipckit bridge in` over tcp://127.0.0.1 (docs/bridge.md):
#   1. a million messages of random sizes (1 B to 64 KiB) from one channel arrive in the other,
#      each checked whole and in order by bridge_load (100,000 under a sanitizer build, which
#      runs 5-20 times slower), and the ledger says the same count;
#   2. SIGTERM ends both sides with status 0, and the source ring is empty (everything was
#      acknowledged, then released);
#   3. a restarted bridge in, fed by the same bridge out, commits nothing twice.
set -euo pipefail

fail() {
  echo "bridge_e2e: FAIL: $*" >&2
  keep_logs=1
  exit 1
}
# shellcheck source=tests/cli/bridge/common.sh
. "$(dirname "$0")/bridge/common.sh"
bridge_setup e2e

count=1000000
if [ -n "${IPCKIT_SANITIZE:-}" ]; then count=100000; fi
seed=$RANDOM

"$IPCKIT" chan create "$src" --capacity 4M
"$IPCKIT" chan create "$dst" --capacity 4M
start_in 'tcp://127.0.0.1:*'
[ -n "$in_port" ] || fail "bridge in did not say which port it bound: $(cat "$work/in.log")"
start_out "tcp://127.0.0.1:$in_port"

"$IPCKIT_BRIDGE_LOAD" verify "$dst" "$count" "$seed" 120 >"$work/verify.out" 2>"$work/verify.err" &
verify_pid=$!
bridge_pids+=("$verify_pid")
"$IPCKIT_BRIDGE_LOAD" produce "$src" "$count" "$seed" || fail "the producer failed"
wait "$verify_pid" || fail "verify: $(cat "$work/verify.err")"
grep -q "verified $count messages" "$work/verify.out" || fail "verify said: $(cat "$work/verify.out")"

# The ledger counts every message once.
stat_json=$("$IPCKIT" bridge stat "$dst" --json)
python3 - "$count" "$stat_json" <<'PY' || fail "bridge stat: $stat_json"
import json, sys
count, doc = int(sys.argv[1]), json.loads(sys.argv[2])
[s] = doc["sources"]
assert s["name"] == "e2e", s
assert s["committed"] == count, s
assert s["duplicates"] == 0, s
assert s["pending"] is False, s
PY

# Everything acknowledged is released: the source ring drains to empty.
deadline=$((SECONDS + 30))
until "$IPCKIT" chan stat --json "$src" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["used"] == 0 else 1)' 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the source ring still holds acknowledged messages"
  sleep 0.1
done

# A restarted bridge in commits nothing twice: send 1000 more, kill -9 the in side mid-way,
# start it again on the same port, and check that exactly the 1000 arrive.
seed2=$((seed + 1))
"$IPCKIT_BRIDGE_LOAD" verify "$dst" 1000 "$seed2" 60 >"$work/verify2.out" 2>"$work/verify2.err" &
verify_pid=$!
bridge_pids+=("$verify_pid")
"$IPCKIT_BRIDGE_LOAD" produce "$src" 500 "$seed2"
kill -9 "$in_pid"
wait "$in_pid" 2>/dev/null || true
start_in "tcp://127.0.0.1:$in_port"
# The second half continues the first's sequence: produce the messages 500..999 of seed2.
"$IPCKIT_BRIDGE_LOAD" produce-from "$src" 500 1000 "$seed2" || fail "the second producer failed"
wait "$verify_pid" || fail "verify after the restart: $(cat "$work/verify2.err")"

kill -TERM "$out_pid" "$in_pid"
rc=0
wait "$out_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "bridge out exited $rc on SIGTERM"
rc=0
wait "$in_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "bridge in exited $rc on SIGTERM"
grep -q "event=stats" "$work/out.log" || fail "bridge out logged no final stats line"
echo "bridge_e2e: ok ($count messages, seed $seed)"
