#!/usr/bin/env bash
# Builds opsbot and every test (warnings are errors, as in every build) and
# runs them. After scripts/run.sh it compiles only the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd "${OPSBOT_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
