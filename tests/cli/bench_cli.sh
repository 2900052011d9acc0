#!/usr/bin/env bash
# `ipckit bench` end to end (docs/bench.md): `--quick --json` conforms to docs/bench-schema.json
# and every row ran verified or was marked; `--csv` has the documented header and one line per
# row; `--only` and `--sizes` select exactly those rows, with ratios against the references that
# ran; `--list` names the mechanisms and every peer; bad input exits 2 with one line on stderr,
# nothing on stdout and no file written. No figure is checked: benchmarks measure, tests check.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"
: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"

fail() {
  echo "bench_cli: FAIL: $*" >&2
  exit 1
}
# Debian's interpreter and its python3-jsonschema (scripts/deps.sh), not whatever is first in PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)
"$py" -c 'import jsonschema' 2>/dev/null || fail "python3-jsonschema is needed (scripts/deps.sh)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-bench-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- bad input: exit 2, one line, nothing printed or written ----------------------------------
bad() {  # bad EXPECTED-STDERR-LINE ARGS...
  local want=$1 rc=0
  shift
  "$IPCKIT" bench "$@" --plot "$work/bad.svg" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = 2 ] || fail "bench $* exited $rc, not 2: $(cat "$work/err")"
  [ ! -s "$work/out" ] || fail "bench $* printed on stdout: $(cat "$work/out")"
  [ ! -e "$work/bad.svg" ] || fail "bench $* wrote its --plot file"
  [ "$(wc -l <"$work/err")" = 1 ] || fail "bench $* said more than one line: $(cat "$work/err")"
  [ "$(cat "$work/err")" = "$want" ] || fail "bench $*: expected '$want', got '$(cat "$work/err")'"
}
bad "ipckit: bench: --only: unknown mechanism 'carrier-pigeon' ('ipckit bench --list' shows them)" \
  --only pipe,carrier-pigeon
bad "ipckit: bench: --only: 'channel' has no mode 'turbo' (modes: $("$IPCKIT" bench --list |
  sed -n 's/^  channel: \([^;]*\);.*/\1/p'))" --only channel:turbo
bad "ipckit: bench: --sizes: invalid size '1Q' (bytes, 8 to 64M)" --sizes 64,1Q
bad "ipckit: bench: --sizes: invalid size '4' (bytes, 8 to 64M)" --sizes 4
bad "ipckit: bench: --rounds: invalid value '0' (a whole number from 1 to 1000)" --rounds 0
bad "ipckit: bench: --duration: invalid duration 'nan' (seconds, 0.001 to 60)" --duration nan
bad "ipckit: bench: --json and --csv exclude each other" --json --csv
# What the parser itself refuses keeps the floor's two lines (docs/cli.md), still exit 2.
rc=0
"$IPCKIT" bench --bogus >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 2 ] || fail "bench --bogus exited $rc, not 2"
grep -qx "ipckit: unrecognized option '--bogus'" "$work/err" || fail "bench --bogus: $(cat "$work/err")"

# --- --list ------------------------------------------------------------------------------------
"$IPCKIT" bench --list >"$work/list"
for name in pipe fifo unix-stream unix-dgram unix-seqpacket tcp sysv-msg posix-mq sysv-shm-sem \
  posix-shm-futex shm-spin channel memcpy; do
  grep -q "^  $name: " "$work/list" || fail "--list does not show $name: $(cat "$work/list")"
done
for peer in iceoryx boost-mq zmq nng; do
  grep -Eq "^  $peer: (found, /|missing: .)" "$work/list" ||
    fail "--list does not say whether $peer was found: $(cat "$work/list")"
done

# --- --quick --json against the schema; every row verified or marked ---------------------------
start=$(date +%s%N)
rc=0
"$IPCKIT" bench --quick --json >"$work/quick.json" 2>"$work/quick.err" || rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" = 0 ] || fail "bench --quick --json exited $rc: $(cat "$work/quick.err")
$(grep -B3 '"error"' "$work/quick.json" || true)"
[ ! -s "$work/quick.err" ] || fail "bench --quick --json wrote on stderr off a terminal: $(cat "$work/quick.err")"

"$py" - "$IPCKIT_SOURCE_DIR/docs/bench-schema.json" "$work/quick.json" <<'PY' ||
import copy, json, sys
from jsonschema import Draft202012Validator

schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
rows = json.load(open(sys.argv[2]))
errors = sorted(validator.iter_errors(rows), key=str)
assert not errors, f"{errors[0].message} at {list(errors[0].absolute_path)}"
assert rows, "no rows"
for r in rows:
    assert r["size"] == 64, r
    assert r["rounds"] in (0, 1), r
    assert r["producers"] == 1 and r["load"] == "idle", f"--quick has no scaling rows: {r}"
    assert "error" not in r, r
    # memcpy receives nothing, so it is never verified (its note says so).
    assert r["verified"] or "cannot" in r or r["mechanism"] == "memcpy", f"neither verified nor marked: {r}"
names = {r["mechanism"] for r in rows}
need = {"pipe", "shm-spin", "posix-shm-futex", "channel", "memcpy"}
assert need <= names, f"missing from --quick: {need - names}"
tests = {(r["mechanism"], r["test"]) for r in rows}
assert ("memcpy", "latency") not in tests, "memcpy is throughput only"
assert ("pipe", "latency") in tests and ("pipe", "throughput") in tests, tests
# The validator is live: a failed row with figures, or a number as a string, does not pass.
broken = copy.deepcopy(rows)
broken[0]["error"] = "x"
assert not validator.is_valid(broken), "a failed row with figures passed the schema"
broken = copy.deepcopy(rows)
broken[0]["size"] = "64"
assert not validator.is_valid(broken), "a string size passed the schema"
broken = copy.deepcopy(rows)
broken[0]["surprise"] = 1
assert not validator.is_valid(broken), "an unknown key passed the schema"
print(f"bench_cli: --quick: {len(rows)} rows, {sum(1 for r in rows if 'cannot' in r)} marked")
PY
  fail "ipckit bench --quick --json does not match docs/bench-schema.json"
