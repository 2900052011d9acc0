#!/usr/bin/env bash
# The suite where no private mount or PID namespace can be made (a plain chroot, an unprivileged
# container), simulated on this machine: an `unshare` earlier on PATH refuses --mount and --pid
# with the error a chroot gives. Then:
# - the leak check's snapshot and verify still succeed, saying on one line what they cannot see;
# - tests that need those namespaces end with "cannot run here: why" and exit 77 (ctest: skipped);
# - under CI=true the same tests fail instead.
# scripts/check-fresh.sh proves the real thing in a debootstrapped chroot (docs: README.md).
set -euo pipefail

: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"

fail() {
  echo "without_namespaces: FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-without-ns.XXXXXX")
trap 'rm -rf "$work"' EXIT
real_unshare=$(command -v unshare) || fail "unshare (util-linux) is needed"
mkdir "$work/bin" "$work/out"
cat >"$work/bin/unshare" <<SHIM
#!/bin/sh
for a in "\$@"; do
  case \$a in
    --mount | --mount=* | -m | --pid | --pid=* | -p | --mount-proc | --mount-proc=*)
      echo "unshare: cannot change root filesystem propagation: Invalid argument" >&2
      exit 1 ;;
  esac
done
exec "$real_unshare" "\$@"
SHIM
chmod +x "$work/bin/unshare"
export PATH="$work/bin:$PATH"

# The leak check, as a chroot without /dev/mqueue sees it. Other tests run in parallel, so it runs
# with its own System V namespace, /dev/shm and /tmp (made with the real unshare), where nothing
# but itself can make objects between its snapshot and its verify.
"$real_unshare" --ipc --mount --propagation private env -u CI bash -c '
  set -e
  shim=$(cat "$1") leak=$2
  # Opened before /tmp is covered, so the results reach the caller.
  exec 3>"$3/snap.rc" 4>"$3/snap" 5>"$3/snap.err" 6>"$3/verify.out"
  mount -t tmpfs ipckit-test /dev/shm
  mount -t tmpfs ipckit-test /tmp
  mkdir /tmp/bin
  printf "%s\n" "$shim" >/tmp/bin/unshare
  chmod +x /tmp/bin/unshare
  export PATH=/tmp/bin:$PATH
  rc=0
  bash "$leak" snapshot /tmp/snap 2>&5 || rc=$?
  echo "snapshot-rc $rc" >&3
  cat /tmp/snap >&4 2>/dev/null || true
  rc=0
  bash "$leak" verify /tmp/snap >&6 2>&1 || rc=$?
  echo "verify-rc $rc" >&3
' bash "$work/bin/unshare" "$IPCKIT_SOURCE_DIR/tests/support/ipc_leak_check.sh" "$work/out" ||
  fail "could not run the leak check in a private namespace"
grep -q "^snapshot-rc 0$" "$work/out/snap.rc" || fail "snapshot failed: $(cat "$work/out/snap.err")"
if ! mountpoint -q /dev/mqueue 2>/dev/null; then
  grep -q "^ipc_leak_check: cannot see mqueue objects here, not checking them: .*cannot change root filesystem propagation" \
    "$work/out/snap.err" || fail "the snapshot did not say what it cannot see: $(cat "$work/out/snap.err")"
  [ "$(wc -l <"$work/out/snap.err")" = 1 ] || fail "expected one line on stderr: $(cat "$work/out/snap.err")"
  head -n 1 "$work/out/snap" | grep -q " mqueue" && fail "mqueue listed as watched: $(head -n 1 "$work/out/snap")"
fi
grep -q "^verify-rc 0$" "$work/out/snap.rc" || fail "verify failed: $(cat "$work/out/verify.out")"
echo "ok: leak check without mount namespaces: $(head -n 1 "$work/out/snap"); $(cat "$work/out/snap.err")"

# Tests that need the namespaces say why and are counted as skipped; under CI=true they fail.
for t in rm_cli mqueue_listing posix_tour ipcs_compat_stat lsipc_compat_stat; do
  rc=0
  env -u CI bash "$IPCKIT_SOURCE_DIR/tests/cli/$t.sh" >"$work/$t.out" 2>&1 || rc=$?
  [ "$rc" = 77 ] || fail "$t exited $rc, expected 77 (skipped): $(tail -n 3 "$work/$t.out")"
  grep -q "^cannot run here: " "$work/$t.out" || fail "$t did not say why: $(tail -n 3 "$work/$t.out")"
  echo "ok: $t -> 77: $(grep "^cannot run here: " "$work/$t.out")"
done
rc=0
CI=true bash "$IPCKIT_SOURCE_DIR/tests/cli/rm_cli.sh" >"$work/ci.out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "FAIL: cannot run here, and CI must run every test" "$work/ci.out" ||
  fail "under CI=true rm_cli exited $rc: $(cat "$work/ci.out")"
echo "ok: under CI=true a test that cannot run fails"
echo "without_namespaces: ok"
