#!/usr/bin/env bash
# LESS's offline workflow with our tools: a warm-up run writes checkpoints; `dataflex-run features`
# extracts the pool's Adam-form features and the eval set's plain features at two of them (.npy, with
# the shapes, finiteness and difference between checkpoints checked, and embeddings too); a static
# LESS run then selects once from those files (pool_features / target_features, weighted per
# checkpoint) without computing a gradient. Bad requests are refused with one line.
#   features_offline_less.sh DATAFLEX_RUN SOURCE_DIR
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
data=(--set data.max_samples=3 --set data.cutoff_len=128 --set data.val_size=1 --set training.num_threads=1
      --set dataflex.params.proj_dim=64)
"$RUN" configs/select_less.toml "${data[@]}" --set training.max_steps=4 --set training.save_steps=2 \
  --set training.per_device_train_batch_size=2 --set training.eval_steps=0 --set dataflex.warmup_step=1 \
  --set dataflex.update_step=2 --set training.output_dir=\""$work/warmup"\" >"$work/warmup.log" 2>&1 ||
  { fail "warm-up run: $(tail -1 "$work/warmup.log")"; exit 1; }
pool=$(grep -o '[0-9]* train samples' "$work/warmup.log" | head -1 | cut -d' ' -f1)
evals=$(grep -o '[0-9]* eval,' "$work/warmup.log" | head -1 | cut -d' ' -f1)

for step in 2 4; do
  ck="$work/warmup/checkpoint-$step"
  "$RUN" features configs/select_less.toml "${data[@]}" --checkpoint "$ck" --preconditioner adam --proj-dim 64 \
    --out "$work/pool$step.npy" >"$work/f$step.log" 2>&1 || fail "features pool at $step: $(tail -1 "$work/f$step.log")"
  "$RUN" features configs/select_less.toml "${data[@]}" --checkpoint "$ck" --split eval --proj-dim 64 \
    --out "$work/t$step.npy" >"$work/t$step.log" 2>&1 || fail "features eval at $step: $(tail -1 "$work/t$step.log")"
done
"$RUN" features configs/select_less.toml "${data[@]}" --kind embeddings --out "$work/emb.safetensors" \
  >"$work/emb.log" 2>&1 || fail "embeddings: $(tail -1 "$work/emb.log")"
grep -q "wrote gradient features $pool x" "$work/f2.log" || fail "features line: $(cat "$work/f2.log")"
python3 - "$work" "$pool" "$SRC/tests" "$evals" <<'PY' || fail "feature files"
import json, math, struct, sys
work, pool, evals = sys.argv[1], int(sys.argv[2]), int(sys.argv[4])
sys.path.insert(0, sys.argv[3])
import npy_tools
p2, p4, t2 = (npy_tools.load(f"{work}/{n}.npy") for n in ("pool2", "pool4", "t2"))
cols = len(p2[0])
assert len(p2) == pool and len(p4) == pool and len(p4[0]) == cols, (len(p2), pool)
assert len(t2) == evals and len(t2[0]) == cols, (len(t2), evals)
assert all(math.isfinite(v) for r in p2 + t2 for v in r)
assert all(any(v != 0 for v in r) for r in p2), "a zero feature row"
assert max(abs(a - b) for ra, rb in zip(p2, p4) for a, b in zip(ra, rb)) > 1e-6, "the checkpoints agree"
raw = open(f"{work}/emb.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
shape = json.loads(raw[8:8 + n])["features"]["shape"]
flat = struct.unpack("<%df" % (shape[0] * shape[1]), raw[8 + n:])
norms = [math.sqrt(sum(v * v for v in flat[r * shape[1]:(r + 1) * shape[1]])) for r in range(shape[0])]
assert shape[0] == pool and all(abs(x - 1) < 1e-4 for x in norms), (shape, norms[:3])
print(f"pool {pool}: features {pool} x {cols}, targets {evals} x {cols}, embeddings {shape}")
PY

# The static LESS run reads the files: one decision at step 0, no gradient computed by the host.
"$RUN" configs/select_less.toml "${data[@]}" --set dataflex.train_type=\"static\" --set dataflex.select_count=6 \
  --set training.max_steps=3 --set training.per_device_train_batch_size=2 --set training.eval_steps=0 \
  --set training.save_steps=0 --set dataflex.params.pool_features=\""$work/pool2.npy,$work/pool4.npy"\" \
  --set dataflex.params.target_features=\""$work/t2.npy,$work/t4.npy"\" \
  --set "dataflex.params.checkpoint_weights=[1.0, 0.5]" --set training.output_dir=\""$work/offline"\" \
  >"$work/offline.log" 2>&1 || fail "offline LESS run: $(tail -1 "$work/offline.log")"
python3 - "$work/offline/decisions.jsonl" <<'PY' || fail "offline decision"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
sel = [l for l in lines if l.get("kind") == "selection"]
assert len(sel) == 1 and sel[0]["step"] == 0 and sel[0]["count"] == 6, lines
print("offline selection:", sel[0]["ids"])
PY

# Refusals, one line each.
"$RUN" features configs/select_less.toml "${data[@]}" --preconditioner adam --out "$work/x.npy" >"$work/e1.log" 2>&1
[ $? -eq 1 ] && grep -q "needs the optimizer's moments: give --checkpoint DIR" "$work/e1.log" || fail "adam without checkpoint: $(cat "$work/e1.log")"
"$RUN" features configs/select_less.toml "${data[@]}" --out "$work/x.csv" >"$work/e2.log" 2>&1
[ $? -eq 1 ] && grep -q "expected a file name ending in .npy or .safetensors" "$work/e2.log" || fail "bad extension: $(cat "$work/e2.log")"
[ -e "$work/x.npy" ] && fail "a refused request wrote a file"
[ $failures -eq 0 ] && echo "ok   offline LESS: features at 2 checkpoints, a static selection from them"
[ $failures -eq 0 ]
