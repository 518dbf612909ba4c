#!/usr/bin/env bash
# Builds opsbot and every test (warnings are errors, as in every build) and
# runs them in one ctest run, each test twice: on SQLite, and as
# "<test> [postgresql]" with the end-to-end tests' opsbot on PostgreSQL
# (OPSBOT_TEST_STORE=postgresql). Store tests run on both backends in each
# set; those tagged [postgres] pick PostgreSQL themselves and run once. One
# run instead of two passes: ctest schedules both sets together, so no core
# waits behind the slowest tests of the first pass (tests/CMakeLists.txt).
# With OPSBOT_TEST_STORE set, only that store's set runs. After scripts/run.sh
# it compiles only the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd "${OPSBOT_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
