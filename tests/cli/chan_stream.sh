#!/usr/bin/env bash
# Streams through `ipckit chan send` and `ipckit chan recv` arrive intact:
#   1. 1 GiB of pseudo-random bytes has the same SHA-256 on both sides (binary chunks);
#   2. two producers on a --multi-producer channel, 200,000 tagged --lines each: every line
#      arrives exactly once, and each producer's lines arrive in the order it sent them;
#   3. a --lines round trip of a text file (empty, long, tabbed, CR and UTF-8 lines) is
#      byte-exact, through a POSIX channel and through a System V one (sysv:KEY).
# Every receiver is attached before its senders start (see wait_for): a receiver that attaches
# after the last sender left cannot know the stream ended (docs/cli.md, "End of stream").
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "chan_stream: FAIL: $*" >&2
  exit 1
}
command -v python3 >/dev/null || fail "python3 is needed (data generator, hashes, JSON)"

prefix=ipckit-test-$$
# A System V key unique to this run: the pid in the low bits, a fixed tag above it.
sysv_key=$(printf '0x7c%06x' $(($$ & 0xffffff)))
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-chan-stream.XXXXXX")
pids=()
cleanup() {
  # (in braces: the shell's "Killed" job reports go to /dev/null too)
  { for pid in "${pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  for chan in "$prefix-stream" "$prefix-mp" "$prefix-lines" "sysv:$sysv_key"; do
    "$IPCKIT" chan rm "$chan" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=tests/cli/ipc_cli/waits.sh
. "$(dirname "$0")/ipc_cli/waits.sh"

# wait_ok PID WHAT: waits for a background job and fails the test unless it exited 0.
wait_ok() {
  local rc=0
  wait "$1" || rc=$?
  [ "$rc" -eq 0 ] || fail "$2 exited with status $rc (124: it hung and timeout killed it)"
}

# --- 1. Binary stream, SHA-256 on both sides ---------------------------------------------------
# Under a sanitizer, 64 MiB: what ASan/TSan check is the tools' code paths (partial reads, ring
# wrap-around, buffered and direct writes), and 64 MiB already runs each of them thousands of
# times (1,024 chunks, 64 laps of the 1 MiB ring). More bytes add no coverage, only time to the
# sanitizer workflows, which run the whole Debug suite two tests at a time on two-core CI
# machines; the volume check is the default build's job.
if [ -n "${IPCKIT_SANITIZE:-}" ]; then bytes=$((64 << 20)); else bytes=$((1 << 30)); fi

# Deterministic pseudo-random bytes (seeded Mersenne Twister), hashed as they are written: no
# second pass over the data, and a failure reproduces with the same bytes.
generate='
import hashlib, random, sys
left, seed, digest_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng, digest, out = random.Random(seed), hashlib.sha256(), sys.stdout.buffer
while left > 0:
    block = rng.randbytes(min(left, 1 << 20))
    digest.update(block)
    out.write(block)
    left -= len(block)
out.flush()
with open(digest_file, "w") as f:
    f.write(f"{digest.hexdigest()} {sys.argv[1]}\n")'
hash_stdin='
import hashlib, sys
digest, total = hashlib.sha256(), 0
while block := sys.stdin.buffer.read(1 << 20):
    digest.update(block)
    total += len(block)
print(digest.hexdigest(), total)'

chan=$prefix-stream
"$IPCKIT" chan create "$chan" --capacity 1M
start=$(date +%s%N)
(timeout 120 "$IPCKIT" chan recv "$chan" | python3 -c "$hash_stdin" >"$work/out.sha") &
pids+=($!)
recv_job=$!
wait_for "$chan" consumer 1
(python3 -c "$generate" "$bytes" 1 "$work/in.sha" | timeout 120 "$IPCKIT" chan send "$chan") &
pids+=($!)
wait_ok $! "generate | ipckit chan send"
wait_ok "$recv_job" "ipckit chan recv | sha256"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$(cat "$work/in.sha")" = "$(cat "$work/out.sha")" ] ||
  fail "binary stream differs: sent $(cat "$work/in.sha"), received $(cat "$work/out.sha")"
echo "ok: $bytes bytes, SHA-256 $(cut -c1-16 "$work/in.sha")... on both sides ($elapsed_ms ms)"
"$IPCKIT" chan rm "$chan"

# --- 2. Two producers, tagged lines ------------------------------------------------------------
chan=$prefix-mp
lines=200000
seq -f 'A %06g' 1 $lines >"$work/A.txt"
seq -f 'B %06g' 1 $lines >"$work/B.txt"
"$IPCKIT" chan create "$chan" --multi-producer --capacity 64K
# The receiver polls once per 50 µs: batching must not lose or reorder anything.
(timeout 60 "$IPCKIT" chan recv --lines --poll-interval 50 "$chan" >"$work/mp.out") &
pids+=($!)
recv_job=$!
wait_for "$chan" consumer 1
# Both senders attach at once but read nothing until "go": had one finished before the other
# attached, the receiver would rightly have seen the end of the stream in between.
send_jobs=()
for tag in A B; do
  ( (while [ ! -e "$work/go" ]; do sleep 0.01; done; cat "$work/$tag.txt") |
    timeout 60 "$IPCKIT" chan send --lines "$chan") &
  pids+=($!)
  send_jobs+=($!)
done
wait_for "$chan" producer 2
touch "$work/go"
for job in "${send_jobs[@]}"; do wait_ok "$job" "ipckit chan send --lines (producer)"; done
wait_ok "$recv_job" "ipckit chan recv --lines (two producers)"

got=$(wc -l <"$work/mp.out")
[ "$got" -eq $((2 * lines)) ] || fail "two producers: received $got lines, expected $((2 * lines))"
for tag in A B; do
  grep "^$tag " "$work/mp.out" | cmp -s - "$work/$tag.txt" ||
    fail "two producers: producer $tag's lines are missing, repeated or out of order"
done
# How finely the producers interleaved (not a requirement, but a stream with 1 switch would
# not have exercised the producer lock much).
switches=$(cut -c1 "$work/mp.out" | uniq | wc -l)
echo "ok: 2 x $lines lines, each producer in order, $switches runs of one producer's lines"
"$IPCKIT" chan rm "$chan"

# --- 3. --lines round trip of a text file ------------------------------------------------------
python3 - "$work/text.txt" <<'EOF'
import random, sys
rng = random.Random(7)
words = ["channel", "ring", "héllo", "wörld", "ω≈ç", "tab\there", "cr\r", "  spaced  ", ""]
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    f.write("\n\n")  # the file starts with empty lines
    for i in range(20000):
        f.write(" ".join(rng.choice(words) for _ in range(rng.randrange(0, 12))) + "\n")
    f.write("x" * 100000 + "\n")  # longer than the 64 KiB chunks a binary send would use
    f.write("\n")  # and ends with an empty line
EOF
for chan in "$prefix-lines" "sysv:$sysv_key"; do
  "$IPCKIT" chan create "$chan"
  (timeout 60 "$IPCKIT" chan recv --lines "$chan" "$work/text.out") &
  pids+=($!)
  recv_job=$!
  wait_for "$chan" consumer 1
  timeout 60 "$IPCKIT" chan send --lines "$chan" "$work/text.txt" ||
    fail "$chan: ipckit chan send --lines exited with status $?"
  wait_ok "$recv_job" "ipckit chan recv --lines $chan"
  cmp "$work/text.txt" "$work/text.out" || fail "$chan: --lines round trip is not byte-exact"
  echo "ok: --lines round trip through $chan is byte-exact ($(wc -c <"$work/text.txt") bytes)"
  "$IPCKIT" chan rm "$chan"
done
