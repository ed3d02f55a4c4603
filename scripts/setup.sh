#!/usr/bin/env bash
# Installs every system package llmrt needs to build, test and bind (Debian 12).
set -euo pipefail
# .ci/run installs once for all the scripts it runs (each of them also calls this, to work alone).
if [ "${LLMRT_SETUP_DONE:-}" = 1 ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  build-essential cmake pkg-config git
  clang-14 libclang-rt-14-dev
  libgtest-dev nlohmann-json3-dev libpcre2-dev libdnnl-dev libbz2-dev libcpp-httplib-dev
  python3 python3-pytest python3-pip python3-setuptools python3-wheel python3-venv
  swig default-jdk-headless junit4
  mono-mcs mono-runtime libmono-system-core4.0-cil
  libopenmpi-dev openmpi-bin
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The server's client test (tests/server) runs the official openai npm package, pinned by its
# package-lock.json. Debian's nodejs/npm only where node is missing.
if ! command -v node >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
(cd "$(dirname "$0")/../tests/server" && npm ci --no-audit --no-fund)
