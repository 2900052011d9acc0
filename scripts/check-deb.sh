#!/usr/bin/env bash
# check-deb.sh [BUILD_DIR]: packages BUILD_DIR (default build/default) as a .deb with cpack,
# checks what the package holds, installs it with `apt-get install ./ipckit_*.deb` as a user would,
# builds and runs tests/consumer against the installed files (CMake and pkg-config), then purges
# the package so the machine is as it was. Needs root (CI is root) or sudo. The package is built in
# a mktemp directory, and the build tree's install_manifest.txt (which cpack rewrites) is restored.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build=${1:-build/default}

fail() {
  echo "check-deb: $*" >&2
  exit 1
}

[ -f "$build/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in '$build': configure it first"
cache() {  # the value of a CMakeCache.txt entry of the build being packaged
  sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n 1
}
[ -z "$(cache IPCKIT_SANITIZE)" ] || fail "'$build' is a sanitizer build; package a normal one"
version=$(cache CMAKE_PROJECT_VERSION)
cxx=$(cache CMAKE_CXX_COMPILER)
cmake_cmd=$(cache CMAKE_COMMAND)
cpack_cmd=$(dirname "$cmake_cmd")/cpack

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt_get() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
installed() { dpkg-query -W -f='${Status}' ipckit 2>/dev/null | grep -q 'install ok installed'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ipckit-check-deb.XXXXXX")
# apt-get fetches a local .deb as the unprivileged _apt user; let it read the file.
chmod 755 "$work"
manifest=$build/install_manifest.txt
if [ -e "$manifest" ]; then cp -p "$manifest" "$work/manifest.saved"; fi
we_installed=0
cleanup() {
  if [ "$we_installed" = 1 ] && installed; then
    echo "check-deb: purging ipckit after a failure" >&2
    apt_get purge ipckit >/dev/null || true
  fi
  if [ -e "$work/manifest.saved" ]; then
    cp -p "$work/manifest.saved" "$manifest"
  else
    rm -f "$manifest"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Package what is built now (only the installed targets need to be current).
targets=(ipckit ipckit_static ipckit_cli)
python_module=0
if [ "$(cache IPCKIT_PYTHON)" = ON ]; then
  targets+=(ipckit_python)
  python_module=1
fi
targets+=(ipckit_man ipckit_completions)
"$cmake_cmd" --build "$build" --target "${targets[@]}"
"$cpack_cmd" --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
debs=("$work"/ipckit_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then fail "cpack made no single ipckit_*.deb"; fi
deb=${debs[0]}
echo "check-deb: built $(basename "$deb")"

# 2. Contents and control fields.
dpkg-deb --contents "$deb" | awk '{ print $6 }' >"$work/contents.txt"
for pattern in '/usr/lib/(.*/)?libipckit\.so\.[0-9]+\.[0-9]+\.[0-9]+$' \
  '/usr/lib/(.*/)?libipckit\.so$' '/usr/lib/(.*/)?libipckit\.a$' \
  '/usr/include/ipckit/core/error\.hpp$' '/usr/include/ipckit/sysv/key\.hpp$' '/usr/bin/ipckit$' \
  '/usr/lib/(.*/)?cmake/ipckit/ipckitConfig\.cmake$' '/usr/lib/(.*/)?pkgconfig/ipckit\.pc$'; do
  grep -Eq "$pattern" "$work/contents.txt" || fail "package lacks a file matching $pattern"
done
for pattern in '/usr/share/man/man1/ipckit\.1' '/usr/share/man/man1/ipckit-chan\.1' \
  '/usr/share/man/man7/ipckit-channel\.7' '/usr/share/man/man3/ipckit\.3' \
  '/usr/share/man/man1/ipckit-ipcs\.1' '/usr/share/bash-completion/completions/ipckit$' \
  '/usr/share/zsh/vendor-completions/_ipckit$' '/usr/share/fish/vendor_completions.d/ipckit\.fish$'; do
  grep -Eq "$pattern" "$work/contents.txt" || fail "package lacks a file matching $pattern"
done
if [ "$python_module" = 1 ]; then
  for pattern in '/usr/lib/python3/dist-packages/ipckit/__init__\.py$' \
    '/usr/lib/python3/dist-packages/ipckit/__init__\.pyi$' \
    '/usr/lib/python3/dist-packages/ipckit/_ipckit\.cpython-[0-9]+-.*\.so$'; do
    grep -Eq "$pattern" "$work/contents.txt" || fail "package lacks a file matching $pattern"
  done
fi
depends=$(dpkg-deb --field "$deb" Depends)
echo "check-deb: Depends: $depends"
for dep in libfmt-dev libfmt9 libsmartcols1 libstdc++6 libc6; do
  [[ ", $depends" == *", $dep "* || ", $depends," == *", $dep,"* ]] ||
    fail "Depends lacks $dep (dpkg-shlibdeps or CPACK_DEBIAN_PACKAGE_DEPENDS)"
done

# 3. Install it the way the issue says. A leftover ipckit (an aborted run) would make apt-get keep
# that one instead, so purge it first. On a fresh machine apt may have no package lists yet; if
# a dependency has to be fetched, update them once and retry.
if installed; then
  echo "check-deb: ipckit is already installed; purging it first" >&2
  apt_get purge ipckit >/dev/null
fi
we_installed=1
if ! (cd "$work" && apt_get install "./$(basename "$deb")"); then
  apt_get update
  (cd "$work" && apt_get install "./$(basename "$deb")")
fi
installed || fail "apt-get did not install ipckit"

# 4. Use the installed package: the command, pkg-config, and both ways of building a consumer.
got=$(/usr/bin/ipckit --version) || fail "/usr/bin/ipckit --version failed"
[ "$got" = "ipckit $version" ] || fail "/usr/bin/ipckit --version printed '$got'"
got=$(pkg-config --modversion ipckit) || fail "pkg-config does not find ipckit"
[ "$got" = "$version" ] || fail "pkg-config --modversion ipckit is '$got', not $version"

expected="key 0x00001a2b = 6699
bad key rejected: EINVAL
error: shmget(key 0x00001a2b): No such file or directory
consumer: ok"
check_run() {  # check_run NAME PROGRAM: runs a consumer and compares its stdout
  local out
  out=$("$2") || fail "$1: exited with status $?"
  [ "$out" = "$expected" ] || fail "$1: unexpected output:
$out"
  echo "check-deb: ok: $1"
}
main=$source_dir/tests/consumer/main.cpp
# shellcheck disable=SC2046  # the flags must split into words
"$cxx" -std=c++23 "$main" -o "$work/pc_shared" $(pkg-config --cflags --libs ipckit)
# shellcheck disable=SC2046
"$cxx" -std=c++23 "$main" -o "$work/pc_static" $(pkg-config --static --cflags --libs ipckit-static)
check_run "pkg-config ipckit (no LD_LIBRARY_PATH)" "$work/pc_shared"
check_run "pkg-config ipckit-static" "$work/pc_static"

"$cmake_cmd" -S "$source_dir/tests/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DIPCKIT_CONSUMER_VERSION="$version" >"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; fail "consumer configure failed"; }
found=$(sed -n 's/^ipckit_DIR:PATH=//p' "$work/consumer/CMakeCache.txt")
[[ "$found" == /usr/lib/*cmake/ipckit ]] || fail "find_package(ipckit) found '$found'"
"$cmake_cmd" --build "$work/consumer" >>"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; fail "consumer build failed"; }
check_run "cmake ipckit::ipckit" "$work/consumer/consumer_shared"
check_run "cmake ipckit::ipckit_static" "$work/consumer/consumer_static"

# The Python module, by Debian's python3 with no PYTHONPATH (docs/python.md).
if [ "$python_module" = 1 ]; then
  got=$(cd / && env -u PYTHONPATH /usr/bin/python3 -c '
import ipckit, os
name = "ipckit-check-deb-%d" % os.getpid()
with ipckit.Channel.create(name, capacity=4096) as ch, ch.sender() as tx, ch.receiver() as rx:
    tx.send(b"from the package")
    print(ipckit.__file__, rx.recv().decode())
ipckit.Channel.unlink(name)
') || fail "python3 cannot use the installed ipckit module"
  [[ "$got" == "/usr/lib/python3/dist-packages/ipckit/__init__.py from the package" ]] ||
    fail "python3 imported '$got'"
  echo "check-deb: ok: import ipckit"
fi

# The man pages and the completion, where man and bash-completion look for them.
man -w ipckit-chan >/dev/null 2>&1 || [ -f /usr/share/man/man1/ipckit-chan.1.gz ] ||
  [ -f /usr/share/man/man1/ipckit-chan.1 ] || fail "man cannot find ipckit-chan(1)"
got=$(bash -c 'source /usr/share/bash-completion/completions/ipckit && complete -p ipckit') ||
  fail "the installed bash completion does not load"
[[ "$got" == *"-F _ipckit ipckit"* ]] || fail "the installed bash completion registers '$got'"
echo "check-deb: ok: man pages and bash completion"

# 5. Leave the machine as it was.
apt_get purge ipckit >/dev/null
we_installed=0
! installed || fail "ipckit is still installed after purge"
[ ! -e /usr/bin/ipckit ] || fail "/usr/bin/ipckit is still there after purge"
echo "check-deb: $(basename "$deb") installs, works and purges cleanly"
