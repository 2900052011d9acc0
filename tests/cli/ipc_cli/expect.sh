# shellcheck shell=bash
# shellcheck disable=SC2154  # `work` is the sourcing script's
# Helpers for the shell tests of `ipckit mq|sem|shm|fifo` (sourced, not run: ctest registers
# only tests/cli/*.sh). The sourcing script sets `work` (a scratch directory) and `fail`.
#
#   expect CODE PATTERN COMMAND...   COMMAND exits with CODE and prints exactly one line on
#                                    stderr, "ipckit: ..." matching the extended regex PATTERN
#   expect_usage PATTERN COMMAND...  a command line that does not parse: exit 1, the reason
#                                    matching PATTERN, then the "Try ... --help" hint
#   expect_out TEXT COMMAND...       COMMAND exits 0 and prints exactly TEXT (plus a newline)
#   "${as_nobody[@]}" COMMAND...     COMMAND run as uid/gid 65534 with no groups
#   can_drop_privileges              true when we are root and setpriv exists
#   wait_exec PID COMM               waits until background PID has exec'd COMM

# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$(dirname "${BASH_SOURCE[0]}")/cannot_run_here.sh"

expect() {
  local code=$1 pattern=$2 rc=0
  shift 2
  timeout 30 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || rc=$?
  local what="'${*#"$IPCKIT" }'"
  [ "$rc" -eq "$code" ] || fail "$what exited with $rc, expected $code; stderr: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "$what: expected one line on stderr, got:
$(cat "$work/stderr")"
  grep -Eq "^ipckit: $pattern" "$work/stderr" ||
    fail "$what: stderr does not match '^ipckit: $pattern': $(cat "$work/stderr")"
  echo "ok: $what -> $code: $(cat "$work/stderr")"
}

expect_usage() {
  local pattern=$1 rc=0
  shift
  timeout 30 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || rc=$?
  local what="'${*#"$IPCKIT" }'"
  [ "$rc" -eq 1 ] || fail "$what exited with $rc, expected 1; stderr: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 2 ] || fail "$what: expected two lines on stderr, got:
$(cat "$work/stderr")"
  head -n 1 "$work/stderr" | grep -Eq "^ipckit: .*$pattern" ||
    fail "$what: stderr does not match '$pattern': $(cat "$work/stderr")"
  grep -q "^Try '.* --help' for more information.$" "$work/stderr" || fail "$what: no --help hint"
  echo "ok: $what -> 1: $(head -n 1 "$work/stderr")"
}

expect_out() {
  local text=$1 rc=0
  shift
  timeout 30 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || rc=$?
  local what="'${*#"$IPCKIT" }'"
  [ "$rc" -eq 0 ] || fail "$what exited with $rc; stderr: $(cat "$work/stderr")"
  [ "$(cat "$work/stdout")" = "$text" ] || fail "$what printed '$(cat "$work/stdout")', expected '$text'"
  echo "ok: $what -> $text"
}

# shellcheck disable=SC2034  # used by the sourcing scripts
as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)

can_drop_privileges() {
  [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null
}

# wait_exec PID COMM: waits (up to 30 s) until background process PID has exec'd COMM, so its
# redirections are open (`sleep 30 3<FILE &` holds FILE only once the child reached exec).
wait_exec() {
  local pid=$1 comm=$2
  for _ in $(seq 300); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] && return 0
    sleep 0.1
  done
  fail "process $pid did not become '$comm' within 30 s"
}
