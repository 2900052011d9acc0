#!/usr/bin/env bash
# Installs the build into a scratch prefix and uses it the two ways a user would: tests/consumer
# built with CMake (find_package(ipckit), shared and static targets) and the same main.cpp built
# with plain g++ and pkg-config (ipckit.pc, ipckit-static.pc). Runs every program it built, checks
# their output, the installed `ipckit --version`, the SONAME and that nothing installed carries a
# run path. Leaves nothing behind: the prefix and the builds live in one mktemp directory.
set -euo pipefail

: "${IPCKIT_BUILD_DIR:?set by ctest: the build tree to install}"
: "${IPCKIT_SOURCE_DIR:?set by ctest: the source tree}"

cache() {  # the value of a CMakeCache.txt entry of the build under test
  sed -n "s/^$1:[A-Z]*=//p" "$IPCKIT_BUILD_DIR/CMakeCache.txt" | head -n 1
}
cmake_cmd=$(cache CMAKE_COMMAND)
cxx=$(cache CMAKE_CXX_COMPILER)
version=$(cache CMAKE_PROJECT_VERSION)
libdir=$(cache CMAKE_INSTALL_LIBDIR)
pcdir=$(cache IPCKIT_INSTALL_PKGCONFIGDIR)

fail() {
  echo "install_consumer: $*" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-install-consumer.XXXXXX")
prefix=$work/prefix
# `cmake --install` always writes install_manifest.txt into the build tree; put back whatever was
# there before, so that a real install's manifest is not replaced by one naming our scratch files.
manifest=$IPCKIT_BUILD_DIR/install_manifest.txt
if [ -e "$manifest" ]; then cp -p "$manifest" "$work/manifest.saved"; fi
cleanup() {
  if [ -e "$work/manifest.saved" ]; then
    cp -p "$work/manifest.saved" "$manifest"
  else
    rm -f "$manifest"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A sanitizer build installs an instrumented library: its objects call into the sanitizer runtime,
# so every consumer must compile and link with the same -fsanitize flags (cmake/Sanitizers.cmake)
# or the static link fails with undefined __asan_*/__tsan_* symbols. Passing them lets the consumers
# run under the sanitizer too, instead of only being built.
case ${IPCKIT_SANITIZE:-} in
  "") sanitize=() ;;
  address) sanitize=('-fsanitize=address,undefined' -fno-omit-frame-pointer -fno-sanitize-recover=all) ;;
  thread) sanitize=(-fsanitize=thread -fno-omit-frame-pointer) ;;
  *) fail "unknown IPCKIT_SANITIZE '$IPCKIT_SANITIZE'" ;;
esac

expected="key 0x00001a2b = 6699
bad key rejected: EINVAL
error: shmget(key 0x00001a2b): No such file or directory
consumer: ok"

check_run() {  # check_run NAME COMMAND...: runs a consumer and compares its stdout
  local name=$1 out
  shift
  out=$("$@") || fail "$name: exited with status $?"
  [ "$out" = "$expected" ] || fail "$name: unexpected output:
$out"
  echo "ok: $name"
}

needs_libipckit() {  # true when the ELF file has libipckit.so.* among its DT_NEEDED entries
  readelf -d "$1" | grep -q 'NEEDED.*\[libipckit\.so'
}

# 1. Install.
"$cmake_cmd" --install "$IPCKIT_BUILD_DIR" --prefix "$prefix" >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install failed"; }

