#!/usr/bin/env bash
# Builds with ThreadSanitizer into build-tsan and runs the concurrency tests (label concurrency).
# oneDNN is off: its own threads are not instrumented, so TSan would report its internals.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g1" "-DCMAKE_C_FLAGS_RELEASE=-O1 -g1" \
  -DLLMRT_TSAN=ON -DLLMRT_TEST_CODE_FLAGS=-O0 -DLLMRT_USE_DNNL=OFF -DLLMRT_BUILD_BINDINGS=OFF > /dev/null
cmake --build build-tsan -j "$(nproc)" --target llmrt_concurrency_tests
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --test-dir build-tsan -L concurrency --output-on-failure --timeout 600
