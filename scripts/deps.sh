#!/usr/bin/env bash
# Installs every Debian 12 package ipckit needs to build, test, package and benchmark.
# Runs `apt-get update` first; a no-op (no install) when everything is already present.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config git
  libfmt-dev libcli11-dev nlohmann-json3-dev libsmartcols-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  util-linux procps iproute2 socat python3 python3-jsonschema systemd
  dpkg-dev file debootstrap
  # the Python module (python/) and its tests
  python3-dev pybind11-dev python3-pytest python3-numpy
  # man pages (man/) and shell completion (tools/completion/) and their tests
  scdoc groff-base man-db bash-completion zsh fish
  # ipckit bench's peers (harnesses built only when found) and the charts' headless browser test
  libboost-dev libzmq3-dev libnng-dev libiceoryx-posh-dev libiceoryx-hoofs-dev iceoryx chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
