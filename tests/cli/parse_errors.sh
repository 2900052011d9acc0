#!/usr/bin/env bash
# Every command line that does not parse gives the same two lines (docs/cli.md "Usage errors"):
#   ipckit: WHAT: WHY
#   Try 'ipckit CMD --help' for more information.
# with CMD the subcommand that refused it, exit 1, none of the parser's own wordings ("Could not
# convert", "is required", "not expected", a 309-digit range bound), and no object created.
# Values are checked against the documented limits (docs/cli.md "Values"): durations 0 to
# 1000000 s with no nan or inf, whole numbers with no overflow, no empty number, no control
# character in any name.
set -euo pipefail

: "${IPCKIT:?set by ctest: the ipckit binary}"

fail() {
  echo "parse_errors: FAIL: $*" >&2
  exit 1
}

prefix=ipckit-test-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-parse-errors.XXXXXX")
cleanup() {
  # Nothing below should exist; if a refused command made it anyway, remove it (our pid's names).
  "$IPCKIT" chan rm "$prefix-c" >/dev/null 2>&1 || true
  "$IPCKIT" mq rm "$prefix-q" >/dev/null 2>&1 || true
  "$IPCKIT" sem rm "$prefix-s" >/dev/null 2>&1 || true
  "$IPCKIT" shm rm "$prefix-m" >/dev/null 2>&1 || true
  rm -f /dev/shm/"$prefix"* /dev/shm/sem."$prefix"* /dev/mqueue/"$prefix"* 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# usage CMD PATTERN COMMAND...: COMMAND exits 1 with exactly two lines on stderr: "ipckit: "
# then text matching the extended regex PATTERN (anchored at the end), and the Try line for CMD.
usage() {
  local cmd=$1 pattern=$2 rc=0
  shift 2
  timeout 30 "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || rc=$?
  local what="'${*#"$IPCKIT" }'"
  [ "$rc" -eq 1 ] || fail "$what exited with $rc, expected 1; stderr: $(cat "$work/stderr")"
  [ "$(wc -l <"$work/stderr")" -eq 2 ] || fail "$what: expected two lines on stderr, got:
$(cat "$work/stderr")"
  local first second
  first=$(sed -n 1p "$work/stderr")
  second=$(sed -n 2p "$work/stderr")
  [[ $first =~ ^ipckit:\ .*$pattern$ ]] || fail "$what: '$first' does not match '$pattern'"
  [ "$second" = "Try '$cmd --help' for more information." ] ||
    fail "$what: second line is '$second', expected the Try line for '$cmd'"
  if grep -Eq 'Could not convert|is required|not expected|Value .* not in range|[0-9]{20,}\.|The following|Requires|^ipckit: [A-Z][a-z]' <<<"$first"; then
    fail "$what: the parser's own wording: '$first'"
  fi
  [ ! -s "$work/stdout" ] || fail "$what printed on stdout: $(cat "$work/stdout")"
  echo "ok: $what -> $first"
}

# nothing_made: none of this run's names exist.
nothing_made() {
  local left
  left=$(find /dev/shm /dev/mqueue -maxdepth 1 -name "*$prefix*" 2>/dev/null || true)
  [ -z "$left" ] || fail "a refused command line created: $left"
}

c=$prefix-c
q=$prefix-q
s=$prefix-s
m=$prefix-m
nl=$'\n'

# ---- durations: nan, inf, huge, negative, empty; the same rule for every --timeout ------------
range="\\(seconds, 0 to 1000000\\)"
usage "ipckit chan recv" "--timeout: invalid duration 'nan' $range" "$IPCKIT" chan recv "$c" --timeout nan
usage "ipckit chan recv" "--timeout: invalid duration 'inf' $range" "$IPCKIT" chan recv "$c" --timeout inf
usage "ipckit chan recv" "--timeout: invalid duration '1e99' $range" "$IPCKIT" chan recv "$c" --timeout 1e99
usage "ipckit chan send" "--timeout: invalid duration '-1' $range" "$IPCKIT" chan send "$c" --timeout -1
usage "ipckit sem wait" "--timeout: invalid duration 'nan' $range" "$IPCKIT" sem wait "$s" --timeout nan
usage "ipckit mq recv" "--timeout: invalid duration '1e99' $range" "$IPCKIT" mq recv "$q" --timeout 1e99
usage "ipckit mq send" "--timeout: invalid duration '' $range" "$IPCKIT" mq send "$q" x --timeout ''
usage "ipckit sock recv" "--timeout: invalid duration 'NaN' $range" \
  "$IPCKIT" sock recv "@$prefix-x" --timeout NaN
usage "ipckit sock listen" "--timeout: invalid duration '1000001' $range" \
  "$IPCKIT" sock listen "@$prefix-x" --timeout 1000001

# ---- whole numbers: overflow, empty, negative, out of range -----------------------------------
usage "ipckit chan recv" "--count: '18446744073709551616' not in range 0 to 18446744073709551615" \
  "$IPCKIT" chan recv "$c" --count 18446744073709551616
usage "ipckit chan recv" "--count: invalid value '' \\(a whole number from 0 to 18446744073709551615\\)" \
  "$IPCKIT" chan recv "$c" --count ''
usage "ipckit sock recv" "--count: '0' not in range 1 to 18446744073709551615" \
  "$IPCKIT" sock recv "@$prefix-x" --count 0
usage "ipckit sem create" "--value: invalid value '' \\(a whole number from 0 to 4294967295\\)" \
  "$IPCKIT" sem create "$s" --value ''
usage "ipckit sem create" "--value: '-1' not in range 0 to 4294967295" \
  "$IPCKIT" sem create "$s" --value -1
usage "ipckit sem create" "--count: '0' not in range 1 to 65535" \
  "$IPCKIT" sem create "sysv:0x7e570001" --count 0
usage "ipckit sem get" "--index: invalid value 'x' \\(a whole number from 0 to 65535\\)" \
  "$IPCKIT" sem get "sysv:0x7e570001" --index x
usage "ipckit mq send" "--priority: '32768' not in range 0 to 32767" \
  "$IPCKIT" mq send "$q" x --priority 32768
usage "ipckit mq create" "--max-messages: invalid value '1.5' \\(a whole number from 1 to 65536\\)" \
  "$IPCKIT" mq create "$q" --max-messages 1.5
usage "ipckit chan recv" "--poll-interval: '-1' not in range 0 to 1000000" \
  "$IPCKIT" chan recv "$c" --poll-interval -1
usage "ipckit chan create" "--max-message: must be at least 1 byte, not 0" \
  "$IPCKIT" chan create "$c" --max-message 0
nothing_made

# ---- names with a control character: refused for every kind, quoted with the escape ----------
usage "ipckit chan create" "invalid channel name '$prefix-a\\\\nb': contains a control character \\('\\\\n'\\)" \
  "$IPCKIT" chan create "$prefix-a${nl}b"
usage "ipckit shm create" "contains a control character \\('\\\\n'\\)" \
  "$IPCKIT" shm create "$prefix-a${nl}b" --size 4K
usage "ipckit sem create" "contains a control character \\('\\\\t'\\)" \
  "$IPCKIT" sem create "$prefix-a	b"
usage "ipckit mq create" "contains a control character \\('\\\\x1b'\\)" \
  "$IPCKIT" mq create "$prefix-a"$'\e'"b"
usage "ipckit fifo create" "contains a control character \\('\\\\n'\\)" \
  "$IPCKIT" fifo create "$work/a${nl}b"
usage "ipckit sock listen" "contains a control character \\('\\\\n'\\)" \
  "$IPCKIT" sock listen "$work/a${nl}b.sock"
[ -z "$(find "$work" -name 'a*b*')" ] || fail "a name with a control character was created"
nothing_made

# ---- the parser's own messages, reworded ------------------------------------------------------
usage "ipckit chan create" "missing NAME" "$IPCKIT" chan create
usage "ipckit shm read" "missing NAME" "$IPCKIT" shm read
usage "ipckit shm create" "missing --size" "$IPCKIT" shm create "$m"
usage "ipckit chan" "missing command" "$IPCKIT" chan
usage "ipckit" "missing command" "$IPCKIT"
usage "ipckit chan recv" "unrecognized option '--bogus'" "$IPCKIT" chan recv "$c" --bogus
usage "ipckit shm create" "unexpected argument 'extra'" "$IPCKIT" shm create "$m" extra --size 4K
usage "ipckit fifo create" "unexpected arguments 'b' 'c'" "$IPCKIT" fifo create "$work/a" b c
usage "ipckit" "unknown command 'bogus'" "$IPCKIT" bogus
usage "ipckit sem wait" "--timeout and --nonblock exclude each other" \
  "$IPCKIT" sem wait "$s" --timeout 1 --nonblock
usage "ipckit rm" "--yes needs --stale" "$IPCKIT" rm --yes
usage "ipckit chan create" "--capacity: invalid size '1Q'" "$IPCKIT" chan create "$c" --capacity 1Q
usage "ipckit chan recv" "--timeout: expected 1 value, got 0|--timeout: missing value" \
  "$IPCKIT" chan recv "$c" --timeout
usage "ipckit sock recv" "--type: invalid value 'bad' \\(one of: .*\\)" \
  "$IPCKIT" sock recv "@$prefix-x" --type bad
# Usage errors found after parsing: the same two lines, one helper (tools/cli/usage.hpp).
usage "ipckit rm" "rm: nothing to remove: give OBJECTs or --stale" "$IPCKIT" rm
usage "ipckit sock send" "sock send: --lines needs a message socket.*" \
  "$IPCKIT" sock send "@$prefix-x" --lines
nothing_made

# ---- the limits themselves are accepted --------------------------------------------------------
"$IPCKIT" sem create "$s" --value 1
timeout 30 "$IPCKIT" sem wait "$s" --timeout 1000000 || fail "sem wait --timeout 1000000 failed"
rc=0
timeout 30 "$IPCKIT" sem wait "$s" --timeout 0.05 2>"$work/stderr" || rc=$?
[ "$rc" -eq 4 ] || fail "sem wait --timeout 0.05 exited with $rc: $(cat "$work/stderr")"
"$IPCKIT" sem rm "$s"
echo "ok: --timeout 1000000 and 0.05 are accepted"
echo "parse_errors: all passed"
