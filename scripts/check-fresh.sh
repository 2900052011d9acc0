#!/usr/bin/env bash
# check-fresh.sh [WORK_DIR]: proves the README's quick start on a fresh Debian 12 machine.
#
# Builds a minimal Debian 12 root with debootstrap (--variant=minbase, from Debian's archive),
# copies a clean clone of this repository's HEAD into it, and runs the README's two quick-start
# commands exactly as written, as root, inside a plain `chroot` (no private mount namespace can be
# made there: / is not a mount point). Fails if either command fails, or if ctest reports a test
# "Not Run". Tests that cannot run in a chroot say "cannot run here: ..." and are counted as
# skipped; the summary lists them.
#
# WORK_DIR (default build/fresh) keeps the debootstrapped root as a tarball
# (bookworm-minbase.tar), so later runs skip debootstrap; delete it to start over. The unpacked
# root, its mounts and the clone are removed when the script ends, however it ends.
# Needs root (CI is root), debootstrap and network access to Debian's archive.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
work=${1:-build/fresh}
mirror=${IPCKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}

fail() {
  echo "check-fresh: $*" >&2
  exit 1
}
say() { echo "check-fresh: $*"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (scripts/deps.sh installs it)"

# The README's quick start: its first two ```sh blocks, one command each.
mapfile -t commands < <(awk '
  /^## Quick start/ { in_section = 1; next }
  /^## / { in_section = 0 }
  in_section && /^```sh$/ { in_block = 1; next }
  in_section && in_block && /^```$/ { in_block = 0; next }
  in_section && in_block { print }' README.md)
[ ${#commands[@]} -eq 2 ] || fail "README.md's quick start should hold exactly two commands, found ${#commands[@]}"

mkdir -p "$work"
work=$(cd "$work" && pwd)
tarball=$work/bookworm-minbase.tar
root=$work/root

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  # Only what is no longer a mount point can go: never delete through a live bind of /dev.
  if [ -d "$root" ] && ! grep -q " $root/" /proc/self/mounts; then rm -rf "$root"; fi
}
trap cleanup EXIT
if grep -q " $root/" /proc/self/mounts; then fail "$root still has mounts from an earlier run; unmount them first"; fi
rm -rf "$root"

started=$SECONDS
if [ ! -s "$tarball" ]; then
  say "debootstrap --variant=minbase bookworm ($mirror)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log: $work/debootstrap.log)"; }
  tar -C "$root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  rm -rf "$root"
  say "root made in $((SECONDS - started)) s, cached as $tarball"
fi
mkdir -p "$root"
tar -C "$root" -xf "$tarball"

# What a user entering a chroot sets up: /proc, /sys, the host's /dev (not recursively), a pty
# filesystem and a tmpfs /dev/shm; name resolution for apt. No /dev/mqueue.
mount_in() {  # mount_in TARGET MOUNT-ARGS...
  local target=$root$1
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounts+=("$target")
}
mount_in /proc -t proc proc
mount_in /sys -t sysfs sysfs
mount_in /dev --bind /dev
mount --make-private "$root/dev"  # so that the mounts below never reach the host's /dev
mount_in /dev/pts --bind /dev/pts
mount_in /dev/shm -t tmpfs tmpfs -o mode=1777
cp /etc/resolv.conf "$root/etc/resolv.conf"

git clone -q --no-hardlinks "$source_dir" "$root/root/ipckit"
say "clean clone of $(git -C "$source_dir" rev-parse --short HEAD) in the chroot's /root/ipckit"

in_chroot() {  # in_chroot COMMAND: runs COMMAND with bash in the clone, in a clean environment
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/ipckit && $1"
}

for i in 0 1; do
  say "README command $((i + 1)): ${commands[i]}"
  t=$SECONDS
  log=$work/command-$((i + 1)).log
  set +e
  in_chroot "${commands[i]}" </dev/null 2>&1 | tee "$log" | grep -E --line-buffered \
    '^(deps:|Test project|[0-9]+% tests passed|Total Test time|The following tests|.*(Not Run|\*\*\*Failed|\*\*\*Skipped|cannot run here))'
  rc=${PIPESTATUS[0]}
  set -e
  say "README command $((i + 1)) exited $rc after $((SECONDS - t)) s (log: $log)"
  [ "$rc" -eq 0 ] || { tail -n 40 "$log" >&2; fail "README command $((i + 1)) failed in a fresh Debian 12 chroot"; }
done

log=$work/command-2.log
if grep -q 'Not Run' "$log"; then
  grep 'Not Run' "$log" >&2
  fail "ctest reported tests as Not Run"
fi
grep -q '^100% tests passed' "$log" || fail "ctest did not report 100% tests passed"
skipped=$(grep -c '\*\*\*Skipped' "$log" || true)
say "every test ran or said why it cannot run here; $skipped skipped in the chroot:"
grep -A1 -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*Skipped' "$log" | sed 's/^/  /' || true
# Why: ctest keeps every test's output in LastTest.log, skipped ones included.
grep -h 'cannot run here' "$root/root/ipckit/build/default/Testing/Temporary/LastTest.log" |
  sort -u | sed 's/^/  /' || true
say "done in $((SECONDS - started)) s"
