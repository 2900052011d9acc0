#!/usr/bin/env bash
# `ipckit ls` against `lsipc -m` over a large population: 10,000 System V segments, 2,000 POSIX
# objects (1,000 shm, 1,000 sem.*) and 10,000 Unix sockets (5,000 socketpairs held by one helper).
#
# Everything is made inside `unshare --ipc --mount --net` (root needed): the segments live in a
# private IPC namespace (kernel.shmmni raised there only), /dev/shm is a private tmpfs, and the
# sockets are in a private network namespace, so /proc/net/unix holds ours and nothing of the
# machine's. All of it goes away with the namespaces; nothing is left behind.
#
# Usage: bench/ls_bench.sh [path/to/ipckit]   (default build/default/tools/ipckit)
# Prints a Markdown table of medians of 5 runs (hyperfine when installed, else date +%s%N).
# Not part of ctest.
set -euo pipefail

ipckit=$(realpath "${1:-build/default/tools/ipckit}")
[ -x "$ipckit" ] || { echo "ls_bench: no ipckit at $ipckit" >&2; exit 1; }
command -v python3 >/dev/null || { echo "ls_bench: python3 is needed" >&2; exit 1; }
command -v lsipc >/dev/null || { echo "ls_bench: lsipc (util-linux) is needed" >&2; exit 1; }

if [ "${LS_BENCH_INNER:-}" != 1 ]; then
  exec env LS_BENCH_INNER=1 unshare --ipc --mount --net --propagation private "$0" "$ipckit"
fi

# ---- inside the namespaces ----
mount -t tmpfs -o size=64m tmpfs /dev/shm
echo 32768 >/proc/sys/kernel/shmmni
ulimit -n 20000

python3 - <<'PY'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT = 0, 0o1000
for i in range(10000):
    if libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600) < 0:
        raise OSError(ctypes.get_errno(), "shmget")
for i in range(1000):
    with open(f"/dev/shm/bench-{i}", "wb") as f:
        f.truncate(4096)
    with open(f"/dev/shm/sem.bench-{i}", "wb") as f:
        f.truncate(32)
PY

ready=$(mktemp)
python3 -c '
import socket, sys, time
pairs = [socket.socketpair() for _ in range(5000)]
open(sys.argv[1], "w").write("up")
time.sleep(600)' "$ready" &
helper=$!
trap 'kill $helper 2>/dev/null || true; rm -f "$ready"' EXIT
for _ in $(seq 300); do [ -s "$ready" ] && break; sleep 0.1; done

shm=$("$ipckit" ls --type sysv-shm --raw -o ID | tail -n +2 | wc -l)
posix=$("$ipckit" ls --type posix-shm,posix-sem --raw -o NAME | tail -n +2 | wc -l)
unix=$("$ipckit" ls --type unix --raw -o INODE | tail -n +2 | wc -l)
echo "population: $shm System V segments, $posix POSIX objects, $unix Unix sockets" >&2

median_ms() {  # median of 5 runs of "$@", in milliseconds
  local times=()
  for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 / 1000}'
}

if command -v hyperfine >/dev/null; then
  hyperfine --runs 5 --export-markdown /dev/stdout \
    "$ipckit ls" "$ipckit ls --type sysv-shm" "lsipc -m" "$ipckit ls --json"
else
  echo "| command | median of 5 (ms) |"
  echo "|---|---|"
  echo "| \`ipckit ls\` (everything) | $(median_ms "$ipckit" ls) |"
  echo "| \`ipckit ls --json\` | $(median_ms "$ipckit" ls --json) |"
  echo "| \`ipckit ls --type sysv-shm\` | $(median_ms "$ipckit" ls --type sysv-shm) |"
  echo "| \`lsipc -m\` | $(median_ms lsipc -m) |"
fi
