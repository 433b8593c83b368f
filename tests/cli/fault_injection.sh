#!/usr/bin/env bash
# Fault injection: a short run is killed with SIGKILL at 20 points -- 14 at seeded random times, 3 while
# a checkpoint is being written (.checkpoint-N.tmp exists), 3 after the last checkpoint and before the
# end -- and rerun until it finishes. After each, the final outputs exist, every logged loss and grad
# norm and the final eval equal the uninterrupted run's, and so does the final model, byte for byte.
#   fault_injection.sh DATAFLEX_RUN SOURCE_DIR [KILLS]
set -u
RUN=$1 SRC=$2 KILLS=${3:-20}
work=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
cd "$SRC"
RANDOM=20261201
cfg=(configs/select_random.toml --set data.max_samples=24 --set data.cutoff_len=32 --set data.val_size=2
     --set training.max_steps=12 --set training.per_device_train_batch_size=2 --set training.logging_steps=1
     --set training.save_steps=3 --set training.eval_steps=6 --set training.num_threads=1
     --set dataflex.warmup_step=2 --set dataflex.update_step=4)
start=$(date +%s%N)
"$RUN" "${cfg[@]}" --set training.output_dir=\"$work/whole\" >"$work/whole.log" 2>&1 || { tail -3 "$work/whole.log"; exit 1; }
duration_ms=$(( ($(date +%s%N) - start) / 1000000 ))

failures=0
for i in $(seq 1 "$KILLS"); do
  out="$work/run$i"
  if [ "$i" -le 3 ]; then how="inside a checkpoint write"; elif [ "$i" -le 6 ]; then how="after the last checkpoint"
  else how="at a random time"; fi
  "$RUN" "${cfg[@]}" --set training.output_dir=\"$out\" >"$out.log1" 2>&1 &
  pid=$!
  case "$how" in
    "inside a checkpoint write")  # the (i*3)-th step's checkpoint, while its temporary folder exists
      for _ in $(seq 1 4000); do [ -d "$out/.checkpoint-$((i * 3)).tmp" ] && break; sleep 0.002; done ;;
    "after the last checkpoint")
      for _ in $(seq 1 4000); do [ -d "$out/checkpoint-12" ] && break; sleep 0.002; done ;;
    *) sleep "$(awk -v ms=$(( RANDOM % duration_ms )) 'BEGIN { printf "%.3f", ms / 1000 }')" ;;
  esac
  kill -9 $pid 2>/dev/null
  wait $pid 2>/dev/null
  state=$( [ -f "$out/all_results.json" ] && echo "finished before the kill" || echo "killed at $(ls -d "$out"/checkpoint-* "$out"/.checkpoint-*.tmp 2>/dev/null | xargs -n1 basename 2>/dev/null | tr '\n' ' ')")
  "$RUN" "${cfg[@]}" --set training.output_dir=\"$out\" >"$out.log2" 2>&1 || { echo "FAIL kill $i ($how): rerun failed"; tail -2 "$out.log2"; failures=$((failures + 1)); continue; }
  if python3 - "$work/whole" "$out" <<'PY'
import filecmp, json, os, sys
whole, out = sys.argv[1], sys.argv[2]
for f in ["model.safetensors", "all_results.json", "train_results.json", "eval_results.json", "trainer_state.json", "decisions.jsonl"]:
    assert os.path.exists(os.path.join(out, f)), f + " missing"
assert filecmp.cmp(os.path.join(whole, "model.safetensors"), os.path.join(out, "model.safetensors"), shallow=False), "final model differs"
assert filecmp.cmp(os.path.join(whole, "decisions.jsonl"), os.path.join(out, "decisions.jsonl"), shallow=False), "decisions differ"
drop = {"elapsed_time", "remaining_time", "throughput", "peak_memory_mb", "activation_memory_mb"}
strip = lambda p: [{k: v for k, v in json.loads(l).items() if k not in drop} for l in open(p)]
assert strip(os.path.join(whole, "trainer_log.jsonl")) == strip(os.path.join(out, "trainer_log.jsonl")), "logged losses differ"
a, b = json.load(open(os.path.join(whole, "all_results.json"))), json.load(open(os.path.join(out, "all_results.json")))
assert (a["train_loss"], a["eval_loss"]) == (b["train_loss"], b["eval_loss"]), "results differ"
PY
  then echo "ok   kill $i ($how; $state): the rerun's logs, decisions, results and model equal the uninterrupted run's"
  else echo "FAIL kill $i ($how; $state)"; failures=$((failures + 1)); fi
done
echo "fault injection: $KILLS kills, $failures failure(s) (uninterrupted run: $duration_ms ms)"
[ $failures -eq 0 ]
