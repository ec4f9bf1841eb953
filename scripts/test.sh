#!/usr/bin/env bash
# Sets up and passes the tests: installs dependencies, builds the test suite with
# AddressSanitizer + UBSan, builds the test images from Debian packages (cached under the
# build tree) and runs every test with CTest.
#   scripts/test.sh                 the whole suite (what CI runs)
#   scripts/test.sh -L unit         only tests with a CTest label (unit, integration, fuzz, tlog...)
#   BUILD_DIR=build-x scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

build_dir=${BUILD_DIR:-build-test}
jobs=$(nproc)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLEARBOX_BUILD_TESTS=ON -DCLEARBOX_SANITIZE=ON >/dev/null
cmake --build "$build_dir" -j "$jobs"

# Sanitizer settings: fail on the first report, keep going on leaks in third-party code we
# cannot fix (none known), and give readable stacks.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# install-deps.sh installed the npm validators: a test that cannot find them fails, not skips.
export CLEARBOX_REQUIRE_VALIDATORS=1

ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" --timeout 900 "$@"
