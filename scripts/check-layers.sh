#!/usr/bin/env bash
# Checks the include rules of docs/architecture.md, so the layers stay layers:
#   - tools/cli/ (the CLI floor) includes only itself and the public library (ipckit/...);
#   - a family folder tools/FAMILY/ includes only itself, tools/cli/ and ipckit/...;
#   - tools/main.cpp includes only tools/cli/;
#   - nothing in tools/ includes src/ (library internals) or another family;
#   - include/ipckit/ (the public API) includes nothing from src/ or tools/;
#   - the example handoff sessions (examples/handoff/*_session.hpp) may be included by
#     tools/handoff/ only, and no file in tools/handoff/ may shadow them;
#   - examples/handoff/ includes only itself and ipckit/... (it is code to copy);
#   - tools/bench/ may include the bench harness (bench/harness/, as "harness/..."), which
#     measures for it; no other family may; the harness includes only itself and ipckit/;
#   - the Python binding (python/src/) includes only itself and ipckit/.
# Prints one line per violation and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
violation() {
  echo "check-layers: $1" >&2
  status=1
}

# Quoted includes of one file: "path:line:target".
quoted_includes() {
  grep -Hn -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$1" |
    sed -E 's/^([^:]*):([0-9]+):.*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1:\2:\3/'
}

# The example sessions `ipckit handoff worker` links from examples/handoff/ (docs/architecture.md).
example_sessions=(handoff/echo_session.hpp handoff/smtp_session.hpp)
is_example_session() {
  local s
  for s in "${example_sessions[@]}"; do [ "$1" = "$s" ] && return 0; done
  return 1
}
for s in "${example_sessions[@]}"; do
  [ -e "examples/$s" ] || violation "examples/$s is missing"
  [ -e "tools/$s" ] && violation "tools/$s shadows the example session examples/$s"
done

while IFS= read -r -d '' file; do
  rel=${file#tools/}
  case "$rel" in
    */*) family=${rel%%/*} ;;
    *) family="" ;;  # main.cpp
  esac
  while IFS=: read -r path line target; do
    [ -n "$target" ] || continue
    case "$target" in
      ipckit/*) continue ;;
      cli/*) continue ;;
    esac
    case "$target" in
      harness/*)
        [ "$family" = bench ] && continue
        violation "$path:$line: only tools/bench/ may include the bench harness \"$target\""
        continue
        ;;
    esac
    if is_example_session "$target"; then
      [ "$family" = handoff ] && continue
      violation "$path:$line: only tools/handoff/ may include the example session \"$target\""
      continue
    fi
    top=${target%%/*}
    if [ -z "$family" ]; then
      violation "$path:$line: tools/main.cpp may include only cli/ and ipckit/, not \"$target\""
    elif [ "$family" = cli ]; then
      violation "$path:$line: the CLI floor includes a family: \"$target\""
    elif [ "$top" != "$family" ]; then
      violation "$path:$line: family '$family' includes another folder's header \"$target\""
    fi
  done < <(quoted_includes "$file")
done < <(find tools -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)

while IFS= read -r -d '' file; do
  while IFS=: read -r path line target; do
    [ -n "$target" ] || continue
    case "$target" in
      ipckit/*) ;;
      *) violation "$path:$line: a public header includes a non-public header \"$target\"" ;;
    esac
  done < <(quoted_includes "$file")
done < <(find include/ipckit -type f -name '*.hpp' -print0)

while IFS= read -r -d '' file; do
  while IFS=: read -r path line target; do
    [ -n "$target" ] || continue
    case "$target" in
      ipckit/*) ;;
      handoff/*) [ -e "examples/$target" ] || violation "$path:$line: \"$target\" is not in examples/handoff/" ;;
      *) violation "$path:$line: an example includes more than itself and ipckit/: \"$target\"" ;;
    esac
  done < <(quoted_includes "$file")
done < <(find examples/handoff -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)

# The bench harness measures through the public API only, like any user would.
while IFS= read -r -d '' file; do
  while IFS=: read -r path line target; do
    [ -n "$target" ] || continue
    case "$target" in
      ipckit/*) ;;
      harness/*) [ -e "bench/$target" ] || violation "$path:$line: \"$target\" is not in bench/harness/" ;;
      *) violation "$path:$line: the bench harness includes more than itself and ipckit/: \"$target\"" ;;
    esac
  done < <(quoted_includes "$file")
done < <(find bench/harness -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)

# The Python binding is a user of the public API, like the command: never src/ or tools/.
while IFS= read -r -d '' file; do
  while IFS=: read -r path line target; do
    [ -n "$target" ] || continue
    case "$target" in
      ipckit/*) ;;
      */*) violation "$path:$line: the Python binding includes more than itself and ipckit/: \"$target\"" ;;
      *) [ -e "python/src/$target" ] || violation "$path:$line: \"$target\" is not in python/src/" ;;
    esac
  done < <(quoted_includes "$file")
done < <(find python/src -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0)

[ "$status" -eq 0 ] && echo "check-layers: tools/ and include/ keep the layers of docs/architecture.md"
exit "$status"
