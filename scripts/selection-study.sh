#!/usr/bin/env bash
# Issues 10 and 11's selection study (docs/results.md, "Selection study"; issue 11 added NEAR and TSDS). One command reruns it:
#   bash scripts/selection-study.sh [BUILD_DIR] [OUT_DIR] [SEEDS] [STEPS] [PRETRAIN_STEPS]
# 1. Pre-trains builtin:tiny on the shipped Brown corpus (all 15 genres, 256-token blocks).
# 2. Builds the instruction pool (scripts/selection_study.py: WordNet definitions = the target task,
#    deliberately wrong definitions, spam labels, corpus continuation) and the target set.
# 3. Fine-tunes the pre-trained model on the pool with each selector at the same budget (the same
#    steps, batch and decision schedule: decisions at steps 20, 40, 60, each choosing 20 x 8 samples
#    for the next 20 steps) for every seed, plus full-pool training ("full", no selection).
# 4. Scores every fine-tuned model on the held-out multiple-choice set and prints the table.
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/selection-study} SEEDS=${3:-"1 2 3"} STEPS=${4:-80} PRETRAIN_STEPS=${5:-300}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
mkdir -p "$OUT/runs" "$OUT/mc" "$OUT/configs"
/usr/bin/python3 scripts/selection_study.py data "$OUT"

if [ ! -f "$OUT/pretrain/model.safetensors" ]; then
  cat >"$OUT/configs/pretrain.toml" <<TOML
[model]
model_name_or_path = "builtin:tiny"
finetuning_type = "full"
[data]
dataset_dir = "data"
dataset = ["brown_adventure", "brown_belles_lettres", "brown_editorial", "brown_fiction", "brown_government",
           "brown_hobbies", "brown_humor", "brown_learned", "brown_lore", "brown_mystery", "brown_news",
           "brown_religion", "brown_reviews", "brown_romance", "brown_science_fiction"]
stage = "pt"
packing = true
cutoff_len = 256
[training]
output_dir = "$OUT/pretrain"
seed = 7
max_steps = $PRETRAIN_STEPS
per_device_train_batch_size = 8
learning_rate = 3e-3
lr_scheduler_type = "cosine"
warmup_steps = 20
logging_steps = 50
eval_steps = 0
save_steps = 0
num_threads = 2
TOML
  echo "== pre-training ($PRETRAIN_STEPS steps)"
  "$RUN" "$OUT/configs/pretrain.toml" --overwrite 2>"$OUT/pretrain.log" | tail -2
fi

config() {  # METHOD SEED
  cat <<TOML
[model]
model_name_or_path = "$OUT/pretrain"
finetuning_type = "full"
[data]
dataset_dir = "$OUT/data"
dataset = ["target_define", "target_wrong", "spam", "continuation"]
eval_dataset = ["target_eval"]
stage = "sft"
cutoff_len = 128
[training]
output_dir = "$OUT/runs/$1_s$2"
seed = $2
max_steps = $STEPS
per_device_train_batch_size = 8
learning_rate = 1e-3
lr_scheduler_type = "cosine"
warmup_steps = 5
logging_steps = 20
eval_steps = 0
save_steps = 0
num_threads = 2
TOML
  if [ "$1" = full ]; then printf '[dataflex]\ntrain_type = "static"\n'; return; fi
  printf '[dataflex]\ntrain_type = "dynamic_select"\ncomponent_name = "%s"\nwarmup_step = 20\nupdate_step = 20\n' "$1"
  printf 'update_times = -1\n[dataflex.params]\n'
  case $1 in
    less | cluster_less) printf 'proj_dim = 1024\nprojection = "factored"\n' ;;
    nice)
      printf 'proj_dim = 1024\nprojection = "factored"\nreward = "token_f1"\nmc_samples = 4\n'
      printf 'max_new_tokens = 24\ntemperature = 0.7\nmax_targets = 16\n' ;;
    near | tsds) printf 'center = "pool"\n' ;;  # the pre-trained model's embeddings are nearly parallel
  esac
}

# METHODS limits the rows (METHODS="near tsds" adds those to an existing study).
methods=${METHODS:-"full random loss less cluster_less nice near tsds"}
[ -f "$BUILD/lib/dataflex/plugins/cluster_less/plugin.toml" ] || methods=${methods/cluster_less/}
for seed in $SEEDS; do
  for m in $methods; do
    name=${m}_s$seed
    config "$m" "$seed" >"$OUT/configs/$name.toml"
    echo "== $name"
    "$RUN" "$OUT/configs/$name.toml" --overwrite 2>"$OUT/runs/$name.log" | tail -1
    "$RUN" eval "$OUT/configs/$name.toml" --model "$OUT/runs/$name" --split eval \
      --mc data/eval/wordnet_mc.jsonl --out "$OUT/mc/$name" | tail -2 | head -1
  done
done
/usr/bin/python3 scripts/selection_study.py report "$OUT"
# One page per seed overlaying the runs' curves and selections (dataflex-run compare).
for seed in $SEEDS; do
  dirs=()
  for m in $methods; do [ -f "$OUT/runs/${m}_s$seed/trainer_log.jsonl" ] && dirs+=("$OUT/runs/${m}_s$seed"); done
  if [ ${#dirs[@]} -gt 0 ]; then "$RUN" compare "${dirs[@]}" -o "$OUT/compare_s$seed.html"; fi
done
