#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy's checks, every warning an error) on the C++ files of src/, tools/
# and include/ that changed against a base, so that it stays quick.
#   scripts/check-tidy.sh [BUILD_DIR]            changed since the merge-base with origin/main,
#                                                or since HEAD~1 when there is none (or it is HEAD)
#   scripts/check-tidy.sh --base REV [BUILD_DIR] changed since REV
#   scripts/check-tidy.sh --all [BUILD_DIR]      every file (also when there is no base, e.g. in
#                                                a clone of a single commit)
# BUILD_DIR (default build/default) must hold compile_commands.json (cmake --preset default).
# A changed header is checked through the .cpp files that include it.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=changed
base=""
build=build/default
while [ $# -gt 0 ]; do
  case "$1" in
    --all) mode=all ;;
    --base) base="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) build="$1" ;;
  esac
  shift
done
[ -f "$build/compile_commands.json" ] || {
  echo "check-tidy: $build/compile_commands.json: missing (run cmake --preset default)" >&2
  exit 2
}

dirs=(src tools include)
if [ "$mode" = changed ] && [ -z "$base" ]; then
  if git rev-parse -q --verify origin/main >/dev/null; then
    base=$(git merge-base HEAD origin/main 2>/dev/null || true)
  fi
  # On main itself (CI), the merge-base is HEAD: check what the last commit changed.
  if [ "$base" = "$(git rev-parse HEAD)" ]; then base=""; fi
  if [ -z "$base" ]; then base=$(git rev-parse -q --verify 'HEAD~1' 2>/dev/null || true); fi
  if [ -z "$base" ]; then
    echo "check-tidy: no base commit (a single-commit clone): checking every file"
    mode=all
  fi
fi

if [ "$mode" = all ]; then
  mapfile -t sources < <(git ls-files -- "${dirs[@]/%//*.cpp}")
else
  # Committed changes since the base, and what is changed but not committed yet.
  mapfile -t changed < <({
    git diff --name-only --diff-filter=d "$base" -- "${dirs[@]}"
    git ls-files --others --exclude-standard -- "${dirs[@]}"
  } | grep -E '\.(cpp|hpp|h)$' | sort -u)
  sources=()
  for f in "${changed[@]}"; do
    case "$f" in
      *.cpp) sources+=("$f") ;;
      *)  # a header: the files that include it by its path below include/, src/ or tools/
        spelled=${f#*/}
        mapfile -t users < <(git grep -l -F "#include \"$spelled\"" -- "${dirs[@]/%//*.cpp}" || true)
        sources+=("${users[@]}") ;;
    esac
  done
  mapfile -t sources < <(printf '%s\n' "${sources[@]}" | grep -v '^$' | sort -u)
fi
if [ ${#sources[@]} -eq 0 ]; then
  echo "tidy: no changed C++ files since ${base:0:12}"
  exit 0
fi

# clang-tidy 14 does not know -std=c++23 (it says c++2b), and libstdc++ 12 offers std::expected
# only where __cpp_concepts says C++20's concepts in full, which clang 14 does not yet claim.
extra=(--extra-arg=-std=c++2b --extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L)
jobs=$(nproc 2>/dev/null || echo 2)
echo "tidy: ${#sources[@]} files, $jobs at a time"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%s\n' "${sources[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy -p "$build" --quiet "${extra[@]}" >"$log" 2>&1 || true
# clang-tidy prints "N warnings generated." for the suppressed ones in system headers too.
grep -v -E '^[0-9]+ (warnings?|errors?)( and [0-9]+ errors?)? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing|^Found compiler error' "$log" || true
# A finding is a line naming one of .clang-tidy's checks. clang 14's front end rejects some of
# libstdc++ 12's std::expected moves ("attempt to use a deleted function", g++ 12 accepts them):
# such compiler errors end clang-tidy's exit status but are not findings; the checks still ran.
if grep -q -E '(warning|error): .*\[(bugprone|performance|misc|readability)-' "$log"; then
  echo "tidy: findings above (.clang-tidy; a justified exception is a // NOLINT(check): why)" >&2
  exit 1
fi
echo "tidy: ${#sources[@]} files clean"
