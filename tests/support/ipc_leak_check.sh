#!/usr/bin/env bash
# ipc_leak_check.sh snapshot|verify FILE
# Records the machine's IPC objects (System V shm/sem/msg by key+id, /dev/shm entries, POSIX
# message queues, socket files under /tmp) and, on verify, fails listing every object that exists
# now but did not exist at snapshot time. Objects that vanished are not an error.
#
# A kind this environment cannot list (no /proc/sysvipc, no /dev/shm, no mqueue filesystem and
# no way to mount one privately, as in a chroot or an unprivileged container) never fails the
# snapshot: it is left out, with one line saying what could not be seen and why, and verify
# checks exactly the kinds the snapshot saw. The FILE's first line names those kinds.
set -uo pipefail
mode=${1:-} file=${2:-}

# list_kind KIND: prints KIND's objects, one per line; fails (printing the reason on stderr)
# when this environment cannot list KIND.
list_kind() {
  case $1 in
    sysv-shm | sysv-sem | sysv-msg)
      local table=/proc/sysvipc/${1#sysv-}
      [ -r "$table" ] || { echo "$table is not readable (is /proc mounted?)" >&2; return 1; }
      # key and id are the first two columns in every /proc/sysvipc table.
      awk -v k="$1" 'NR > 1 { printf "%s key=%s id=%s\n", k, $1, $2 }' "$table"
      ;;
    dev-shm)
      [ -d /dev/shm ] || { echo "/dev/shm does not exist" >&2; return 1; }
      find /dev/shm -mindepth 1 -maxdepth 1 -printf 'dev-shm %f\n'
      ;;
    mqueue)
      if [ -d /dev/mqueue ] && mountpoint -q /dev/mqueue; then
        find /dev/mqueue -mindepth 1 -maxdepth 1 -printf 'mqueue %f\n'
        return
      fi
      # No mqueue filesystem mounted here: mount one in a private mount namespace (it still shows
      # this IPC namespace's queues), so leaked POSIX message queues are not invisible.
      [ "$(id -u)" -eq 0 ] || { echo "/dev/mqueue is not mounted and we are not root" >&2; return 1; }
      command -v unshare >/dev/null || { echo "/dev/mqueue is not mounted and there is no unshare" >&2; return 1; }
      local out
      out=$(unshare --mount --propagation private sh -c '
        d=$(mktemp -d) || exit 1
        mount -t mqueue none "$d" || { rmdir "$d"; exit 1; }
        find "$d" -mindepth 1 -maxdepth 1 -printf "mqueue %f\n"; rc=$?
        umount "$d"; rmdir "$d"; exit $rc' 2>&1) || {
        echo "/dev/mqueue is not mounted and a private mount namespace cannot mount one: $(tail -n 1 <<<"$out")" >&2
        return 1
      }
      printf '%s\n' "$out" | grep '^mqueue ' || true
      ;;
    socket)
      find /tmp -maxdepth 2 -type s -printf 'socket %p\n' 2>/dev/null || true
      ;;
  esac
}

all_kinds="sysv-shm sysv-sem sysv-msg dev-shm mqueue socket"

# list_objects KINDS...: the objects of every kind listed; the kinds that could be listed go to
# fd 3, one line per kind that could not to stderr.
list_objects() {
  local kind reason
  for kind in "$@"; do
    if reason=$( { list_kind "$kind" >"$tmp/$kind"; } 2>&1); then
      cat "$tmp/$kind"
      echo "$kind" >&3
    else
      echo "ipc_leak_check: cannot see $kind objects here, not checking them: $reason" >&2
    fi
  done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $mode in
  snapshot)
    [ -n "$file" ] || { echo "usage: $0 snapshot|verify FILE" >&2; exit 2; }
    # shellcheck disable=SC2086  # word splitting of the kind list is intended
    list_objects $all_kinds 3>"$tmp/kinds" | sort >"$tmp/objects"
    seen=$(paste -sd ' ' "$tmp/kinds")
    # CI must see every kind: there a blind spot is a broken machine, not a limit to live with.
    if [ "${CI:-}" = true ] && [ "$seen" != "$all_kinds" ]; then
      echo "ipc_leak_check: CI=true and not every kind of object can be listed (see above)" >&2
      exit 1
    fi
    { echo "# kinds: $seen"; cat "$tmp/objects"; } >"$file"
    echo "ipc_leak_check: watching $seen"
    ;;
  verify)
    [ -r "$file" ] || { echo "ipc_leak_check: no snapshot '$file' (did the snapshot step run?)" >&2; exit 1; }
    kinds=$(sed -n '1s/^# kinds: //p' "$file")
    # shellcheck disable=SC2086
    list_objects $kinds 3>"$tmp/kinds" | sort >"$tmp/after"
    # shellcheck disable=SC2086
    for kind in $kinds; do
      grep -qx "$kind" "$tmp/kinds" || { echo "ipc_leak_check: $kind objects were listed at snapshot time but cannot be now" >&2; exit 1; }
    done
    leaked=$(grep -v '^#' "$file" | comm -13 - "$tmp/after")
    if [ -n "$leaked" ]; then
      echo "IPC objects left behind by the test suite:" >&2
      echo "$leaked" | sed 's/^/  /' >&2
      exit 1
    fi
    echo "no IPC objects left behind (checked: $kinds)"
    ;;
  *)
    echo "usage: $0 snapshot|verify FILE" >&2
    exit 2
    ;;
esac
