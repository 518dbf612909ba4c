#!/usr/bin/env bash
# Installs what the build needs, then configures and builds opsbot into
# ${OPSBOT_BUILD_DIR:-build}.
#   scripts/build.sh                   everything: opsbot, the tests, the bench
#   scripts/build.sh --target opsbot   opsbot alone (scripts/run.sh)
# Every caller configures with the same options, so a later full build reuses
# every object an earlier partial one made (scripts/run.sh, then
# scripts/test.sh, recompiles nothing). Build chatter goes to stderr so that
# stdout stays the program's own.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh >&2
source scripts/configure.sh
build_dir=${OPSBOT_BUILD_DIR:-build}
options=(-DCMAKE_BUILD_TYPE="${OPSBOT_BUILD_TYPE:-RelWithDebInfo}" -DOPSBOT_WERROR=ON
  -DOPSBOT_BUILD_TESTS=ON)
configure "$build_dir" "${options[@]}" >&2
cmake --build "$build_dir" -j"$(nproc)" "$@" >&2
