#!/usr/bin/env bash
# Runs every shipped config (and a few trainer modes) with a dataflex-run binary and keeps what a
# behaviour change would show: the logged losses, grad norms and eval losses (trainer_log.jsonl) and
# every decision (decisions.jsonl). Run it with two builds and diff the folders:
#   scripts/compare-runs.sh OLD/bin/dataflex-run /tmp/old
#   scripts/compare-runs.sh build/bin/dataflex-run /tmp/new
#   diff -r /tmp/old /tmp/new && echo identical
# Timing columns (throughput, elapsed) are dropped: only numbers that must not change are kept.
set -euo pipefail
RUN=$(realpath "$1")
OUT=$(realpath -m "$2")
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
keep() {  # keep NAME RUN_DIR
  python3 - "$2" "$OUT/$1" <<'PY'
import json, os, sys
run, out = sys.argv[1], sys.argv[2]
drop = {"elapsed_time", "remaining_time", "tokens_per_second", "throughput", "train_runtime", "train_steps_per_second",
        "train_samples_per_second"}
with open(out + ".log", "w") as f:
    for line in open(os.path.join(run, "trainer_log.jsonl")):
        j = json.loads(line)
        f.write(json.dumps({k: v for k, v in j.items() if k not in drop}, sort_keys=True) + "\n")
d = os.path.join(run, "decisions.jsonl")
if os.path.exists(d):
    with open(out + ".decisions", "w") as f:
        f.write(open(d).read())
PY
}
variants=()
for cfg in configs/*.toml; do variants+=("$(basename "$cfg" .toml)|$cfg|"); done
variants+=("mix_odm_tokens|configs/mix_odm.toml|--set dataflex.mixture_unit=\"tokens\"")
variants+=("mix_odm_loss_weight|configs/mix_odm.toml|--set dataflex.apply=\"loss_weight\"")
variants+=("weight_accumulation|configs/weight_loss_reweight.toml|--set training.gradient_accumulation_steps=2 --set training.per_device_train_batch_size=4")
variants+=("select_static_schedule|configs/static_random.toml|--set dataflex.warmup_step=2 --set dataflex.update_step=4")
for v in "${variants[@]}"; do
  IFS='|' read -r name cfg extra <<<"$v"
  # shellcheck disable=SC2086
  "$RUN" "$cfg" --set training.output_dir=\"$work/$name\" --set training.overwrite_output_dir=true $extra \
    >"$work/$name.out" 2>&1 || { echo "FAIL $name"; tail -3 "$work/$name.out"; exit 1; }
  keep "$name" "$work/$name"
  echo "ran $name"
done
