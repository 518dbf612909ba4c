#!/usr/bin/env bash
# Builds opsbot (the program alone, not the tests) and runs it. With no Slack
# tokens in the environment it runs in console mode on config/opsbot.yaml:
# try `echo help | scripts/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --target opsbot
exec "${OPSBOT_BUILD_DIR:-build}/opsbot" "$@"
