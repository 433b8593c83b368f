#!/usr/bin/env bash
# dataflex.candidates end to end (40 candidates per decision): every decision of the loss selector, of
# LESS (plain, and with the learning-rate-weighted history, 1-bit features kept for 2 decisions) and of
# ClusterLESS, of NICE (in process, and in an isolated worker: generate, reward and response
# gradients cross the process boundary), of NEAR and of TSDS scores a fresh seeded subset of the pool (its size in decisions.jsonl), selects pool ids
# (not candidate positions) of the whole pool, and two runs decide identically.
#   candidates_e2e.sh DATAFLEX_RUN SOURCE_DIR
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
variants=(select_loss select_less select_less:history select_nice select_nice:isolated select_near select_tsds select_cluster_less)
[ -f "$(dirname "$RUN")/../lib/dataflex/plugins/cluster_less/plugin.toml" ] ||
  { echo "note: cluster_less is not built (no libfaiss-dev): its case is skipped"; unset 'variants[7]'; }
nice=(--set dataflex.params.proj_dim=64 --set dataflex.params.mc_samples=2 --set dataflex.params.max_new_tokens=4
  --set dataflex.params.max_targets=2)
for variant in "${variants[@]}"; do
  cfg=${variant%%:*}
  extra=()
  case $variant in
    select_less) extra=(--set dataflex.params.proj_dim=64) ;;
    select_less:history)
      extra=(--set dataflex.params.proj_dim=64 --set dataflex.params.history=\"lr_weighted\"
        --set dataflex.params.max_feature_age=2 --set dataflex.params.feature_dtype=\"1bit\") ;;
    select_cluster_less) extra=(--set dataflex.params.proj_dim=64 --set dataflex.params.cluster_size=8) ;;
    select_nice) extra=("${nice[@]}") ;;
    select_nice:isolated) extra=("${nice[@]}" --set dataflex.plugin_isolation=\"process\") ;;
  esac
  for r in a b; do
    "$RUN" "configs/$cfg.toml" --set data.max_samples=40 --set data.cutoff_len=32 --set data.val_size=4 \
      --set training.max_steps=9 --set training.per_device_train_batch_size=2 --set training.save_steps=100 \
      --set training.eval_steps=100 --set dataflex.warmup_step=2 --set dataflex.update_step=3 \
      --set training.num_threads=1 --set dataflex.candidates=40 --set dataflex.select_count=5 \
      "${extra[@]}" --set training.output_dir=\""$work/$variant-$r"\" >"$work/$variant-$r.log" 2>&1 ||
      { echo "FAIL $variant run $r: $(tail -1 "$work/$variant-$r.log")"; failures=$((failures + 1)); continue 2; }
  done
  pool=$(grep -o '[0-9]* train samples' "$work/$variant-a.log" | head -1 | cut -d' ' -f1)
  if python3 - "$work/$variant-a/decisions.jsonl" "$work/$variant-b/decisions.jsonl" "$pool" <<'PY'
import json, math, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
pool = int(sys.argv[3])
want = min(40, pool)
assert a == b, "two runs decided differently"
assert len(a) == 3, f"{len(a)} decisions"
seen = set()
for d in a:
    assert d["candidates"] == want, (d.get("candidates"), want)
    assert d["count"] == 5 and len(set(d["ids"])) == 5, d
    assert all(0 <= i < pool for i in d["ids"]), d["ids"]
    seen.update(d["ids"])
assert max(seen) >= want, "ids look like candidate positions, not pool ids"
print(f"pool {pool}, {want} candidates per decision")
PY
  then echo "ok   $variant: 3 decisions over fresh candidates, pool ids, identical across runs"
  else echo "FAIL $variant"; failures=$((failures + 1)); fi
done
[ $failures -eq 0 ]
