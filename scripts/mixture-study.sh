#!/usr/bin/env bash
# Issue 11's mixture study (docs/results.md, "Mixture study"). One command reruns it:
#   bash scripts/mixture-study.sh [BUILD_DIR] [OUT_DIR] [SEEDS] [STEPS]
# builtin:tiny trained from scratch on the five shipped domains (three Brown genres, C code, man
# pages; 256-token packed blocks), the same steps, batch and schedule for every method:
#   natural   plain epochs over all blocks (each domain in proportion to its size)
#   odm       Online Data Mixing (exp3), a decision every 5 steps from step 5
#   adapt     ADAPT weights on every step from step 5, natural sampling
#   doremi    `dataflex-run doremi`: its reference run is the static uniform mixture (1/5 each: the
#             study's `uniform` row), the proxy run against it (loss weights, uniform sampling, a
#             decision every 5 steps), and the final run on the proxy's averaged weights
# Each run evaluates every domain's held-out blocks at the end; scripts/mixture_study.py prints the
# table (per-domain, mean and worst perplexity, train time) and the proportions over time.
# RUNS limits the methods (RUNS="odm uniform"); RUNS=none only prints the table.
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/mixture-study} SEEDS=${3:-"1 2 3"} STEPS=${4:-300}
RUNS=${RUNS:-"natural odm adapt doremi"}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
PLUGINS="$BUILD/lib/dataflex/plugins"
mkdir -p "$OUT/runs" "$OUT/configs"

base() {  # NAME SEED
  cat <<TOML
[model]
model_name_or_path = "builtin:tiny"
[data]
dataset_dir = "data"
dataset = ["brown_news", "brown_fiction", "brown_learned", "code_c", "man_pages"]
stage = "pt"
packing = true
cutoff_len = 256
val_size = 8
[training]
output_dir = "$OUT/runs/$1_s$2"
seed = $2
max_steps = $STEPS
per_device_train_batch_size = 8
learning_rate = 2e-3
lr_scheduler_type = "cosine"
warmup_steps = 10
logging_steps = 50
eval_steps = $STEPS
save_steps = 100
num_threads = 2
TOML
}

config() {  # METHOD SEED
  case $1 in
    natural) base "$1" "$2"; printf '[dataflex]\ntrain_type = "static"\n' ;;
    odm)
      base "$1" "$2"
      printf '[dataflex]\ntrain_type = "dynamic_mix"\ncomponent_name = "odm"\nwarmup_step = 5\n'
      printf 'update_step = 5\nupdate_times = -1\n[dataflex.params]\nvariant = "exp3"\nalpha = 0.9\n' ;;
    adapt)
      base "$1" "$2"
      printf '[dataflex]\ntrain_type = "dynamic_weight"\ncomponent_name = "adapt"\nwarmup_step = 5\n'
      printf 'update_step = 1\nupdate_times = -1\n[dataflex.params]\ntau = 1.0\nrefresh_interval = 50\n' ;;
    doremi)
      base "$1" "$2"
      printf '[dataflex]\ntrain_type = "dynamic_mix"\ncomponent_name = "doremi"\napply = "loss_weight"\n'
      printf 'sampling_proportions = [1.0, 1.0, 1.0, 1.0, 1.0]\n'
      printf 'warmup_step = 5\nupdate_step = 5\nupdate_times = -1\n[dataflex.params]\nvariant = "paper"\n' ;;
  esac
}

train() {  # METHOD SEED
  local cfg="$OUT/configs/$1_s$2.toml" command=()
  config "$1" "$2" >"$cfg"
  [ "$1" = doremi ] && command=(doremi)
  echo "== $1 seed $2"
  "$RUN" --plugin-dir "$PLUGINS" "${command[@]}" "$cfg" 2>"$OUT/runs/$1_s$2.log" | grep -E "^trained:|^averaged" || {
    tail -3 "$OUT/runs/$1_s$2.log"
    exit 1
  }
}

for seed in $SEEDS; do
  for method in $RUNS; do
    [ "$method" = none ] || train "$method" "$seed"
  done
done
/usr/bin/python3 scripts/mixture_study.py "$OUT/runs" "$SEEDS"
# One page per seed overlaying the runs' curves, proportions and weights (dataflex-run compare).
for seed in $SEEDS; do
  dirs=()
  for d in "$OUT"/runs/*_s"$seed"; do [ -f "$d/trainer_log.jsonl" ] && dirs+=("$d"); done
  if [ ${#dirs[@]} -gt 0 ]; then "$RUN" compare "${dirs[@]}" -o "$OUT/compare_s$seed.html"; fi
done
