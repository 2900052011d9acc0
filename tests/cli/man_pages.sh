#!/usr/bin/env bash
# The man pages (man/, docs/cli.md "Man pages"): every page renders with no groff warning and
# through man -l; every command family has its page; every option that a command's --help lists
# appears in that command's page (the pages are generated from the same definitions, so a new
# option cannot be missing: this proves it). Exits 77 in a build without man pages.
set -euo pipefail
: "${IPCKIT:?set by ctest}" "${IPCKIT_BUILD_DIR:?set by ctest}"
man_dir=$IPCKIT_BUILD_DIR/man
fail() {
  echo "man_pages: $*" >&2
  exit 1
}
if [ ! -f "$man_dir/ipckit.1" ]; then
  source "$(dirname "$0")/ipc_cli/cannot_run_here.sh"
  cannot_run_here "this build has no man pages (IPCKIT_MAN is OFF: no scdoc)"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-man.XXXXXX")
trap 'rm -rf "$work"' EXIT

pages=("$man_dir"/*.[137])
[ ${#pages[@]} -ge 21 ] || fail "only ${#pages[@]} pages"
for page in "${pages[@]}"; do
  warnings=$(groff -ww -z -man "$page" 2>&1) || fail "groff failed on $page"
  [ -z "$warnings" ] || fail "groff warns on $(basename "$page"): $warnings"
  # The page as a reader sees it, plain ASCII: hyphens as '-', no bold or underline.
  groff -man -Tascii -P-c -P-b -P-u "$page" 2>/dev/null >"$work/$(basename "$page").txt"
  MANWIDTH=80 man -l "$page" >/dev/null 2>"$work/man.err" || fail "man -l failed on $page"
  [ ! -s "$work/man.err" ] || fail "man -l warns on $(basename "$page"): $(cat "$work/man.err")"
done
for page in ipckit.1 ipckit.3 ipckit-channel.7 ipckit-chan.1 ipckit-ipcs.1 ipckit-ipcmk.1 \
  ipckit-ipcrm.1 ipckit-lsipc.1; do
  [ -f "$man_dir/$page" ] || fail "no page $page"
done
echo "ok: ${#pages[@]} pages render without warnings"

# The options a --help text lists: words starting with '-' at the start of an option line.
help_options() {
  sed -nE 's/^ {1,8}(-[-[:alnum:]]+([ ,=][^ ]*)*).*/\1/p' | grep -oE -- '(^|[ ,])--?[[:alnum:]][-[:alnum:]]*' |
    sed -E 's/^[ ,]//' | sort -u
}
checked=0
check_command() {  # check_command PAGE WORDS...: every option of `ipckit WORDS --help` is in PAGE
  local page=$1
  shift
  local text=$work/$page.txt
  [ -f "$text" ] || fail "no page $page for '$*'"
  "$IPCKIT" "$@" --help >"$work/help.txt" 2>&1 || true
  while read -r option; do
    grep -qE -- "(^|[^-[:alnum:]])$option([^-[:alnum:]]|$)" "$text" ||
      fail "$page lacks $option (from 'ipckit $* --help')"
    checked=$((checked + 1))
  done < <(help_options <"$work/help.txt")
}
# Every command path the CLI defines, from its own description of itself.
"$IPCKIT" completion describe >"$work/tree.json"
python3 - "$work/tree.json" >"$work/commands.txt" <<'PY'
import json, sys
tree = json.load(open(sys.argv[1]))
def walk(path, app):
    print(" ".join(path))
    for s in app["subcommands"]:
        walk(path + [s["name"]], s)
for s in tree["subcommands"]:
    walk([s["name"]], s)
PY
check_command ipckit.1
while read -r -a words; do
  check_command "ipckit-${words[0]}.1" "${words[@]}"
done <"$work/commands.txt"
[ "$checked" -gt 150 ] || fail "only $checked options checked: the --help parser found too few"
echo "ok: all $checked options of every --help are in their pages"
