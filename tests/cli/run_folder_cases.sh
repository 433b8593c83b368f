#!/usr/bin/env bash
# What a rerun, a crash and a second run do to an output folder (issue 12's run-losing defects):
#   - shipped configs resume by default; --overwrite starts over;
#   - a run stopped after its last checkpoint but before its final outputs completes them on rerun;
#   - a second run on a folder in use stops at once, naming the first; the first is unharmed;
#   - a manifest without `abi` in the search path is listed as broken, and runs of other plugins work;
#   - `--plugin-dir DIR CONFIG` reads CONFIG as the config; no config is one line.
#   run_folder_cases.sh DATAFLEX_RUN SOURCE_DIR
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
small=(--set data.max_samples=16 --set data.cutoff_len=32 --set data.val_size=2 --set training.max_steps=6
       --set training.per_device_train_batch_size=2 --set training.logging_steps=2 --set training.save_steps=3
       --set training.eval_steps=0 --set training.num_threads=1)

# --- Shipped configs resume by default -----------------------------------------------------------------
if grep -l "overwrite_output_dir *= *true" configs/*.toml; then fail "a shipped config sets overwrite_output_dir = true"; fi
"$RUN" configs/quickstart.toml "${small[@]}" --set training.output_dir=\"$work/r\" >"$work/r1.log" 2>&1 || fail "first run"
"$RUN" configs/quickstart.toml "${small[@]}" --set training.output_dir=\"$work/r\" >"$work/r2.log" 2>&1 || fail "rerun"
grep -q "resumed at step 6" "$work/r2.log" && echo "ok   a rerun of a shipped config resumes (finished run: nothing retrained)" ||
  { fail "a rerun did not resume"; tail -2 "$work/r2.log"; }
"$RUN" configs/quickstart.toml "${small[@]}" --overwrite --set training.output_dir=\"$work/r\" >"$work/r3.log" 2>&1 || fail "--overwrite run"
if grep -q "^trained:   6 steps in" "$work/r3.log" && ! grep -q "resumed" "$work/r3.log"; then
  echo "ok   --overwrite starts over"
else
  fail "--overwrite did not start over"; tail -2 "$work/r3.log"
fi

# --- A run stopped after its last checkpoint completes its outputs on rerun --------------------------
# The state a SIGKILL between checkpoint-6 (the last) and the end leaves: no final model, no results;
# once without and once with the final evaluation's log line already written.
cp -r "$work/r" "$work/whole"
for variant in before_final_eval after_final_eval; do
  rm -rf "$work/cut" && cp -r "$work/whole" "$work/cut"
  rm -f "$work/cut"/{model.safetensors,config.json,tokenizer.json,tokenizer_config.json,all_results.json,train_results.json,eval_results.json,trainer_state.json}
  if [ $variant = before_final_eval ]; then
    python3 - "$work/cut/trainer_log.jsonl" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if not ("eval_loss" in json.loads(l) and json.loads(l)["current_steps"] == 6)]
open(sys.argv[1], "w").writelines(lines)
PY
  fi
  "$RUN" configs/quickstart.toml "${small[@]}" --set training.output_dir=\"$work/cut\" >"$work/cut.log" 2>&1 || { fail "$variant: rerun"; tail -2 "$work/cut.log"; continue; }
  if python3 - "$work/whole" "$work/cut" <<'PY'
import filecmp, json, os, sys
whole, cut = sys.argv[1], sys.argv[2]
for f in ["model.safetensors", "config.json", "tokenizer.json", "all_results.json", "train_results.json", "eval_results.json", "trainer_state.json"]:
    assert os.path.exists(os.path.join(cut, f)), f + " missing"
assert filecmp.cmp(os.path.join(whole, "model.safetensors"), os.path.join(cut, "model.safetensors"), shallow=False), "model differs"
a, b = json.load(open(os.path.join(whole, "all_results.json"))), json.load(open(os.path.join(cut, "all_results.json")))
for k in ["train_loss", "eval_loss", "epoch"]:
    assert a[k] == b[k], (k, a[k], b[k])
strip = lambda p: [{k: v for k, v in json.loads(l).items() if k not in ("elapsed_time", "remaining_time", "throughput", "peak_memory_mb", "activation_memory_mb")} for l in open(p)]
assert strip(os.path.join(whole, "trainer_log.jsonl")) == strip(os.path.join(cut, "trainer_log.jsonl")), "trainer_log differs"
PY
  then echo "ok   stopped after the last checkpoint ($variant): the rerun completed the model, the results and one final eval line, equal to the uninterrupted run's"
  else fail "$variant: outputs not completed as the uninterrupted run's"; fi
done

# --- One run per folder --------------------------------------------------------------------------------
long=("${small[@]}" --set training.max_steps=40 --set training.save_steps=0)
"$RUN" configs/quickstart.toml "${long[@]}" --set training.output_dir=\"$work/busy\" >"$work/a.log" 2>&1 &
pid=$!
for _ in $(seq 1 1000); do grep -q "process $pid" "$work/busy/.dataflex.lock" 2>/dev/null && break; sleep 0.01; done
"$RUN" configs/quickstart.toml "${long[@]}" --set training.output_dir=\"$work/busy\" >"$work/b.out" 2>"$work/b.err"
rc=$?
wait $pid
rc_a=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$work/b.err")" -eq 1 ] && grep -q "is in use by another run (process $pid" "$work/b.err"; then
  echo "ok   second run on a busy folder: $(cat "$work/b.err")"
else
  fail "second run (exit $rc):"; cat "$work/b.err"
fi
if [ $rc_a -eq 0 ] && [ -f "$work/busy/all_results.json" ] && [ "$(grep -c '"loss"' "$work/busy/trainer_log.jsonl")" -eq 20 ]; then
  echo "ok   the first run finished unharmed (20 log lines, its results written)"
else
  fail "the first run was harmed (exit $rc_a)"; tail -3 "$work/a.log"
fi

# --- Broken manifests never take discovery down -------------------------------------------------------
mkdir -p "$work/plugins/noabi"
printf 'manifest_version = 1\n[plugin]\nname = "noabi"\nkind = "selector"\nversion = "1.0.0"\nlibrary = "x.so"\n' \
  >"$work/plugins/noabi/plugin.toml"
"$RUN" --plugin-dir "$work/plugins" plugins list >"$work/list.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "noabi.*missing required field 'plugin.abi'" "$work/list.out"; then
  echo "ok   a manifest without abi is listed as broken (it crashed discovery before)"
else
  fail "plugins list with a manifest without abi (exit $rc)"; cat "$work/list.out"
fi
"$RUN" --plugin-dir "$work/plugins" --dry-run configs/select_random.toml >"$work/dry.out" 2>&1 &&
  echo "ok   a run of another plugin still starts beside it" || { fail "dry-run beside a manifest without abi"; cat "$work/dry.out"; }

# --- The command line ----------------------------------------------------------------------------------
"$RUN" --plugin-dir "$work/plugins" configs/select_random.toml --dry-run >"$work/pd.out" 2>&1 &&
  grep -q "^validated:" "$work/pd.out" && echo "ok   --plugin-dir DIR CONFIG reads CONFIG as the config" ||
  { fail "--plugin-dir DIR CONFIG"; head -3 "$work/pd.out"; }
"$RUN" --plugin-dir "$work/plugins" >"$work/none.out" 2>"$work/none.err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$work/none.err")" -eq 1 ] && grep -q "no run config given" "$work/none.err" &&
  echo "ok   no config: $(cat "$work/none.err")" || { fail "no config (exit $rc)"; cat "$work/none.err"; }

echo "run folder cases: $failures failure(s)"
[ $failures -eq 0 ]
