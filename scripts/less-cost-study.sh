#!/usr/bin/env bash
# Issue 10's cost point 2: what LESS-style selection every 50 steps costs on top of training, and what
# it buys. Runs of one LoRA fine-tune (builtin:tiny, three Brown genres packed in 256-token blocks, the
# same steps, seed and learning-rate schedule), one after another in one invocation:
#   static         full data, no decisions (the baseline)
#   less_whole     LESS rescoring the whole pool at every decision, every eval block a target
#   less_cand      LESS over 256 fresh random candidates per decision (dataflex.candidates), 8 target
#                  blocks per subtask (targets_per_subtask)
#   cluster_less   ClusterLESS (k-means once on the model's embeddings; 4 representatives per cluster),
#                  8 target blocks per subtask
#   cluster_less_l0  the same, clustering on the first decoder layer's output (embedding_layer = 0): the
#                  one pass over the pool that clustering needs then costs a quarter of a full forward
# and prints train time, overhead over static (per seed, then mean and spread), decisions and eval loss.
#   bash scripts/less-cost-study.sh [BUILD_DIR] [OUT_DIR] [STEPS]
# RUNS="static cluster_less" runs only those (RUNS=none: none, the table of what is there);
# SEEDS="42 43 44" repeats every run per seed (default 42).
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/less-cost} STEPS=${3:-200}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
SEEDS=${SEEDS:-42}
base() {
  cat <<TOML
[model]
model_name_or_path = "builtin:tiny"
finetuning_type = "lora"
lora_rank = 8
[data]
dataset_dir = "data"
dataset = ["brown_news", "brown_fiction", "brown_learned"]
stage = "pt"
packing = true
cutoff_len = 256
val_size = 8
[training]
output_dir = "$DIR/$1"
seed = $SEED
max_steps = $STEPS
per_device_train_batch_size = 8
learning_rate = 2e-3
lr_scheduler_type = "cosine"
warmup_steps = 10
logging_steps = 25
eval_steps = 0
save_steps = 0
num_threads = 2
TOML
}
less_params='[dataflex.params]
proj_dim = 8192
projection = "factored"
subtasks = "domain"'
for SEED in $SEEDS; do
  DIR="$OUT/seed-$SEED"
  mkdir -p "$DIR"
  base static >"$DIR/static.toml"
  printf '[dataflex]\ntrain_type = "static"\n' >>"$DIR/static.toml"
  for v in less_whole less_cand cluster_less cluster_less_l0; do
    base $v >"$DIR/$v.toml"
    component=less
    case $v in cluster_less*) component=cluster_less ;; esac
    printf '[dataflex]\ntrain_type = "dynamic_select"\ncomponent_name = "%s"\nwarmup_step = 10\nupdate_step = 50\n' \
      "$component" >>"$DIR/$v.toml"
    [ $v = less_cand ] && echo 'candidates = 256' >>"$DIR/$v.toml"
    echo "$less_params" >>"$DIR/$v.toml"
    [ $v != less_whole ] && echo 'targets_per_subtask = 8' >>"$DIR/$v.toml"
    [ $v = cluster_less_l0 ] && echo 'embedding_layer = 0' >>"$DIR/$v.toml"
  done
  for v in ${RUNS:-static cluster_less cluster_less_l0 less_cand less_whole}; do
    [ -f "$DIR/$v.toml" ] || continue  # RUNS=none: only the table of the runs already there
    echo "== seed $SEED: $v"
    "$RUN" "$DIR/$v.toml" --overwrite 2>"$DIR/$v.log" | tail -2
  done
done
/usr/bin/env python3 - "$OUT" $SEEDS <<'PY'
import json, os, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
runs = ("static", "less_whole", "less_cand", "cluster_less", "cluster_less_l0")
res = {}  # (run, seed) -> (train time, eval loss, decisions)
for seed in seeds:
    for v in runs:
        d = os.path.join(out, f"seed-{seed}", v)
        if not os.path.exists(os.path.join(d, "all_results.json")):
            continue
        r = json.load(open(os.path.join(d, "all_results.json")))
        path = os.path.join(d, "decisions.jsonl")
        n = sum(1 for l in open(path) if '"selection"' in l) if os.path.exists(path) else 0
        res[(v, seed)] = (r["train_runtime"], r.get("eval_loss", float("nan")), n)
def spread(xs, fmt):
    if not xs:
        return "—"
    m = statistics.mean(xs)
    return (fmt % m) + (" ± " + fmt.replace("+", "") % statistics.stdev(xs) if len(xs) > 1 else "")
print("| run | seeds | decisions | train time (s) | overhead over static | eval loss |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for v in runs:
    got = [s for s in seeds if (v, s) in res]
    if not got:
        continue
    times = [res[(v, s)][0] for s in got]
    over = [100 * (res[(v, s)][0] / res[("static", s)][0] - 1) for s in got if ("static", s) in res]
    print(f"| {v} | {len(got)} | {res[(v, got[0])][2]} | {spread(times, '%.1f')} | "
          f"{spread(over, '%+.0f') + ' %' if over and v != 'static' else '—'} | {spread([res[(v, s)][1] for s in got], '%.4f')} |")
print()
print("per seed: overhead over static / eval loss")
for v in runs[1:]:
    cells = [f"{s}: {100 * (res[(v, s)][0] / res[('static', s)][0] - 1):+.0f} % / {res[(v, s)][1]:.4f}"
             for s in seeds if (v, s) in res and ("static", s) in res]
    if cells:
        print(f"  {v}: " + ", ".join(cells))
PY
