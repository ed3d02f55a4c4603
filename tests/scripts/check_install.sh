#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds the C example against it with find_package
# (and checks pkg-config), then runs it: it must stream text and stop after 5 tokens.
set -euo pipefail
build_dir=$1 source_dir=$2 model=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > /dev/null
cmake -S "$source_dir/examples/c" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/build" > /dev/null
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig" pkg-config --libs llmrt | grep -q -- -lllmrt
libdir=$(dirname "$(find "$work/prefix" -name 'libllmrt.so.0' | head -n 1)")
out=$(LD_LIBRARY_PATH="$libdir" "$work/build/generate" "$model" "Once upon a time" 5 2> "$work/err")
echo "stdout: $out"; cat "$work/err"
[ "$out" = ", there was a little" ] || { echo "unexpected output"; exit 1; }
grep -q "stopped after 5 tokens" "$work/err"
# An error is reported with the library's message, not a crash.
if LD_LIBRARY_PATH="$libdir" "$work/build/generate" /nonexistent.gguf "x" 2> "$work/err2"; then exit 1; fi
grep -q "/nonexistent.gguf" "$work/err2"
# The C++ owners are installed next to the C header and compile on their own.
printf '#include <llmrt.hpp>\nint main() { llmrt::model_ptr m; return m ? 1 : 0; }\n' > "$work/owners.cpp"
c++ -std=c++17 -Wall -Wextra -Werror -I"$work/prefix/include" "$work/owners.cpp" -L"$libdir" -lllmrt -o "$work/owners"
LD_LIBRARY_PATH="$libdir" "$work/owners"
echo "install + example OK"
