#!/usr/bin/env bash
# Installs the Debian 12 packages opsbot needs to build and test; skips what is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ccache
  openssh-client
  libboost-dev libboost-system-dev
  nlohmann-json3-dev
  libcurl4-openssl-dev
  libsqlite3-dev sqlite3
  libpq-dev
  libspdlog-dev libfmt-dev
  catch2
  libyaml-cpp-dev
  libssl-dev
  tzdata
)
# The real servers the tests start (sshd for git over ssh, a PostgreSQL 15
# cluster per test run); --build-only (the Docker build stage) skips them.
if [ "${1:-}" = --build-only ]; then
  shift
else
  packages+=(openssh-server postgresql postgresql-client)
fi
# Extra packages a script needs (scripts/fuzz.sh: clang libclang-rt-14-dev).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} build packages present"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