echo "bench_cli: --quick took ${elapsed_ms} ms (load: $(cut -d' ' -f1-3 /proc/loadavg))"

# --- --only, --sizes, --csv ----------------------------------------------------------------------
sel=(--only pipe,shm-spin,channel:block --sizes 64,1K --rounds 2 --duration 0.01)
# A failed row exits 1: say which row and why, not only that the script stopped.
failed_rows() {  # mechanism, mode, test, size and error of each failed row of a --json file
  "$py" -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    if "error" in r:
        print(r["mechanism"], r.get("mode", ""), r["test"], r["size"], r.get("producers", ""), "->", r["error"])
' "$1" 2>&1 | head -3
}
"$IPCKIT" bench "${sel[@]}" --json >"$work/sel.json" 2>"$work/sel.err" ||
  fail "--json exited $?: $(failed_rows "$work/sel.json") $(tail -3 "$work/sel.err")"
"$IPCKIT" bench "${sel[@]}" --csv >"$work/sel.csv" 2>"$work/sel.err" ||
  fail "--csv exited $?: $(grep -v ',,true,,,' "$work/sel.csv" | tail -3) $(tail -3 "$work/sel.err")"
"$py" - "$work/sel.json" "$work/sel.csv" <<'PY' || fail "--only/--sizes/--csv rows are wrong"
import csv, json, sys
rows = json.load(open(sys.argv[1]))
cells = {(r["mechanism"], r["mode"], r["test"], r["size"], r["load"], r["producers"]) for r in rows}
series = [("pipe", "default"), ("shm-spin", "default"), ("channel", "block")]
want = {(m, mode, t, s, "idle", 1) for (m, mode) in series for t in ("latency", "throughput") for s in (64, 1024)}
# 64 B is among the sizes: the scaling rows come too (docs/bench.md): busy-CPU latency of all three,
# and the channel's 2 and 4 producers in its first selected mode.
want |= {(m, mode, "latency", 64, "busy-cpu", 1) for (m, mode) in series}
want |= {("channel", "block", "throughput", 64, "idle", p) for p in (2, 4)}
assert cells == want, f"selected {sorted(cells)}, not {sorted(want)}"
assert len(rows) == len(want), "a cell twice"
for r in rows:
    assert r["rounds"] == 2 and r["verified"], r
    # shm-spin and pipe ran the same cells in the same rounds: every row has both ratios.
    assert "vs_floor" in r and "vs_pipe" in r, f"ratios missing: {r}"
    if r["mechanism"] == "shm-spin":
        assert abs(r["vs_floor"] - 1) < 1e-9, r
with open(sys.argv[2], newline="") as f:
    lines = list(csv.reader(f))
header = ("mechanism,mode,test,size,producers,load,p50_ns,p99_ns,p999_ns,max_ns,msgs_per_s,"
          "bytes_per_s,rounds,spread_min,spread_max,vs_floor,vs_pipe,verified,error,cannot,note").split(",")
assert lines[0] == header, lines[0]
assert all(len(l) == len(header) for l in lines), "a CSV line with another number of fields"
body = [dict(zip(header, l)) for l in lines[1:]]
assert {(b["mechanism"], b["mode"], b["test"], int(b["size"]), b["load"], int(b["producers"])) for b in body} == want
for b in body:
    assert b["verified"] == "true", b
    lat = b["test"] == "latency"
    assert (b["p50_ns"] != "") == lat and (b["msgs_per_s"] != "") == (not lat), b
    assert b["error"] == "" and b["cannot"] == "", b
print("bench_cli: --only/--sizes/--csv: ok")
PY

# --- in a container's view: own pid, IPC and mount namespaces; and on one allowed CPU ------------
# The rounds fork, pin, make System V and POSIX objects and a channel there just as outside, and
# the bench exits 0 with every row verified. Confined to one CPU (a cpuset), it does not pin.
# shellcheck source=tests/cli/ipc_cli/cannot_run_here.sh
. "$IPCKIT_SOURCE_DIR/tests/cli/ipc_cli/cannot_run_here.sh"
if can_unshare_pid_proc; then
  unshare --pid --fork --mount-proc --ipc "$IPCKIT" bench --quick --json \
    --only pipe,sysv-msg,posix-mq,channel:busy-poll,shared-state >"$work/ns.json" 2>"$work/ns.err" ||
    fail "bench in pid/ipc/mount namespaces exited $?: $(cat "$work/ns.err")"
  "$py" - "$work/ns.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert {r["mechanism"] for r in rows} == {"pipe", "sysv-msg", "posix-mq", "channel", "shared-state"}, rows
for r in rows:
    assert r["verified"] and "error" not in r, r
PY
else
  cannot_run_part "a PID namespace with its own /proc (bench in a container's view)"
fi
taskset -c 0 "$IPCKIT" bench --quick --only pipe >"$work/one-cpu.txt" 2>&1 ||
  fail "bench on one CPU: $(cat "$work/one-cpu.txt")"
grep -qx "cpus: unpinned" "$work/one-cpu.txt" || fail "bench on one CPU pinned: $(cat "$work/one-cpu.txt")"

echo "bench_cli: ok"
