#!/usr/bin/env bash
# The shared library exports exactly the committed list of symbols: an ABI change is deliberate.
set -euo pipefail
lib=$1 expected=$2
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
if ! diff <(sort "$expected") <(echo "$actual"); then
  echo "exported symbols differ from $expected (update it if the ABI change is deliberate)"
  exit 1
fi
echo "$(echo "$actual" | wc -l) exported symbols match"
