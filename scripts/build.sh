#!/usr/bin/env bash
# Installs what the build needs, then configures and builds opsbot into
# ${OPSBOT_BUILD_DIR:-build}. Build chatter goes to stderr so that stdout
# stays the program's own.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh >&2
build_dir=${OPSBOT_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${OPSBOT_BUILD_TYPE:-RelWithDebInfo}" "$@" >&2
cmake --build "$build_dir" -j"$(nproc)" >&2
