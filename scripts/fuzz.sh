#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in the sanitizer build folder
# (build-asan, or OPSBOT_SANITIZE_DIR: clang, ASan, UBSan and libFuzzer's
# coverage, shared with scripts/sanitize.sh) and runs each for
# OPSBOT_FUZZ_SECONDS (default 20) as the CTest label `fuzz`. A finding fails
# the run and leaves crash-<target>-* in build-asan/fuzz: fix it, then keep
# the input in fuzz/regressions/<target>/ (every test build replays those).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/sanitizer-build.sh
configure_sanitizer_build

start=$(date +%s)
cmake --build "$dir" -j"$(nproc)" --target opsbot_fuzzers
built=$(date +%s)
cd "$dir"
ctest -L '^fuzz$' --output-on-failure -j"$(nproc)" "$@"
echo "fuzz: build $((built - start)) s, fuzzing $(($(date +%s) - built)) s"
