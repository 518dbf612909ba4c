#!/usr/bin/env bash
# Builds opsbot with warnings as errors and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DOPSBOT_WERROR=ON -DOPSBOT_BUILD_TESTS=ON
cd "${OPSBOT_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
