#!/usr/bin/env bash
# Keeps the Dockerfile consistent with the build (CI runs it after the tests):
#  - the runtime stage's OPSBOT_RUNTIME_LIBS must be exactly the Debian
#    packages that hold the shared libraries the binary links against (its
#    NEEDED entries, resolved with ldd, mapped with dpkg -S): none missing,
#    none superfluous;
#  - the build stage must install its packages with scripts/bootstrap.sh, so
#    both build the same way.
# usage: scripts/check-docker-libs.sh [binary (default build/opsbot)] [Dockerfile]
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-${OPSBOT_BUILD_DIR:-build}/opsbot}
dockerfile=${2:-Dockerfile}
fail() {
  echo "check-docker-libs: $*" >&2
  exit 1
}

[ -x "$binary" ] || fail "no binary at $binary: build it first (scripts/build.sh)"
[ -f "$dockerfile" ] || fail "no $dockerfile"
command -v readelf >/dev/null || fail "readelf is missing (apt-get install binutils)"

# The build stage: bootstrap.sh, nothing hand-written.
build_stage=$(awk '/^FROM /{n++} n==1' "$dockerfile")
grep -Eq '^RUN bash scripts/bootstrap\.sh' <<<"$build_stage" ||
  fail "$dockerfile's build stage does not install its packages with 'RUN bash scripts/bootstrap.sh'; use it, so that the image builds with the packages CI builds with"
if grep -Eq 'apt-get install' <<<"$build_stage"; then
  fail "$dockerfile's build stage installs packages besides scripts/bootstrap.sh; add them to scripts/bootstrap.sh instead"
fi

# The runtime stage's list.
declared_line=$(grep -E '^ARG OPSBOT_RUNTIME_LIBS=' "$dockerfile" || true)
[ -n "$declared_line" ] || fail "$dockerfile has no 'ARG OPSBOT_RUNTIME_LIBS=\"…\"' line"
declared=$(sed -E 's/^ARG OPSBOT_RUNTIME_LIBS="?([^"]*)"?/\1/' <<<"$declared_line" | tr ' ' '\n' |
  sed '/^$/d' | sort -u)

# What the binary needs: NEEDED sonames → paths (ldd) → packages (dpkg -S).
mapfile -t needed < <(readelf -d "$binary" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
[ ${#needed[@]} -gt 0 ] || fail "$binary has no NEEDED entries: is it a dynamic executable?"
ldd_out=$(ldd "$binary")
package_of() {
  local path=$1 candidate owner
  for candidate in "$path" "$(readlink -f "$path")" "${path#/usr}" "/usr$path"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | grep -v '^diversion' | head -n1 | cut -d: -f1) || true
    if [ -n "$owner" ]; then
      echo "$owner"
      return 0
    fi
  done
  return 1
}
required=""
for soname in "${needed[@]}"; do
  path=$(awk -v so="$soname" '$1 == so && $2 == "=>" {print $3}' <<<"$ldd_out")
  [ -n "$path" ] && [ "$path" != "not" ] || fail "ldd cannot find $soname for $binary"
  package=$(package_of "$path") || fail "no Debian package owns $path ($soname)"
  required+="$package"$'\n'
done
required=$(sed '/^$/d' <<<"$required" | sort -u)

missing=$(comm -23 <(echo "$required") <(echo "$declared"))
superfluous=$(comm -13 <(echo "$required") <(echo "$declared"))
if [ -n "$missing" ] || [ -n "$superfluous" ]; then
  {
    echo "check-docker-libs: $dockerfile's OPSBOT_RUNTIME_LIBS does not match what $binary links against."
    [ -z "$missing" ] || echo "  missing (the image would not start): $(tr '\n' ' ' <<<"$missing")"
    [ -z "$superfluous" ] || echo "  superfluous (nothing links them): $(tr '\n' ' ' <<<"$superfluous")"
    echo "  set it to: ARG OPSBOT_RUNTIME_LIBS=\"$(tr '\n' ' ' <<<"$required" | sed 's/ $//')\""
  } >&2
  exit 1
fi
echo "check-docker-libs: OPSBOT_RUNTIME_LIBS matches the ${#needed[@]} libraries $binary links against ($(tr '\n' ' ' <<<"$required" | sed 's/ $//')); the build stage uses scripts/bootstrap.sh"
