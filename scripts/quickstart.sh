#!/usr/bin/env bash
# A fresh Debian 12 machine to generated text: installs dependencies, builds, and generates from
# the bundled stories260K model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/llmrt generate -m models/stories260K/stories260K.gguf -p "Once upon a time" -n 64 --temp 0
