#!/usr/bin/env bash
#===- fuzz.sh - Build and run the frontend fuzzer --------------------------===#
#
# Usage: scripts/fuzz.sh SECONDS
# Builds the libFuzzer target (clang-22, AddressSanitizer) in build-fuzz/,
# replays every kept crasher in test/fuzz/crashers/, then fuzzes lexer,
# parser and Sema for SECONDS, seeded from examples/ and the tests. Any crash,
# leak, sanitizer report or timeout fails the run and leaves the input in
# build-fuzz/artifacts/ (add it to test/fuzz/crashers/ once fixed).
#
#===----------------------------------------------------------------------===#
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DWEFT_FUZZER_ONLY=ON -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 > "$build.configure.log" \
    || { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" > "$build.build.log" || { cat "$build.build.log"; exit 1; }
fuzzer=$build/bin/weft-frontend-fuzzer

echo "fuzz: replaying $(ls test/fuzz/crashers/*.weft | wc -l) kept crasher(s)"
"$fuzzer" test/fuzz/crashers/*.weft > "$build/crashers.log" 2>&1 \
  || { cat "$build/crashers.log"; echo "fuzz: a kept crasher fails again"; exit 1; }

mkdir -p "$build/corpus" "$build/artifacts"
echo "fuzz: fuzzing the frontend for $seconds s (log: $build/fuzz.log)"
if ! "$fuzzer" "$build/corpus" examples test/frontend test/e2e/Inputs test/fuzz/crashers \
     -dict=test/fuzz/weft.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -artifact_prefix="$build/artifacts/" -print_final_stats=1 > "$build/fuzz.log" 2>&1; then
  tail -40 "$build/fuzz.log"
  echo "fuzz: FAILED; the input is in $build/artifacts/"
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz.log")
echo "fuzz: $runs inputs in $seconds s, no crash, leak or timeout"
