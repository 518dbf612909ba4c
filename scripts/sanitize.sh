#!/usr/bin/env bash
# Builds opsbot and every test with AddressSanitizer and UndefinedBehaviorSanitizer
# in a folder of its own (build-asan, or OPSBOT_SANITIZE_DIR) and runs the whole
# suite once (the e2e tests' opsbot on SQLite; store tests on both backends).
# Any report fails the run: UBSan is built not to recover
# (-fno-sanitize-recover=all), so a report aborts the process even in the
# opsbot binaries the end-to-end tests start with an environment of their own.
# GCC, as the main build: clang 14 cannot build Boost 1.74's coroutines (Asio
# does not see clang's C++20 coroutines, and forcing them on fails in codegen),
# so this folder cannot be shared with scripts/fuzz.sh.
# Pass ctest arguments through: scripts/sanitize.sh -R slack
# scripts/sanitize.sh --build-only builds and stops (CI builds while it runs
# other stages, then calls the script again, which finds nothing to build).
set -euo pipefail
build_only=""
if [ "${1:-}" = --build-only ]; then
  build_only=1
  shift
fi
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
source scripts/configure.sh

dir="${OPSBOT_SANITIZE_DIR:-build-asan}"
start=$(date +%s)
# -O0: the build is the longest stage of CI, and unoptimised it takes 388 s
# instead of 648 s at -O1, while the suite runs 89 s instead of 65 s; reports
# name every frame either way. No bench: it measures, and nothing here would.
configure "$dir" -DOPSBOT_SANITIZE=ON -DOPSBOT_WERROR=ON -DOPSBOT_BUILD_TESTS=ON \
  -DOPSBOT_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1 -DNDEBUG"
cmake --build "$dir" -j"$(nproc)"
built=$(date +%s)
if [ -n "$build_only" ]; then
  echo "sanitize: build $((built - start)) s"
  exit 0
fi

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# The replicas' storm test at a tenth of its size: unoptimised and
# instrumented, three replicas answering 10,000 envelopes outlast ctest's
# 120 s; the full storm runs in scripts/test.sh.
export OPSBOT_STORM_EACH=500
cd "$dir"
# The suite once, as before ctest registered each test a second time on
# PostgreSQL (label store-postgresql): the store tests run on both backends
# in it, and the [postgresql] copies would double the run.
ctest --output-on-failure -j"$(nproc)" -LE store-postgresql "$@"
echo "sanitize: build $((built - start)) s, tests $(($(date +%s) - built)) s"
