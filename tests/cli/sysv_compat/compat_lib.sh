# shellcheck shell=bash
# compat_lib.sh: sourced by tests/cli/ipcs_compat.sh, ipcmk_compat.sh and ipcrm_compat.sh.
#
# They compare `ipckit TOOL ARGS` with util-linux's TOOL (the system's /usr/bin/ipcs, ipcmk,
# ipcrm, which must be 2.38.x) on the same System V objects: stdout, stderr and exit status must
# be byte-for-byte equal. Every comparison runs inside a private IPC namespace (unshare --ipc;
# the tests run as root) holding only the objects built by fixture.c, so parallel tests never
# see each other's objects and nothing reaches the host namespace: the namespace, and every
# object in it, dies with its last process.
#
# Both tools run with argv[0] = the tool's name, as a shell runs them from PATH, and with
# LC_ALL=C.UTF-8: util-linux translates its messages, ipckit does not (docs/ipcs.md).

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"

COMPAT_DIR="$IPCKIT_SOURCE_DIR/tests/cli/sysv_compat"
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$IPCKIT_SOURCE_DIR/tests/cli/ipc_cli/cannot_run_here.sh"
export LC_ALL=C.UTF-8
unset POSIXLY_CORRECT

compat_fail() {
  echo "$COMPAT_NAME: $*" >&2
  exit 1
}

# compat_init NAME: checks the prerequisites, makes $WORK, builds the fixture.
compat_init() {
  COMPAT_NAME=$1
  COMPAT_CASES=0
  COMPAT_FAILED=0
  command -v unshare >/dev/null || compat_fail "unshare (util-linux) is needed"
  local name path
  SYS_ipcs="" SYS_ipcmk="" SYS_ipcrm=""
  for name in ipcs ipcmk ipcrm; do
    path=$(command -v "$name") || compat_fail "util-linux's $name is needed for the comparison"
    printf -v "SYS_$name" '%s' "$path"
  done
  local version
  version=$("$SYS_ipcs" -V 2>&1 || true)
  if [[ $version != *"util-linux 2.38"* ]]; then
    cannot_run_here "the reference is util-linux 2.38, this system has: $version"
  fi
  if [ -z "${COMPAT_INSIDE:-}" ]; then
    unshare --ipc true 2>/dev/null || compat_fail "unshare --ipc failed: this test needs root"
  fi
  WORK=${COMPAT_WORK:-}
  if [ -z "$WORK" ]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-$COMPAT_NAME-$$-XXXXXX")
    export COMPAT_WORK=$WORK
    trap 'rm -rf "$WORK"' EXIT
    chmod 755 "$WORK"
    "${CC:-cc}" -O1 -o "$WORK/fixture" "$COMPAT_DIR/fixture.c" ||
      compat_fail "cannot build the fixture with ${CC:-cc}"
    # A copy the unprivileged user (65534) can run, wherever the build tree is.
    cp "$IPCKIT" "$WORK/ipckit" && chmod 755 "$WORK/ipckit"
  fi
  export SYS_ipcs SYS_ipcmk SYS_ipcrm
}

# fixture_start WORDS...: builds the objects, waits until they exist; FIXTURE_PID holds them.
# With FIXTURE_ARGV0 set, the fixture runs under that argv[0] (its COMMAND in lsipc).
fixture_start() {
  FIXTURE_LOG="$WORK/fixture.$BASHPID"
  (exec -a "${FIXTURE_ARGV0:-$WORK/fixture}" "$WORK/fixture" "$@") >"$FIXTURE_LOG" 2>&1 &
  FIXTURE_PID=$!
  local tries=0
  until grep -q '^ready$' "$FIXTURE_LOG" 2>/dev/null; do
    kill -0 "$FIXTURE_PID" 2>/dev/null || compat_fail "fixture failed: $(cat "$FIXTURE_LOG")"
    tries=$((tries + 1))
    [ $tries -lt 400 ] || compat_fail "fixture did not get ready"
    sleep 0.05
  done
}

