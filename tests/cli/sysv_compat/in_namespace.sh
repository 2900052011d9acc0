#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# in_namespace.sh SIDE RUNAS KEYS FIXTURE TOOL ARGS...
#
# Run by run_fresh() (compat_lib.sh) as `unshare --ipc bash in_namespace.sh ...`: builds the
# fixture's objects (FIXTURE: fixture.c's commands in one word list) in this fresh IPC
# namespace, runs util-linux's TOOL (SIDE=util) or `ipckit TOOL` (SIDE=kit) as root
# (RUNAS=root) or as uid/gid 65534 (RUNAS=nobody), then records the objects left over with
# util-linux's ipcs in $WORK/SIDE.after. KEYS=random replaces the key column there with KEY
# (ipcmk draws random keys, different in every run); KEYS=keep leaves it.
set -u
side=$1 runas=$2 keys=$3 fixture=$4 tool=$5
shift 5
COMPAT_INSIDE=1
# shellcheck source=compat_lib.sh
source "$(dirname "$0")/compat_lib.sh"
compat_init "${COMPAT_NAME:-compat}"

runner=""
[ "$runas" = nobody ] && runner="setpriv --reuid=65534 --regid=65534 --clear-groups --"
# shellcheck disable=SC2086  # the fixture's commands are one word list
fixture_start $fixture
if [ "$side" = util ]; then
  sys_var="SYS_$tool"
  run_as "$WORK/util" "$runner" "$tool" "${!sys_var}" "$@"
else
  run_as "$WORK/kit" "$runner" ipckit "$WORK/ipckit" "$tool" "$@"
fi
if [ "$keys" = random ]; then
  "$SYS_ipcs" | sed -E 's/^0x[0-9a-f]{8} /KEY        /' >"$WORK/$side.after"
else
  "$SYS_ipcs" >"$WORK/$side.after"
fi
fixture_stop
