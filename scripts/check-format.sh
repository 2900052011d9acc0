#!/usr/bin/env bash
# Fails if any tracked C/C++ file differs from .clang-format's layout.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' 2>/dev/null || true)
[ -n "$files" ] || { echo "no sources to check"; exit 0; }
# shellcheck disable=SC2086
clang-format --dry-run -Werror $files
echo "formatting: $(echo "$files" | wc -l) files clean"
