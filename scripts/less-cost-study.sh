#!/usr/bin/env bash
# Issue 10's cost point 2: what LESS-style selection every 50 steps costs on top of training, and what
# it buys. Four runs of one LoRA fine-tune (builtin:tiny, three Brown genres packed in 256-token blocks,
# the same steps, seed and learning-rate schedule), all in one invocation:
#   static         full data, no decisions (the baseline)
#   less_whole     LESS rescoring the whole pool at every decision
#   less_cand      LESS over 256 fresh random candidates per decision (dataflex.candidates)
#   cluster_less   ClusterLESS (k-means once on the model's embeddings; 4 representatives per cluster)
# and prints train time, overhead over static, decision count and eval loss.
#   bash scripts/less-cost-study.sh [BUILD_DIR] [OUT_DIR] [STEPS]
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/less-cost} STEPS=${3:-200}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
mkdir -p "$OUT"
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
output_dir = "$OUT/$1"
seed = 42
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
base static >"$OUT/static.toml"
printf '[dataflex]\ntrain_type = "static"\n' >>"$OUT/static.toml"
for v in less_whole less_cand cluster_less; do
  base $v >"$OUT/$v.toml"
  component=less
  [ $v = cluster_less ] && component=cluster_less
  printf '[dataflex]\ntrain_type = "dynamic_select"\ncomponent_name = "%s"\nwarmup_step = 10\nupdate_step = 50\n' \
    "$component" >>"$OUT/$v.toml"
  [ $v = less_cand ] && echo 'candidates = 256' >>"$OUT/$v.toml"
  echo "$less_params" >>"$OUT/$v.toml"
done
for v in static cluster_less less_cand less_whole; do
  echo "== $v"
  "$RUN" "$OUT/$v.toml" --overwrite 2>"$OUT/$v.log" | tail -2
done
/usr/bin/env python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
rows = {}
for v in ("static", "less_whole", "less_cand", "cluster_less"):
    r = json.load(open(os.path.join(out, v, "all_results.json")))
    path = os.path.join(out, v, "decisions.jsonl")
    n = sum(1 for l in open(path) if '"selection"' in l) if os.path.exists(path) else 0
    rows[v] = (r["train_runtime"], r.get("eval_loss", float("nan")), n)
t0 = rows["static"][0]
print("| run | decisions | train time (s) | overhead over static | eval loss |")
print("| --- | ---: | ---: | ---: | ---: |")
for v, (t, loss, n) in rows.items():
    print(f"| {v} | {n} | {t:.1f} | {100 * (t / t0 - 1):+.1f}% | {loss:.4f} |")
PY
