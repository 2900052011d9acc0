#!/usr/bin/env bash
# The *_STAT part of lsipc_compat.sh (util-linux's fallback when /proc/sysvipc is missing): run
# on its own, because hiding /proc/sysvipc needs a private mount namespace, which a chroot or an
# unprivileged container cannot make; there this test says so and is counted as skipped.
COMPAT_PART=stat exec bash "$(dirname "$0")/lsipc_compat.sh"
