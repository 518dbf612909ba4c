# Sourced by the build scripts. configure DIR [cmake options...] configures
# DIR with Ninja, which compiles a target's files while the libraries it links
# are still building (Make waits for them, leaving a core idle behind the
# slowest file). A folder configured earlier with another generator is
# configured anew.
configure() {
  local dir=$1
  shift
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    echo "configure: $dir was configured with another generator; configuring it anew with Ninja" >&2
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
  cmake -S . -B "$dir" -G Ninja "$@"
}
