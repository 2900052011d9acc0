#!/usr/bin/env bash
# A SIGKILLed `ipckit bench` leaves nothing (bench/harness/janitor.hpp): for each mechanism whose
# objects live through a round (a channel's and a shared state's /dev/shm entries, a private
# System V message queue, a System V semaphore set), the bench is stopped mid-round, the object
# is seen to exist, the bench is SIGKILLed, and the object must be gone within 20 s. A bench that
# ends normally leaves no janitor behind. Runs in an IPC namespace of its own, so every System V
# object there is the bench's.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "bench_killed: FAIL: $*" >&2
  exit 1
}

exec unshare --ipc bash -euo pipefail -c '
ipckit=$1
fail() { echo "bench_killed: FAIL: $*" >&2; exit 1; }
bench=
cleanup() {
  if [ -n "$bench" ]; then kill -CONT "$bench" 2>/dev/null || true; kill -9 "$bench" 2>/dev/null || true; fi
  rm -f /dev/shm/ipckit-bench-"$bench"-* 2>/dev/null || true
}
trap cleanup EXIT

sysv_count() {  # sysv_count msg|sem|shm: objects in this IPC namespace
  echo $(( $(wc -l </proc/sysvipc/$1) - 1 ))
}
# objects MECH PID: how many of the bench PID objects of MECH exist now
objects() {
  case $1 in
    channel | shared-state) compgen -G "/dev/shm/ipckit-bench-$2-*" | wc -l ;;
    sysv-msg) sysv_count msg ;;
    sysv-shm-sem) sysv_count sem ;;
  esac
}

for mech in channel shared-state sysv-msg sysv-shm-sem; do
  # Rounds of 5 s: the bench is stopped inside one.
  "$ipckit" bench --only "$mech" --sizes 64 --rounds 100 --duration 5 --no-pin >/dev/null 2>&1 &
  bench=$!
  seen=
  # A round is under way once its processes are forked (two children of the bench; the janitor
  # is not one): its objects were made, and told to the janitor, before that. (An id-based object
  # is told right after it is made, so stopping the bench merely when the object appears could
  # catch it in between.)
  for _ in $(seq 600); do
    if [ "$(objects "$mech" "$bench")" -gt 0 ] && [ "$(pgrep -P "$bench" | wc -l)" -ge 2 ]; then
      kill -STOP "$bench"
      # Stopped, the bench cannot remove anything: what is there now must be cleaned up by the janitor.
      [ "$(objects "$mech" "$bench")" -gt 0 ] && [ "$(pgrep -P "$bench" | wc -l)" -ge 2 ] &&
        { seen=1; break; }
      kill -CONT "$bench"
    fi
    sleep 0.05
  done
  [ -n "$seen" ] || fail "$mech: the bench made no object within 30 s"
  kill -9 "$bench"
  wait "$bench" 2>/dev/null || true
  gone=
  for _ in $(seq 400); do
    [ "$(objects "$mech" "$bench")" = 0 ] && { gone=1; break; }
    sleep 0.05
  done
  [ -n "$gone" ] || fail "$mech: left behind 20 s after the bench was killed: $(ls /dev/shm | grep "ipckit-bench-$bench" || true) $(cat /proc/sysvipc/msg /proc/sysvipc/sem)"
  bench=
done
# The round processes of the killed benches are gone too (PR_SET_PDEATHSIG), and no janitor is
# left: nothing in this test still runs the marker duration.
marker=5.0317
"$ipckit" bench --only channel --sizes 64 --rounds 1 --duration "$marker" >/dev/null 2>&1 &
bench=$!
for _ in $(seq 600); do [ "$(objects channel "$bench")" -gt 0 ] && break; sleep 0.05; done
kill -INT "$bench"   # Ctrl-C: the bench ends, its janitor (which ignores SIGINT) sees it go
wait "$bench" 2>/dev/null || true
left=
for _ in $(seq 400); do
  left=$(pgrep -f -- "--duration $marker" || true)
  [ -z "$left" ] && [ "$(objects channel "$bench")" = 0 ] && break
  sleep 0.05
done
[ -z "$left" ] || fail "processes left after an interrupted bench: $left"
[ "$(objects channel "$bench")" = 0 ] || fail "channel left after an interrupted bench"
bench=
echo "bench_killed: ok"
' sh "$IPCKIT"
