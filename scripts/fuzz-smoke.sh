#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`, clang) and runs each for a bounded time.
# Usage: scripts/fuzz-smoke.sh [SECONDS_PER_TARGET]   (default 30)
# fuzz_channel_hostile also needs channel_fuzz_peer from the main (g++) build: the sanitized
# build/asan when it is configured, else build/default (configured here if need be).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
peer_build=build/default
[ -f build/asan/build.ninja ] && peer_build=build/asan
[ -f "$peer_build/build.ninja" ] || cmake --preset default >/dev/null
cmake --build "$peer_build" --target channel_fuzz_peer
export IPCKIT_FUZZ_PEER=$PWD/$peer_build/tests/channel_fuzz_peer
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in build/fuzz/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  echo "fuzz: $(basename "$target") for ${seconds}s"
  status=0
  "$target" -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
  grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==ERROR)' "$log" || true
  if [ "$status" -ne 0 ]; then  # libFuzzer exits non-zero on a crash, a leak or a timeout
    tail -n 60 "$log"
    echo "fuzz: $(basename "$target") failed (exit $status)"
    exit 1
  fi
done
echo "fuzz: no crashes"
