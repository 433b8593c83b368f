#!/usr/bin/env bash
# Fuzzes every parser for minutes: builds tests/fuzz with clang (libFuzzer + ASan + UBSan) and runs each
# target for SECONDS (default 120), the recorded-host target once per plugin kind. Needs a built tree
# (scripts/build.sh) for the plugins. Prints one line per target; a finding fails the script and is
# left as WORK/TARGET/crash-* -- turn it into a regression test (tests/fuzz/regressions/).
#   scripts/fuzz.sh [SECONDS] [WORK_DIR] [NAME_REGEX]   (e.g. 600 build-fuzz/work 'dataset|recorded')
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
work=${2:-build-fuzz/work}
build=build-fuzz
build_main=${DATAFLEX_BUILD_DIR:-build}
cxx=$(command -v clang++-14 || command -v clang++)
cc=$(command -v clang-14 || command -v clang)
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" > /dev/null
cmake --build "$build" -j 2
only=${3:-.}
run() {  # NAME TARGET [env...]
  local name=$1 target=$2
  shift 2
  [[ $name =~ $only ]] || return 0
  local log="$work/$name.log" start=$SECONDS
  mkdir -p "$work/$name"
  if env "$@" tests/fuzz/run_fuzzer.sh "$target" "$build" "$work/$name" -max_total_time="$seconds" > "$log" 2>&1; then
    printf '%-32s %4ds  %s runs, %s new inputs kept, no finding\n' "$name" $((SECONDS - start)) \
      "$(grep -m1 -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')" \
      "$(grep -m1 -o 'new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$')"
  else
    printf '%-32s FINDING: %s (log %s)\n' "$name" "$(ls "$work/$name"/crash-* "$work/$name"/leak-* "$work/$name"/timeout-* "$work/$name"/oom-* 2>/dev/null | head -1)" "$log"
    failed=1
  fi
}
failed=0
for t in run_config plugin_manifest safetensors tokenizer_json dataset_alpaca dataset_jsonl dataset_sharegpt \
         dataset_text dataset_info; do
  run "$t" "fuzz_$t"
done
for p in tests/plugins/probe/service_probe lib/dataflex/plugins/odm lib/dataflex/plugins/loss_reweight \
         lib/dataflex/plugins/delta_loss; do
  run "recorded_host_$(basename "$p")" fuzz_recorded_host DATAFLEX_FUZZ_PLUGIN="$PWD/$build_main/$p/plugin.toml"
done
exit $failed
