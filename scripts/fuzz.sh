#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (clang, ASan + UBSan) into build-fuzz and runs each for
# SECONDS (default 20, what CI runs). A longer run for developers: scripts/fuzz.sh 600.
# The inputs found are kept in build-fuzz/corpus/<target>, so later runs start where this ended.
# A crash leaves its input in build-fuzz/artifacts/<target>/: fix the parser, then copy the input
# to fuzz/regressions/<target>/ so ctest replays it in every build (test fuzz_replay_<target>).
#   scripts/fuzz.sh --make-seeds   rewrites fuzz/seeds/ from models/ and ../shared/models
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
targets=(gguf llmrt_file hf tokenizer_model tokenizer_json)

# Only the parsers' layers are built (no oneDNN, bindings or tests), at -O1 as libFuzzer advises.
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DLLMRT_FUZZ=ON \
  -DLLMRT_USE_DNNL=OFF -DLLMRT_BUILD_BINDINGS=OFF -DLLMRT_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -gline-tables-only" "-DCMAKE_C_FLAGS_RELEASE=-O1 -gline-tables-only" > /dev/null

if [ "${1:-}" = "--make-seeds" ]; then
  cmake --build build-fuzz -j "$(nproc)" --target fuzz_make_seeds
  rm -rf fuzz/seeds
  build-fuzz/fuzz/fuzz_make_seeds "$PWD" "$PWD/../shared" fuzz/seeds
  exit 0
fi
# CI (no argument): a fixed seed and at most 4000 runs per target within 20 s, so a CI run explores
# the same inputs every time and fails only when the code changed. With SECONDS: a random seed and
# no run limit, to find what CI does not.
if [ -n "${1:-}" ]; then
  seconds="$1" limits=(-seed=0) corpus=build-fuzz/corpus
else
  seconds=20 limits=(-seed=1 -runs=4000) corpus=build-fuzz/corpus-ci
  rm -rf "$corpus"  # what earlier runs found would change what this one explores
fi

cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

# One target: prints its summary, or the end of its log and returns 1 when it found something.
fuzz_one() {
  local t="$1" log="build-fuzz/fuzz_$1.log"
  mkdir -p "$corpus/$t" "build-fuzz/artifacts/$t"
  local inputs=(fuzz/seeds/"$t")
  if [ -d "fuzz/regressions/$t" ]; then inputs+=(fuzz/regressions/"$t"); fi
  local options=()
  case "$t" in hf | tokenizer_json | llmrt_file) options+=(-dict=fuzz/json.dict) ;; esac  # JSON inside
  # -timeout: a file that takes seconds to reject is a defect too (sizes trusted before checks);
  # -rss_limit_mb likewise for memory (the replays in fuzz/CMakeLists.txt apply the same limits).
  if build-fuzz/fuzz/fuzz_"$t" "$corpus/$t" "${inputs[@]}" "${options[@]}" "${limits[@]}" -max_total_time="$seconds" \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="build-fuzz/artifacts/$t/" -print_final_stats=1 \
      > "$log" 2>&1; then
    echo "fuzz_$t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, no defect"
  else
    tail -n 60 "$log"
    echo "fuzz_$t: DEFECT FOUND (input in build-fuzz/artifacts/$t/)"
    return 1
  fi
}

# As many targets at once as there are cores.
echo "fuzzing ${targets[*]} for $seconds s each"
at_once="$(nproc)"
status=0
for ((i = 0; i < ${#targets[@]}; i += at_once)); do
  pids=()
  for t in "${targets[@]:i:at_once}"; do
    fuzz_one "$t" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
done
exit "$status"
