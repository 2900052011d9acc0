#!/usr/bin/env bash
# ipc_leak_check.sh snapshot|verify FILE
# Records the machine's IPC objects (System V shm/sem/msg by key+id, /dev/shm entries, POSIX
# message queues, socket files under /tmp) and, on verify, fails listing every object that exists
# now but did not exist at snapshot time. Objects that vanished are not an error.
set -euo pipefail
mode=$1 file=$2

list_objects() {
  for kind in shm sem msg; do
    [ -r /proc/sysvipc/$kind ] || continue
    # key and id are the first two columns in every /proc/sysvipc table.
    awk -v k=$kind 'NR > 1 { printf "sysv-%s key=%s id=%s\n", k, $1, $2 }' /proc/sysvipc/$kind
  done
  if [ -d /dev/shm ]; then
    find /dev/shm -mindepth 1 -maxdepth 1 -printf 'dev-shm %f\n'
  fi
  if [ -d /dev/mqueue ] && mountpoint -q /dev/mqueue; then
    find /dev/mqueue -mindepth 1 -maxdepth 1 -printf 'mqueue %f\n'
  elif [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    # No mqueue filesystem mounted here: mount one in a private mount namespace (it still shows
    # this IPC namespace's queues) so leaked POSIX message queues are not invisible.
    unshare --mount --propagation private sh -c '
      d=$(mktemp -d) && mount -t mqueue none "$d" &&
        find "$d" -mindepth 1 -maxdepth 1 -printf "mqueue %f\n"
      umount "$d" 2>/dev/null; rmdir "$d"'
  fi
  find /tmp -maxdepth 2 -type s -printf 'socket %p\n' 2>/dev/null || true
}

case $mode in
  snapshot)
    list_objects | sort > "$file"
    ;;
  verify)
    after=$(mktemp)
    trap 'rm -f "$after"' EXIT
    list_objects | sort > "$after"
    leaked=$(comm -13 "$file" "$after")
    if [ -n "$leaked" ]; then
      echo "IPC objects left behind by the test suite:" >&2
      echo "$leaked" | sed 's/^/  /' >&2
      exit 1
    fi
    echo "no IPC objects left behind"
    ;;
  *)
    echo "usage: $0 snapshot|verify FILE" >&2
    exit 2
    ;;
esac
