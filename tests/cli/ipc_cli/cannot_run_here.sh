# shellcheck shell=bash
# What a shell test does when this environment cannot give it what it needs (a private mount or
# PID namespace in a chroot or an unprivileged container, setpriv, a pty...). Sourced.
#
#   cannot_run_here REASON   ends the test: "cannot run here: REASON" and exit 77, which ctest
#                            counts as skipped (SKIP_RETURN_CODE, tests/CMakeLists.txt). Under
#                            CI=true it fails instead: CI can run every test, so a skip there
#                            would hide a broken machine.
#   cannot_run_part REASON   the same for one part of a test, which then goes on
#   can_unshare_mount        a private mount namespace can be made (not in a plain chroot)
#   can_unshare_pid_proc     a PID namespace with its own /proc can be made

cannot_run_here() {
  if [ "${CI:-}" = true ]; then
    echo "$(basename "$0"): FAIL: cannot run here, and CI must run every test: $*" >&2
    exit 1
  fi
  echo "cannot run here: $*"
  exit 77
}

can_unshare_mount() {
  unshare --mount --propagation private true 2>/dev/null
}

can_unshare_pid_proc() {
  unshare --pid --fork --mount-proc true 2>/dev/null
}

# cannot_run_part REASON: as cannot_run_here, but for one part of a test: says so and goes on
# (under CI=true it fails, as above).
cannot_run_part() {
  if [ "${CI:-}" = true ]; then
    echo "$(basename "$0"): FAIL: cannot run here, and CI must run every test: $*" >&2
    exit 1
  fi
  echo "cannot run here (this part of the test): $*"
}
