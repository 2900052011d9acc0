#!/usr/bin/env bash
# `ipckit ls --json` conforms to docs/ls-schema.json, with the default columns and with every
# column, over whatever the machine holds plus a System V segment and a channel made here. A
# deliberately broken copy of the document must fail validation, so the check itself is live.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"

fail() {
  echo "ls_json_schema: FAIL: $*" >&2
  exit 1
}
# Debian's interpreter and its python3-jsonschema (scripts/deps.sh), not whatever is first in PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema is needed (scripts/deps.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-ls-schema.XXXXXX")
chan=ipckit-test-$$-schema
shmid=
cleanup() {
  if [ -n "$shmid" ]; then "$IPCKIT" ipcrm -m "$shmid" 2>/dev/null || true; fi
  "$IPCKIT" chan rm "$chan" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

shmid=$("$IPCKIT" ipcmk -M 8192 | awk '/Shared memory id:/ { print $4 }')
[ -n "$shmid" ] || fail "ipcmk made no segment"
"$IPCKIT" chan create "$chan" --capacity 64K

cols=$("$IPCKIT" ls --help | awk '/^Available output columns/ { on = 1; next }
  on && /^  [A-Z]/ { printf "%s%s", sep, $1; sep = "," }')
[ -n "$cols" ] || fail "no columns in ipckit ls --help"

# The whole machine is listed: a parallel test may have just corrupted a channel of its own on
# purpose, which makes ls warn about it and exit 1; any other failure fails the test.
ls_json() {  # ls_json OUT [ARGS...]
  local out=$1 rc=0
  shift
  "$IPCKIT" ls --json "$@" >"$out" 2>"$work/err" || rc=$?
  [ "$rc" = 0 ] && return 0
  [ "$rc" = 1 ] && ! grep -v -e "could not be read" -e "ls: inspect channel(ipckit-test-" -e "ls: POSIX message queues not listed" -e "ls: Unix socket peers not shown" "$work/err" |
    grep -q . && return 0
  fail "ipckit ls --json $* exited $rc: $(cat "$work/err")"
}
ls_json "$work/default.json"
ls_json "$work/all.json" -o "$cols"

"$py" - "$IPCKIT_SOURCE_DIR/docs/ls-schema.json" "$work/default.json" "$work/all.json" "$chan" <<'PY' ||
import copy, json, sys
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
docs = {path: json.load(open(path)) for path in sys.argv[2:4]}
for path, doc in docs.items():
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"

everything = docs[sys.argv[3]]
types = {o["type"] for o in everything["objects"]}
assert {"sysv-shm", "channel"} <= types, f"the objects made here are missing: {types}"
mine = [o for o in everything["objects"] if o["type"] == "channel" and o["name"] == sys.argv[4]]
assert mine, "the channel made here is not listed"
assert isinstance(mine[0]["capacity"], int) and mine[0]["capacity"] == 65536, mine[0]

# The validator is live: a number where the schema wants a string, and an unknown key, fail.
broken = copy.deepcopy(everything)
broken["objects"][0]["type"] = 7
assert not validator.is_valid(broken), "a numeric type passed the schema"
broken = copy.deepcopy(everything)
broken["surprise"] = True
assert not validator.is_valid(broken), "an unknown top-level key passed the schema"
print("ls_json_schema: ok,", len(everything["objects"]), "objects,", len(everything["objects"][0]), "columns")
PY
  fail "the JSON documents do not match docs/ls-schema.json"
