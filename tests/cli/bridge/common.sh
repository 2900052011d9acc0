# shellcheck shell=bash
# Shared by the bridge tests (sourced after `fail` is defined): channels, ledgers and processes
# of one test, removed at exit, and the helpers to start the bridge's two sides.
#
#   bridge_setup TAG        names: $src $dst (channels), $work (a temporary directory)
#   start_in ENDPOINT [ARGS...]   starts `bridge in ENDPOINT $dst`, logging to $work/in.log;
#                           sets $in_pid; waits for its start line and sets $in_port (the
#                           port bound, for tcp://127.0.0.1:*)
#   start_out ENDPOINT [ARGS...]  starts `bridge out $src ENDPOINT --source $TAG`, logging to
#                           $work/out.log; sets $out_pid
#   ledger_of CHANNEL       the path of CHANNEL's ledger
#   expect_running          fails the test when bridge in or bridge out ended on its own (a
#                           crash or a sanitizer report), instead of waiting for traffic that
#                           can no longer come

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${IPCKIT_BRIDGE_LOAD:?set by ctest: the bridge_load test program}"

bridge_pids=()
bridge_setup() {
  tag=$1
  src=ipckit-test-$$-$tag-src
  dst=ipckit-test-$$-$tag-dst
  work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-bridge-$tag.XXXXXX")
  trap bridge_cleanup EXIT
}

bridge_cleanup() {
  { for pid in "${bridge_pids[@]}"; do kill -9 "$pid" || true; done; wait || true; } 2>/dev/null
  for c in "$src" "$dst"; do
    "$IPCKIT" chan rm "$c" >/dev/null 2>&1 || true
    rm -f "/dev/shm/ipckit-bridge.$c"
  done
  if [ -n "${keep_logs:-}" ]; then
    for f in "$work"/*.log "$work"/*.err; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; } >&2; done
  fi
  rm -rf "$work"
}

ledger_of() { echo "/dev/shm/ipckit-bridge.$1"; }

expect_running() {
  if [ -n "${in_pid:-}" ] && ! kill -0 "$in_pid" 2>/dev/null; then
    fail "bridge in ended on its own: $(tail -n 5 "$work/in.log")"
  fi
  if [ -n "${out_pid:-}" ] && ! kill -0 "$out_pid" 2>/dev/null; then
    fail "bridge out ended on its own: $(tail -n 5 "$work/out.log")"
  fi
}

start_in() {
  local endpoint=$1 before line
  shift
  before=$(grep -c "event=start" "$work/in.log" 2>/dev/null || true)
  "$IPCKIT" bridge in "$endpoint" "$dst" "$@" 2>>"$work/in.log" &
  in_pid=$!
  bridge_pids+=("$in_pid")
  local deadline=$((SECONDS + 30))
  until [ "$(grep -c "event=start" "$work/in.log" 2>/dev/null || true)" -gt "${before:-0}" ]; do
    kill -0 "$in_pid" 2>/dev/null || fail "bridge in exited at start: $(tail -n 3 "$work/in.log")"
    [ "$SECONDS" -lt "$deadline" ] || fail "bridge in did not start within 30 s"
    sleep 0.05
  done
  line=$(grep "event=start" "$work/in.log" | tail -n 1)
  in_port=$(sed -n 's/.*bound=tcp:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$line")
}

start_out() {
  local endpoint=$1
  shift
  "$IPCKIT" bridge out "$src" "$endpoint" --source "$tag" "$@" 2>>"$work/out.log" &
  out_pid=$!
  bridge_pids+=("$out_pid")
}