for f in "$prefix/bin/ipckit" "$prefix/$libdir/libipckit.so" "$prefix/$libdir/libipckit.a" \
  "$prefix/include/ipckit/core/error.hpp" "$prefix/$libdir/cmake/ipckit/ipckitConfig.cmake" \
  "$prefix/$pcdir/ipckit.pc" "$prefix/$pcdir/ipckit-static.pc"; do
  [ -e "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
soname=$(readelf -d "$prefix/$libdir/libipckit.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libipckit.so.${version%%.*}" ] || fail "libipckit.so has SONAME '$soname'"
for f in "$prefix/bin/ipckit" "$prefix/$libdir/libipckit.so"; do
  if readelf -d "$f" | grep -Eq '\((RPATH|RUNPATH)\)'; then
    fail "${f#"$prefix"/} keeps a run path: $(readelf -d "$f" | grep -E 'R(UN)?PATH')"
  fi
done

got=$("$prefix/bin/ipckit" --version) || fail "installed ipckit --version failed"
[ "$got" = "ipckit $version" ] || fail "installed ipckit --version printed '$got'"
echo "ok: installed ipckit --version"

# The Python package, under PREFIX/lib/python3.X/dist-packages (docs/python.md), imports from there.
if [ "$(cache IPCKIT_PYTHON)" = ON ]; then
  pydirs=("$prefix"/lib/python3.*/dist-packages/ipckit)
  [ -f "${pydirs[0]}/__init__.py" ] || fail "the Python package is not under lib/python3.X/dist-packages"
  got=$(cd / && PYTHONPATH=$(dirname "${pydirs[0]}") /usr/bin/python3 -c 'import ipckit; print(ipckit.__file__)') ||
    fail "the installed Python package does not import"
  [ "$got" = "${pydirs[0]}/__init__.py" ] || fail "python3 imported '$got'"
  echo "ok: installed Python package imports"
fi

# 2. CMake consumer: find_package(ipckit) from the scratch prefix only.
"$cmake_cmd" -S "$IPCKIT_SOURCE_DIR/tests/consumer" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" -DIPCKIT_CONSUMER_VERSION="$version" \
  -DCMAKE_CXX_FLAGS="${sanitize[*]}" -DCMAKE_EXE_LINKER_FLAGS="${sanitize[*]}" \
  >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "consumer configure failed"; }
found=$(sed -n 's/^ipckit_DIR:PATH=//p' "$work/cmake-build/CMakeCache.txt")
[ "$found" = "$prefix/$libdir/cmake/ipckit" ] || fail "find_package(ipckit) found '$found'"
"$cmake_cmd" --build "$work/cmake-build" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "consumer build failed"; }

needs_libipckit "$work/cmake-build/consumer_shared" || fail "consumer_shared: libipckit.so not linked"
! needs_libipckit "$work/cmake-build/consumer_static" || fail "consumer_static: linked libipckit.so"
# consumer_shared finds libipckit.so through the build-tree run path CMake gives it.
check_run "cmake ipckit::ipckit" "$work/cmake-build/consumer_shared"
check_run "cmake ipckit::ipckit_static" "$work/cmake-build/consumer_static"

# 3. pkg-config consumer: plain g++ -std=c++23 plus what the .pc files say, nothing else.
pc() { PKG_CONFIG_PATH="$prefix/$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config "$@"; }
[ "$(pc --modversion ipckit)" = "$version" ] || fail "pkg-config --modversion ipckit is wrong"
main=$IPCKIT_SOURCE_DIR/tests/consumer/main.cpp
# shellcheck disable=SC2046  # the flags must split into words
"$cxx" -std=c++23 -Wall -Wextra -Werror "${sanitize[@]}" "$main" -o "$work/pc_shared" \
  $(pc --cflags --libs ipckit)
# shellcheck disable=SC2046
"$cxx" -std=c++23 -Wall -Wextra -Werror "${sanitize[@]}" "$main" -o "$work/pc_static" \
  $(pc --static --cflags --libs ipckit-static)

needs_libipckit "$work/pc_shared" || fail "pc_shared: libipckit.so not linked"
! needs_libipckit "$work/pc_static" || fail "pc_static: linked libipckit.so"
check_run "pkg-config ipckit" env LD_LIBRARY_PATH="$prefix/$libdir" "$work/pc_shared"
check_run "pkg-config ipckit-static" "$work/pc_static"
