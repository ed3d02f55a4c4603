#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test (C++, C API, CLI, install, Python, Java, C#).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900
