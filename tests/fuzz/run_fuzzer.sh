#!/usr/bin/env bash
# Runs one libFuzzer target over its seed corpus (the shipped files of its format) and then on
# mutations of them. Used by the test command (a fixed number of runs) and by scripts/fuzz.sh (minutes).
#   run_fuzzer.sh TARGET FUZZ_BUILD_DIR WORK_DIR [libFuzzer options, e.g. -runs=2000 or -max_total_time=120]
# New interesting inputs go to WORK_DIR/corpus; a finding is saved as WORK_DIR/crash-* (or leak-,
# timeout-, oom-) and the script fails. DATAFLEX_FUZZ_FRESH=1 starts from the seeds alone (the test
# command does, for a run that depends only on the sources). The recorded-host target needs DATAFLEX_FUZZ_PLUGIN (a
# built plugin's plugin.toml).
set -euo pipefail
target=$1 build=$2 work=$3
shift 3
root="$(cd "$(dirname "$0")/../.." && pwd)"
case "$target" in
  fuzz_run_config)       seeds=("$root"/configs/*.toml "$root"/examples/*/*.toml) ;;
  fuzz_plugin_manifest)  seeds=("$root"/algorithms/*/plugin.toml "$root"/tests/plugins/*.toml "$root"/tests/abi/*.toml) ;;
  fuzz_safetensors)      seeds=("$root"/tests/fuzz/seeds/safetensors/*) ;;
  fuzz_npy)              seeds=("$root"/tests/fuzz/seeds/npy/*) ;;
  fuzz_tokenizer_json)   seeds=("$root"/tests/fixtures/tokenizers/*/tokenizer.json) ;;
  fuzz_dataset_alpaca)   seeds=("$root"/tests/fixtures/datasets/alpaca_*.json) ;;
  fuzz_dataset_jsonl)    seeds=("$root"/tests/fixtures/datasets/*.jsonl) ;;
  fuzz_dataset_sharegpt) seeds=("$root"/tests/fixtures/datasets/chat_small.json "$root"/tests/fixtures/datasets/tool_calls.json) ;;
  fuzz_dataset_text)     seeds=("$root"/tests/fixtures/datasets/*.txt) ;;
  fuzz_dataset_info)     seeds=("$root"/tests/fixtures/datasets/dataset_info.json "$root"/data/dataset_info.json) ;;
  fuzz_recorded_host)    seeds=("$root"/tests/recordings/*.json) ;;
  *) echo "run_fuzzer.sh: unknown target '$target'" >&2; exit 2 ;;
esac

# Every past finding stays in the seed corpus: it is run first, every time.
seeds+=("$root"/tests/fuzz/regressions/"${target#fuzz_}"/*)
[ "${DATAFLEX_FUZZ_FRESH:-0}" = 1 ] && rm -rf "$work"
rm -rf "$work/seeds"
mkdir -p "$work/corpus" "$work/seeds"
for s in "${seeds[@]}"; do
  [ -f "$s" ] || continue
  # A seed's name keeps its origin; files of one name from different folders stay apart.
  cp "$s" "$work/seeds/$(basename "$(dirname "$s")")_$(basename "$s")"
done
max_len=8192
[ "$target" = fuzz_tokenizer_json ] && max_len=65536
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$build/$target" -max_len=$max_len -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@" "$work/corpus" "$work/seeds"
