#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan in a folder
# of their own (build-fuzz, or OPSBOT_FUZZ_DIR) and runs each for
# OPSBOT_FUZZ_SECONDS (default 20) as the CTest label `fuzz`. Only the
# libraries the targets link are built (none uses Asio or Beast). A finding
# fails the run and leaves crash-<target>-* in the build folder: fix it, then
# keep the input in fuzz/regressions/<target>/ (every test build replays those).
# scripts/fuzz.sh --build-only builds and stops (CI builds while it runs other
# stages, then calls the script again, which finds nothing to build).
set -euo pipefail
build_only=""
if [ "${1:-}" = --build-only ]; then
  build_only=1
  shift
fi
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh clang libclang-rt-14-dev
source scripts/configure.sh

dir="${OPSBOT_FUZZ_DIR:-build-fuzz}"
start=$(date +%s)
configure "$dir" -DCMAKE_CXX_COMPILER=clang++ -DOPSBOT_FUZZ=ON -DOPSBOT_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DOPSBOT_FUZZ_SECONDS="${OPSBOT_FUZZ_SECONDS:-20}"
cmake --build "$dir" -j"$(nproc)" --target opsbot_fuzzers
built=$(date +%s)
if [ -n "$build_only" ]; then
  echo "fuzz: build $((built - start)) s"
  exit 0
fi
cd "$dir"
ctest -L fuzz --output-on-failure -j"$(nproc)" "$@"
echo "fuzz: build $((built - start)) s, fuzzing $(($(date +%s) - built)) s"