fixture_stop() {
  kill "$FIXTURE_PID" 2>/dev/null
  wait "$FIXTURE_PID" 2>/dev/null
  rm -f "$FIXTURE_LOG"
}

# run_as PREFIX RUNNER ARGV0 PROGRAM ARGS...: runs PROGRAM with argv[0] = ARGV0 (RUNNER is ""
# or a privilege-dropping prefix), saving PREFIX.out, PREFIX.err and PREFIX.rc.
run_as() {
  local prefix=$1 runner=$2 argv0=$3 program=$4
  shift 4
  local rc=0
  if [ -z "$runner" ]; then
    (exec -a "$argv0" "$program" "$@") >"$prefix.out" 2>"$prefix.err" || rc=$?
  else
    # shellcheck disable=SC2016  # expanded by the inner bash
    $runner bash -c 'a0=$1; p=$2; shift 2; exec -a "$a0" "$p" "$@"' _ "$argv0" "$program" "$@" \
      >"$prefix.out" 2>"$prefix.err" || rc=$?
  fi
  echo "$rc" >"$prefix.rc"
}

# compat_check LABEL: compares $WORK/util.* with $WORK/kit.* (out, err, rc, and after when the
# case recorded the objects left afterwards), counting the case and printing any difference.
compat_check() {
  local label=$1 differs=0 part
  COMPAT_CASES=$((COMPAT_CASES + 1))
  for part in out err rc after; do
    [ -e "$WORK/util.$part" ] || [ -e "$WORK/kit.$part" ] || continue
    cmp -s "$WORK/util.$part" "$WORK/kit.$part" || differs=1
  done
  if [ $differs = 0 ]; then
    echo "ok   $label"
    return 0
  fi
  COMPAT_FAILED=$((COMPAT_FAILED + 1))
  echo "DIFF $label"
  for part in out err rc after; do
    [ -e "$WORK/util.$part" ] || [ -e "$WORK/kit.$part" ] || continue
    diff -u --label "util-linux $part" --label "ipckit $part" "$WORK/util.$part" "$WORK/kit.$part" |
      head -40 | sed 's/^/     /'
  done
  return 0
}

# compat_expect LABEL RC STDERR: checks kit.* against an expected exit status and stderr (for
# the cases where ipckit deliberately differs from util-linux 2.38; docs/ipcs.md).
compat_expect() {
  local label=$1 rc=$2 err=$3
  COMPAT_CASES=$((COMPAT_CASES + 1))
  if [ "$(cat "$WORK/kit.rc")" = "$rc" ] && [ "$(cat "$WORK/kit.err")" = "$err" ]; then
    echo "ok   $label"
    return 0
  fi
  COMPAT_FAILED=$((COMPAT_FAILED + 1))
  echo "FAIL $label: expected status $rc and stderr:"
  printf '%s\n' "$err" | sed 's/^/     /'
  echo "     got status $(cat "$WORK/kit.rc") and stderr:"
  sed 's/^/     /' "$WORK/kit.err"
}

compat_clear() {
  rm -f "$WORK"/util.* "$WORK"/kit.*
}

compat_summary() {
  echo "$COMPAT_NAME: $COMPAT_CASES cases, $COMPAT_FAILED differ"
  [ "$COMPAT_FAILED" = 0 ]
}

# run_fresh RUNAS KEYS FIXTURE TOOL ARGS...: runs util-linux's TOOL, then `ipckit TOOL`, each in
# its own fresh IPC namespace built from FIXTURE (see in_namespace.sh), leaving util.* and kit.*
# (out, err, rc, after) in $WORK for compat_check or compat_expect.
run_fresh() {
  compat_clear
  local side
  for side in util kit; do
    unshare --ipc bash "$COMPAT_DIR/in_namespace.sh" "$side" "$@" ||
      compat_fail "the $side run of '$*' failed"
  done
}
