#!/usr/bin/env bash
# Whole-run overhead of a dynamic run against its static counterpart, measured as interleaved pairs so
# that the shared machine's drift hits both sides alike (docs/results.md, "Mixture study"):
#   bash bench/mixer_overhead.sh [BUILD_DIR] [OUT_DIR] [PAIRS] [STEPS]
# Pairs (same data, steps, batch and seed as scripts/mixture-study.sh):
#   odm      vs the static uniform mixture (one plugin call every 5 steps)
#   adapt    vs natural epochs (an embedding pass per micro-batch, the anchors every 50 steps)
#   doremi   proxy vs its reference run's setting (a reference forward per micro-batch)
# Prints each run's train_runtime and the median ratio per pair.
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/mixer-overhead} PAIRS=${3:-3} STEPS=${4:-150}
WHICH=${WHICH:-"odm adapt doremi"}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
mkdir -p "$OUT"
common=(--set training.max_steps="$STEPS" --set training.save_steps=0 --set training.eval_steps=0
  --set training.logging_steps=1000 --set training.seed=2 --overwrite)
ref="$OUT/reference"
if [[ " $WHICH " == *" doremi "* ]] && [ ! -f "$ref/model.safetensors" ]; then
  "$RUN" configs/mix_static.toml "${common[@]}" --set data.dataset='["brown_news","brown_fiction","brown_learned","code_c","man_pages"]' \
    --set dataflex.params.proportions='[]' --set training.output_dir=\""$ref"\" >/dev/null 2>&1
fi
five=(--set data.dataset='["brown_news","brown_fiction","brown_learned","code_c","man_pages"]')
static=(configs/mix_static.toml "${five[@]}" --set dataflex.params.proportions='[]' --set dataflex.update_step="$STEPS")
runtime() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/all_results.json"))["train_runtime"])' "$1"; }
for pair in $WHICH; do
  case $pair in
    odm) base=("${static[@]}") dyn=(configs/mix_odm.toml) ;;
    adapt) base=(configs/weight_uniform.toml) dyn=(configs/weight_adapt.toml --set dataflex.warmup_step=5) ;;
    doremi)
      base=("${static[@]}")
      dyn=(configs/mix_doremi.toml --set dataflex.reference_model=\""$ref"\") ;;
  esac
  ratios=()
  for i in $(seq "$PAIRS"); do
    "$RUN" "${base[@]}" "${common[@]}" --set training.output_dir=\""$OUT/$pair-base"\" >/dev/null 2>&1
    "$RUN" "${dyn[@]}" "${common[@]}" --set training.output_dir=\""$OUT/$pair-dyn"\" >/dev/null 2>&1
    b=$(runtime "$OUT/$pair-base") d=$(runtime "$OUT/$pair-dyn")
    ratios+=("$(python3 -c "print($d / $b)")")
    echo "$pair pair $i: static $b s, dynamic $d s"
  done
  python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'$pair: median overhead {100*(statistics.median(r)-1):+.1f} % over {len(r)} interleaved pairs (each {[round(100*(x-1),1) for x in r]})')" "${ratios[@]}"
done
