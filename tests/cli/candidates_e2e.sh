#!/usr/bin/env bash
# dataflex.candidates end to end (40 candidates per decision): every decision of the loss selector and of LESS scores a fresh seeded
# subset of the pool (its size in decisions.jsonl), selects pool ids (not candidate positions) of the
# whole pool, and two runs decide identically.
#   candidates_e2e.sh DATAFLEX_RUN SOURCE_DIR
set -u
RUN=$1 SRC=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$SRC"
failures=0
for cfg in select_loss select_less; do
  extra=()
  [ "$cfg" = select_less ] && extra=(--set dataflex.params.proj_dim=64)
  for r in a b; do
    "$RUN" "configs/$cfg.toml" --set data.max_samples=40 --set data.cutoff_len=32 --set data.val_size=4 \
      --set training.max_steps=9 --set training.per_device_train_batch_size=2 --set training.save_steps=100 \
      --set training.eval_steps=100 --set dataflex.warmup_step=2 --set dataflex.update_step=3 \
      --set training.num_threads=1 --set dataflex.candidates=40 --set dataflex.select_count=5 \
      "${extra[@]}" --set training.output_dir=\""$work/$cfg-$r"\" >"$work/$cfg-$r.log" 2>&1 ||
      { echo "FAIL $cfg run $r: $(tail -1 "$work/$cfg-$r.log")"; failures=$((failures + 1)); continue 2; }
  done
  pool=$(grep -o '[0-9]* train samples' "$work/$cfg-a.log" | head -1 | cut -d' ' -f1)
  if python3 - "$work/$cfg-a/decisions.jsonl" "$work/$cfg-b/decisions.jsonl" "$pool" <<'PY'
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
  then echo "ok   $cfg: 3 decisions over fresh candidates, pool ids, identical across runs"
  else echo "FAIL $cfg"; failures=$((failures + 1)); fi
done
[ $failures -eq 0 ]
