#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan in a folder
# of their own (build-fuzz, or OPSBOT_FUZZ_DIR) and runs each for
# OPSBOT_FUZZ_SECONDS (default 20) as the CTest label `fuzz`. A finding fails
# the run and leaves crash-<target>-* in the build folder: fix it, then keep
# the input in fuzz/regressions/<target>/ (every test build replays those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh clang libclang-rt-14-dev

dir="${OPSBOT_FUZZ_DIR:-build-fuzz}"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
start=$(date +%s)
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DOPSBOT_FUZZ=ON -DOPSBOT_BUILD_TESTS=OFF \
  -DOPSBOT_FUZZ_SECONDS="${OPSBOT_FUZZ_SECONDS:-20}" "${launcher[@]}"
cmake --build "$dir" -j"$(nproc)" --target opsbot_fuzzers
built=$(date +%s)
cd "$dir"
ctest -L fuzz --output-on-failure -j"$(nproc)" "$@"
echo "fuzz: build $((built - start)) s, fuzzing $(($(date +%s) - built)) s"
