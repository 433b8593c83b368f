#!/usr/bin/env bash
# dataflex.plugin_isolation = "process": the plugin runs in a worker process, so the trainer survives
# its crash, abort, exit(0), hang and buffer overrun.
#   - on_plugin_failure = "stop": one line naming the plugin, "(isolated)", what happened, the call and
#     the step, and the checkpoint to resume from; exit 3 (as in-process); the checkpoint is intact.
#   - on_plugin_failure = "keep_last_decision": the run finishes (exit 0, final outputs written) and
#     decisions.jsonl has a plugin_failure line for every failed decision, saying what was kept.
#   - a working plugin decides exactly as in-process: same decisions, same logged losses (select_loss
#     asks the host for losses over the channel; mix_odm's state crosses it at every checkpoint).
#   - in-process, keep_last_decision also covers a plugin's error status.
#   plugin_faults_isolated.sh DATAFLEX_RUN SOURCE_DIR TEST_PLUGIN_DIR
RUN=$1 SRC=$2 TP=$3
. "$(dirname "$0")/lib.sh"
common=(--set data.max_samples=16 --set data.cutoff_len=32 --set data.val_size=0 --set training.max_steps=8
        --set training.per_device_train_batch_size=2 --set training.save_steps=2 --set training.logging_steps=2
        --set dataflex.warmup_step=4 --set dataflex.update_step=2 --set training.num_threads=1
        --set dataflex.plugin_timeout_s=1 --set 'dataflex.params={}' --set dataflex.plugin_isolation=process)
declare -A says=([segfault]="crashed with SIGSEGV" [abort]="crashed with SIGABRT" [exit]="ended its process with exit status 0"
                 [hang]="did not return within 1 s" [overrun]="crashed with SIGSEGV")
misbehave() {  # misbehave OUT KIND CONFIG BEHAVIOUR [more --set ...]
  local out=$1 kind=$2 cfg=$3 b=$4
  shift 4
  "$RUN" --plugin-dir "$TP/$kind" "$cfg" "${common[@]}" --set dataflex.component_name=misbehaving \
    --set dataflex.params.behaviour=\""$b"\" --set training.output_dir=\""$out"\" "$@" >"$out.out" 2>"$out.err"
}
stop_case() {  # stop_case KIND CONFIG CALL BEHAVIOUR
  local kind=$1 cfg=$2 call=$3 b=$4 out="$work/stop_$1_$4"
  misbehave "$out" "$kind" "$cfg" "$b"
  local rc=$? last
  last=$(tail -1 "$out.err")
  if [ $rc -eq 3 ] && [ "$(grep -c . "$out.err")" -ge 1 ] &&
     echo "$last" | grep -q "plugin 'misbehaving' 0.1.0 (isolated) ${says[$b]}.* in $call at step 4; the run can resume from $out/checkpoint-4" &&
     [ -f "$out/checkpoint-4/model.safetensors" ]; then
    echo "ok   stop $kind $b: exit 3: $last"
  else
    fail "stop $kind $b (exit $rc): $last"
  fi
}
keep_case() {  # keep_case KIND CONFIG BEHAVIOUR MIN_FAILURES
  local kind=$1 cfg=$2 b=$3 want=$4 out="$work/keep_$1_$3"
  misbehave "$out" "$kind" "$cfg" "$b" --set dataflex.on_plugin_failure=keep_last_decision
  local rc=$? n
  n=$(grep -c '"kind":"plugin_failure"' "$out/decisions.jsonl" 2>/dev/null)
  if [ $rc -eq 0 ] && [ -f "$out/all_results.json" ] && [ -f "$out/model.safetensors" ] && [ "${n:-0}" -ge "$want" ] &&
     grep -q "${says[$b]}" "$out/decisions.jsonl"; then
    echo "ok   keep_last_decision $kind $b: finished, $n failed decision(s) logged: $(grep -o '"action":"[^"]*"' "$out/decisions.jsonl" | sort -u | tr '\n' ' ')"
  else
    fail "keep_last_decision $kind $b (exit $rc, ${n:-0} failure lines): $(tail -1 "$out.err")"
  fi
}
for b in segfault abort exit hang overrun; do
  stop_case selector configs/select_random.toml select "$b"
  keep_case selector configs/select_random.toml "$b" 2  # decisions at steps 4 and 6
done
stop_case weighter configs/weight_uniform.toml weight segfault
keep_case weighter configs/weight_uniform.toml segfault 4  # every step from 4 weighs its batch
keep_case weighter configs/weight_uniform.toml overrun 4
stop_case mixer configs/mix_odm.toml mix overrun
keep_case mixer configs/mix_odm.toml exit 2

# In-process, a plugin's error status is survivable too.
out="$work/inprocess_error"
"$RUN" --plugin-dir "$TP/selector" configs/select_random.toml "${common[@]}" --set dataflex.plugin_isolation=none \
  --set dataflex.component_name=misbehaving --set dataflex.params.behaviour=\"error_status\" \
  --set dataflex.on_plugin_failure=keep_last_decision --set training.output_dir=\""$out"\" >"$out.out" 2>"$out.err"
if [ $? -eq 0 ] && grep -q '"kind":"plugin_failure".*failed in select at step 4 with DFX_ERR_INVALID_ARGUMENT' "$out/decisions.jsonl"; then
  echo "ok   in-process error status kept the last decision"
else
  fail "in-process error status: $(tail -1 "$out.err")"
fi

# A working plugin decides the same isolated as in-process.
strip() { python3 -c "
import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l)
    for k in ('elapsed_time','remaining_time','tokens_per_second','throughput','train_runtime','peak_memory_mb','activation_memory_mb',
              'train_steps_per_second','train_samples_per_second'): d.pop(k,None)
    print(json.dumps(d,sort_keys=True))" "$1"; }
for cfg in select_loss mix_odm; do
  for iso in none process; do
    "$RUN" "configs/$cfg.toml" --set data.max_samples=24 --set data.cutoff_len=32 --set data.val_size=4 \
      --set training.max_steps=12 --set training.per_device_train_batch_size=2 --set training.save_steps=4 \
      --set training.eval_steps=6 --set training.logging_steps=2 --set dataflex.warmup_step=2 \
      --set dataflex.update_step=3 --set training.num_threads=1 --set dataflex.plugin_isolation=$iso \
      --set training.output_dir=\""$work/same_${cfg}_$iso"\" >"$work/same_${cfg}_$iso.log" 2>&1 || fail "$cfg $iso run"
  done
  if diff <(strip "$work/same_${cfg}_none/trainer_log.jsonl") <(strip "$work/same_${cfg}_process/trainer_log.jsonl") >/dev/null &&
     diff "$work/same_${cfg}_none/decisions.jsonl" "$work/same_${cfg}_process/decisions.jsonl" >/dev/null; then
    echo "ok   $cfg: isolated = in-process ($(grep -c . "$work/same_${cfg}_process/decisions.jsonl") decisions, $(grep -c . "$work/same_${cfg}_process/trainer_log.jsonl") log lines identical)"
  else
    fail "$cfg: isolated differs from in-process"
  fi
done
echo "isolated plugin faults: $failures failure(s)"
[ $failures -eq 0 ]
