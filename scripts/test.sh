#!/usr/bin/env bash
# Builds opsbot and every test (warnings are errors, as in every build) and
# runs them twice: on SQLite, then with the end-to-end tests' opsbot on
# PostgreSQL (OPSBOT_TEST_STORE=postgresql; store tests run on both backends
# in each pass). After scripts/run.sh it compiles only the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd "${OPSBOT_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
echo "== again, with opsbot's store on PostgreSQL (OPSBOT_TEST_STORE=postgresql)"
OPSBOT_TEST_STORE=postgresql ctest --output-on-failure -j"$(nproc)" "$@"
