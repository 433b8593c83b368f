#!/usr/bin/env bash
# Distributed on this machine's CPU cores: 1 rank with 2 threads against 2 ranks with 1 thread each
# (Gloo on loopback), the same global batch and the same work.
#   gradient features   one LESS decision over a pool of POOL candidates (factored projection to
#                       8192): its service calls spread over the ranks; how long, and how much of that
#                       rank 0 spent waiting and communicating
#   training            tokens/s of the static trainer, mean over the logged windows after the first
# Run by hand:  bash bench/distributed_bench.sh [build/bin/dataflex-run]     (results: docs/distributed.md)
set -euo pipefail
RUN=${1:-build/bin/dataflex-run}
POOL=${POOL:-512}
STEPS=${STEPS:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/.."

decision_line() { grep -o "decision at step 1: .*" "$1" | head -1; }
tps() { python3 -c 'import json,sys
v=[j["throughput"] for j in map(json.loads, open(sys.argv[1])) if "throughput" in j][1:]
print(f"{sum(v)/len(v):.0f}")' "$1/trainer_log.jsonl"; }

less=(configs/select_less.toml --set data.cutoff_len=128 --set training.max_steps=2 --set training.save_steps=0
      --set training.eval_steps=0 --set dataflex.warmup_step=1 --set dataflex.update_step=100 --set dataflex.candidates=$POOL
      --set training.per_device_train_batch_size=4)
echo "== gradient features: one LESS decision over $POOL candidates"
start=$(date +%s.%N)
"$RUN" "${less[@]}" --set training.num_threads=2 --set training.output_dir=\"$work/g1\" >"$work/g1.log" 2>&1
t1=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
start=$(date +%s.%N)
"$RUN" --nproc-per-node 2 "${less[@]}" --set training.num_threads=1 --set training.per_device_train_batch_size=2 \
  --set training.output_dir=\"$work/g2\" >"$work/g2.log" 2>&1
t2=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
echo "1 rank  x 2 threads: whole run ${t1} s; $(decision_line "$work/g1.log")"
echo "2 ranks x 1 thread : whole run ${t2} s; $(decision_line "$work/g2.log")"
python3 - "$work/g1/decisions.jsonl" "$work/g2/decisions.jsonl" <<'PY'
import json, sys
a, b = (json.loads(open(p).readline()) for p in sys.argv[1:])
print("same selection on 1 and 2 ranks:", a.get("selected") == b.get("selected") if "selected" in a else "n/a (ids not logged)")
for k in ("seconds", "elapsed_s", "decision_s"):
    if k in a: print(f"decision {k}: 1 rank {a[k]:.2f}, 2 ranks {b[k]:.2f}")
PY

echo "== training: static trainer, $STEPS steps, global batch 8"
train=(configs/quickstart.toml --set training.max_steps=$STEPS --set training.save_steps=0 --set training.eval_steps=0
       --set training.logging_steps=5)
"$RUN" "${train[@]}" --set training.num_threads=2 --set training.per_device_train_batch_size=8 --set training.output_dir=\"$work/t1\" >"$work/t1.log" 2>&1
"$RUN" --nproc-per-node 2 "${train[@]}" --set training.num_threads=1 --set training.per_device_train_batch_size=4 \
  --set training.output_dir=\"$work/t2\" >"$work/t2.log" 2>&1
echo "1 rank  x 2 threads: $(tps "$work/t1") tokens/s"
echo "2 ranks x 1 thread : $(tps "$work/t2") tokens/s; $(grep -o "rank 0 spent .*" "$work/t2.log")"
