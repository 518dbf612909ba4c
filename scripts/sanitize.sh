#!/usr/bin/env bash
# Builds opsbot and every test with AddressSanitizer and UndefinedBehaviorSanitizer
# in a folder of its own (build-asan, or OPSBOT_SANITIZE_DIR) and runs the whole
# suite. Any report fails the run: UBSan is built not to recover
# (-fno-sanitize-recover=all), so a report aborts the process even in the
# opsbot binaries the end-to-end tests start with an environment of their own.
# The folder is built with clang and libFuzzer's coverage as well, so that
# scripts/fuzz.sh builds only its fuzz targets there: one sanitizer build
# serves both.
# Pass ctest arguments through: scripts/sanitize.sh -R slack
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/sanitizer-build.sh
configure_sanitizer_build

start=$(date +%s)
cmake --build "$dir" -j"$(nproc)"
built=$(date +%s)
cd "$dir"
ctest --output-on-failure -j"$(nproc)" -LE '^fuzz$' "$@"
echo "sanitize: build $((built - start)) s, tests $(($(date +%s) - built)) s"
