# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: installs clang and its
# sanitizer runtimes and configures the one folder both build in. Sets $dir.
bash scripts/bootstrap.sh clang libclang-rt-14-dev
source scripts/configure.sh

dir="${OPSBOT_SANITIZE_DIR:-build-asan}"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

configure_sanitizer_build() {
  # -O1, as the sanitizers' manuals advise: quicker to build, and reports
  # still name every frame. No bench: it measures, and nothing here would.
  configure "$dir" -DCMAKE_CXX_COMPILER=clang++ -DOPSBOT_SANITIZE=ON -DOPSBOT_FUZZ=ON \
    -DOPSBOT_BUILD_TESTS=ON -DOPSBOT_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DOPSBOT_FUZZ_SECONDS="${OPSBOT_FUZZ_SECONDS:-20}"
}
