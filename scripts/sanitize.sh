#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) and runs the unit,
# plugin, engine and CLI tests under them. Any report -- a heap overflow, a use after free, a leak,
# undefined behaviour -- fails the test it happens in. Prints the time each half took.
#   scripts/sanitize.sh [ctest arguments, e.g. -R cli_]
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
start=$SECONDS
cmake -S . -B build-asan "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDATAFLEX_BUILD_TESTS=ON -DDATAFLEX_SANITIZE=ON \
  > /dev/null
cmake --build build-asan -j "${DATAFLEX_JOBS:-2}"
built=$SECONDS
# LibTorch is not instrumented: its allocations are still checked (ASan replaces malloc), its own code is
# not. Leaks are reported. A plugin's deliberate crash in the fault tests is handled by the plugin guard
# (installed after ASan's handler), as in a normal build.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0}"
rc=0
ctest --test-dir build-asan --output-on-failure -j 2 -E "^(style_|layers_)" "$@" || rc=$?
echo "sanitize: build $((built - start)) s, tests $((SECONDS - built)) s, exit $rc"
exit $rc
