#!/usr/bin/env bash
# `ipckit handoff serve` refuses a bad command line or config file before it starts anything
# (docs/handoff.md "Exit codes"): one line "ipckit: handoff serve: WHERE: problem" (WHERE is
# FILE:LINE for the file, the flag for a flag), exit 2, and nothing bound: the listen port, which
# this test holds itself, would have made a started daemon fail with EADDRINUSE (exit 1) instead,
# and no control socket file appears. `handoff stats` on a control socket nobody serves: one line,
# exit 1.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "handoff_cli: FAIL: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-handoff-cli.XXXXXX")
holder_pid=
cleanup() {
  if [ -n "$holder_pid" ]; then kill "$holder_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A TCP port this test holds open for the whole run (listening, on loopback).
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(600)
' >"$work/port" &
holder_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/port" ] && break
  sleep 0.05
done
port=$(cat "$work/port")
[ -n "$port" ] || fail "the port holder did not start"
listen="127.0.0.1:$port"
control="$work/control.sock"

# refused PATTERN ARGS...: `ipckit handoff serve ARGS` exits 2 with one line on stderr matching
# the extended regex PATTERN (anchored), nothing on stdout and no control socket file.
refused() {
  local pattern=$1 rc=0
  shift
  timeout 30 "$IPCKIT" handoff serve "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || rc=$?
  local what="'handoff serve $*'"
  [ "$rc" -eq 2 ] || fail "$what exited with $rc, expected 2; stderr: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "$what: expected one line, got:
$(cat "$work/stderr")"
  local line
  line=$(cat "$work/stderr")
  [[ $line =~ ^ipckit:\ handoff\ serve:\ $pattern$ ]] || fail "$what: '$line' !~ '$pattern'"
  [ ! -s "$work/stdout" ] || fail "$what printed on stdout: $(cat "$work/stdout")"
  [ ! -e "$control" ] || fail "$what left a control socket"
}

conf() {  # conf NAME TEXT: writes a config file, prints its path
  printf '%s' "$2" >"$work/$1"
  echo "$work/$1"
}

base="listen = [\"$listen\"]
control = \"$control\"
"

# The file: unknown key, bad CIDR, bad type, syntax error, missing file, bad value in a table.
f=$(conf unknown.toml "$base
[screen]
allow = []
alow = [\"10.0.0.0/8\"]
")
refused "$f:6: unknown key 'screen.alow'" --config "$f"

f=$(conf cidr.toml "$base
[screen]
deny = [
  \"192.0.2.0/24\",
  \"10.0.0.1/8\",
]
")
refused "$f:7: 'screen.deny': bad CIDR '10.0.0.1/8': host bits set.*" --config "$f"

f=$(conf type.toml "$base
[workers]
max_in_flight = \"16\"
")
refused "$f:5: 'workers.max_in_flight' must be an integer from 1 to 4294967295" --config "$f"

f=$(conf syntax.toml "$base
[screen
deny = []
")
refused "$f:4: syntax error in .*" --config "$f"

refused "open\\($work/absent.toml\\): No such file or directory" --config "$work/absent.toml"
refused "read\\($work\\): Is a directory" --config "$work"

f=$(conf dispatch.toml "$base
[workers]
dispatch = \"random\"
")
refused "$f:5: 'workers.dispatch' must be \"least-busy\" or \"round-robin\", not 'random'" \
  --config "$f"

# A good file, but a flag that overrides it badly: the flag is named.
f=$(conf good.toml "$base
[screen]
deny = [\"192.0.2.0/24\"]
")
refused "--deny: bad CIDR '10.0.0.1/8': host bits set.*" --config "$f" --deny 10.0.0.1/8
refused "--listen: bad address 'localhost:25': .*" --listen localhost:25 --control "$control"
refused "--allow-uid: invalid uid 'root'" --config "$f" --allow-uid root
refused "--rate: invalid value '10' \\(N/SECONDS.*\\)" --config "$f" --rate 10
refused "--rate: invalid value '10/0' \\(N/SECONDS.*\\)" --config "$f" --rate 10/0
refused "--pregreet-wait: invalid value '-1' .*" --config "$f" --pregreet-wait -1
refused "--max-in-flight: invalid value '0' \\(a whole number from 1 to 4294967295\\)" \
  --config "$f" --max-in-flight 0
refused "--ack-timeout: invalid value '' .*" --config "$f" --ack-timeout ''
refused "--dispatch: invalid value 'fast' \\(least-busy or round-robin\\)" --config "$f" \
  --dispatch fast
refused "--log-format: invalid value 'xml' \\(logfmt or json\\)" --config "$f" --log-format xml
refused "--log-level: invalid value 'loud' .*" --config "$f" --log-level loud
refused "--banner: invalid value '220-a\\\\r\\\\n220-b' \\(one line: no CR, LF or NUL\\)" \
  --config "$f" --banner $'220-a\r\n220-b'
refused "--control-mode: invalid mode '0999' .*" --config "$f" --control-mode 0999

# What only validate() sees, named by key and flag.
refused "control \\(--control\\): no control socket address given" --listen "$listen"
refused "listen \\(--listen\\): nothing to listen on: .*" --control "$control"
refused "control_mode \\(--control-mode\\): applies only to a path .*" --listen "$listen" \
  --control @ipckit-test-handoff-$$ --control-mode 0660
refused "listen \\(--listen\\): '$listen' is listed twice" --listen "$listen" --listen "$listen" \
  --control "$control"

# A command line that does not parse: the house's two lines (docs/cli.md), with the daemon's 2.
rc=0
"$IPCKIT" handoff serve --bogus >"$work/stdout" 2>"$work/stderr" || rc=$?
[ "$rc" -eq 2 ] || fail "--bogus exited with $rc, expected 2"
grep -qx "ipckit: unrecognized option '--bogus'" "$work/stderr" || fail "--bogus: $(cat "$work/stderr")"

# The other verbs' command lines: exit 2 too, nothing connected.
usage2() {  # usage2 PATTERN ARGS...: `ipckit handoff ARGS` exits 2, first line matching PATTERN
  local pattern=$1 rc=0
  shift
  timeout 30 "$IPCKIT" handoff "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || rc=$?
  [ "$rc" -eq 2 ] || fail "'handoff $*' exited with $rc, expected 2: $(cat "$work/stderr")"
  [[ $(head -1 "$work/stderr") =~ ^ipckit:\ $pattern$ ]] ||
    fail "'handoff $*': '$(head -1 "$work/stderr")' !~ '$pattern'"
}
usage2 "--echo or --smtp is required" worker --control @ipckit-test-handoff-$$-none
usage2 ".*--echo.*--smtp.*" worker --control @ipckit-test-handoff-$$-none --echo --smtp
usage2 "--capacity: .*" worker --control @ipckit-test-handoff-$$-none --echo --capacity 0
usage2 "missing --control" stats
usage2 "missing --control" worker --echo

# The same good file with the held port: this one does try to bind, and fails at run time (1).
rc=0
timeout 30 "$IPCKIT" handoff serve --config "$f" >"$work/stdout" 2>"$work/stderr" || rc=$?
[ "$rc" -eq 1 ] || fail "a busy port exited with $rc, expected 1: $(cat "$work/stderr")"
grep -q "Address already in use" "$work/stderr" || fail "busy port: $(cat "$work/stderr")"

# stats: nobody serves the control socket.
for addr in "$work/nobody.sock" "@ipckit-test-handoff-nobody-$$"; do
  rc=0
  timeout 30 "$IPCKIT" handoff stats --control "$addr" >"$work/stdout" 2>"$work/stderr" || rc=$?
  [ "$rc" -eq 1 ] || fail "stats on $addr exited with $rc, expected 1: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 1 ] || fail "stats on $addr: $(cat "$work/stderr")"
  grep -Eq "^ipckit: handoff stats: .*(No such file or directory|Connection refused)$" \
    "$work/stderr" || fail "stats on $addr: $(cat "$work/stderr")"
done

echo "handoff_cli: ok"
