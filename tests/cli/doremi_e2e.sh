#!/usr/bin/env bash
# DoReMi end to end on the shipped five-domain data (tiny: 40 samples of 64 tokens, 6 steps a stage).
# 1. The excess losses the host hands the mixer: with the run's own initial model as the reference
#    (builtin:tiny, same seed), the first steps' excess is exactly 0 (same weights: the learning rate
#    warms up from 0), and positive once the weights move.
# 2. `dataflex-run doremi` runs reference, proxy and final side by side; doremi_weights.toml is the
#    mean of the proxy's decisions and is what the final run trains on; a rerun resumes every stage
#    instead of training again.
#   doremi_e2e.sh DATAFLEX_RUN SOURCE_DIR
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
small=(--set data.max_samples=40 --set data.cutoff_len=64 --set data.val_size=4 --set training.max_steps=6
  --set training.per_device_train_batch_size=2 --set training.save_steps=3 --set training.eval_steps=100
  --set training.num_threads=1 --set training.warmup_steps=2)

"$RUN" configs/mix_doremi.toml "${small[@]}" --set dataflex.reference_model=\"builtin:tiny\" \
  --set dataflex.warmup_step=1 --set dataflex.update_step=1 --set training.output_dir=\""$work/same"\" \
  >"$work/same.log" 2>&1 || fail "proxy run against its own initial model: $(tail -1 "$work/same.log")"
python3 - "$work/same/decisions.jsonl" <<'PY' || fail "excess losses against the initial model"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"mixture"' in l]
excess = [[v for v in l["observed_excess_losses"].values() if v is not None] for l in lines]
assert all(v == 0.0 for v in excess[0]), excess[0]          # step 1: the weights are the reference's
assert any(v > 0 for e in excess[2:] for v in e), excess     # later: the model moved
assert all(v >= 0 for e in excess for v in e), excess        # clipped per token, so never negative
print("ok   excess losses: 0 while the weights equal the reference's, then", excess[-1])
PY

"$RUN" doremi configs/mix_doremi.toml "${small[@]}" --set training.output_dir=\""$work/doremi"\" \
  --set dataflex.warmup_step=2 --set dataflex.update_step=2 >"$work/doremi.log" 2>&1 ||
  fail "dataflex-run doremi: $(tail -1 "$work/doremi.log")"
for stage in reference proxy final; do
  grep -q "^trained:   6 steps" <(grep -A100 "== DoReMi $stage" "$work/doremi.log") || fail "stage $stage did not train 6 steps"
done
python3 - "$work/doremi" <<'PY' || fail "the averaged weights and the final run's mixture"
import json, sys, tomllib
out = sys.argv[1]
weights = tomllib.load(open(f"{out}/proxy/doremi_weights.toml", "rb"))
decisions = [json.loads(l) for l in open(f"{out}/proxy/decisions.jsonl") if '"mixture"' in l]
assert len(decisions) == 2, decisions
mean = {k: sum(d["proportions"][k] for d in decisions) / len(decisions) for k in decisions[0]["proportions"]}
assert all(abs(weights[k] - mean[k]) < 1e-12 for k in mean), (weights, mean)
final = [json.loads(l) for l in open(f"{out}/final/decisions.jsonl") if '"mixture"' in l]
total = sum(weights.values())
assert final and all(abs(final[0]["proportions"][k] - weights[k] / total) < 1e-9 for k in weights), final
ref = open(f"{out}/stages/reference.toml").read()
assert "component_name = 'static'" in ref and "proportions = [ 1.0, 1.0, 1.0, 1.0, 1.0 ]" in ref, ref
print("ok   doremi_weights.toml is the mean of the proxy's decisions and the final run's mixture:", weights)
PY
"$RUN" doremi configs/mix_doremi.toml "${small[@]}" --set training.output_dir=\""$work/doremi"\" \
  --set dataflex.warmup_step=2 --set dataflex.update_step=2 >"$work/again.log" 2>&1 || fail "rerun: $(tail -1 "$work/again.log")"
[ "$(grep -c 'resumed at step 6' "$work/again.log")" = 3 ] || fail "a rerun did not resume all three finished stages"
[ "$failures" = 0 ] && echo "DoReMi: excess losses, three stages, averaged weights, resumable"
exit "$failures"
