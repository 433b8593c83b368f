#!/usr/bin/env bash
# A run killed (SIGKILL) after a checkpoint taken between two decisions, then resumed, takes the same
# later decisions and logs the same losses as an uninterrupted run: the sampler position, the current
# selection / proportions and the plugin's own state (ODM's rewards, Delta Loss's stored losses) are
# all in the checkpoint. With extra --set arguments such as dataflex.decision_staleness=4, the
# checkpoints fall while a decision computed beside training is in flight (decided at 3, applied at 7;
# checkpoint 6): the resumed run applies the decision the checkpoint holds at the same step.
#   resume_decisions.sh DATAFLEX_RUN SOURCE_DIR CONFIG [--set KEY=VALUE]...
RUN=$1 SRC=$2 CFG=$3
shift 3
. "$(dirname "$0")/lib.sh"
fail() { echo "FAIL $*"; exit 1; }
# Decisions at steps 3, 9, 15, 21; checkpoints every 6 steps (6, 12, 18, 24): each one between two decisions.
common=(--set data.max_samples=24 --set data.cutoff_len=64 --set data.val_size=2 --set training.max_steps=24
        --set training.per_device_train_batch_size=4 --set training.logging_steps=1 --set training.save_steps=6
        --set training.eval_steps=0 --set training.num_threads=1 --set dataflex.warmup_step=3 --set dataflex.update_step=6
        --set dataflex.update_times=-1 --set training.overwrite_output_dir=false "$@")
losses() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if "loss" in j: print(j["current_steps"], j["loss"], j["grad_norm"])' "$1"; }

"$RUN" "$CFG" "${common[@]}" --set training.output_dir=\"$work/a\" >"$work/a.log" 2>&1 || { tail -3 "$work/a.log"; fail "run a"; }
"$RUN" "$CFG" "${common[@]}" --set training.output_dir=\"$work/b\" >"$work/b1.log" 2>&1 &
pid=$!
# Waits for the checkpoint as long as the run lives (a sanitizer build is many times slower).
while kill -0 $pid 2>/dev/null; do
  [ -d "$work/b/checkpoint-6" ] && break
  sleep 0.02
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[ -d "$work/b/checkpoint-6" ] || fail "no checkpoint-6 appeared"
[ -f "$work/b/all_results.json" ] && fail "the run finished before it could be killed"
at=$(ls -d "$work"/b/checkpoint-* | sed 's/.*checkpoint-//' | sort -n | tail -1)
"$RUN" "$CFG" "${common[@]}" --set training.output_dir=\"$work/b\" >"$work/b2.log" 2>&1 || { tail -3 "$work/b2.log"; fail "resumed run"; }
grep -q "resumed at step $at" "$work/b2.log" || fail "did not resume at step $at"
cmp -s "$work/a/decisions.jsonl" "$work/b/decisions.jsonl" || { diff <(cut -c1-200 "$work/a/decisions.jsonl") <(cut -c1-200 "$work/b/decisions.jsonl"); fail "decisions differ after resume"; }
cmp -s <(losses "$work/a/trainer_log.jsonl") <(losses "$work/b/trainer_log.jsonl") || fail "losses differ after resume"
cmp -s <(grep decision_step "$work/a/trainer_log.jsonl") <(grep decision_step "$work/b/trainer_log.jsonl") || fail "plugin metrics differ after resume"
if [ $# -gt 0 ]; then
  grep -q '"snapshot_step"' "$work/a/decisions.jsonl" || fail "no decision was applied after its snapshot step"
  grep -q "computed before the checkpoint this run resumed from" "$work/b2.log" || fail "the resumed run did not apply the decision its checkpoint holds"
fi
echo "ok   $(basename "$CFG") $*: killed after checkpoint-$at, resumed: $(wc -l <"$work/a/decisions.jsonl") decisions, all losses and plugin metrics equal the uninterrupted run's"
