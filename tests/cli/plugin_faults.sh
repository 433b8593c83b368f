#!/usr/bin/env bash
# A plugin that crashes (SIGSEGV), aborts, calls exit(0), hangs or writes past its output buffer ends the
# run with one line naming the plugin, its version, the call and the step, and where the run can resume
# from; the exit status is 3, not 0; and the checkpoint it names is intact: a rerun with a working
# plugin resumes from it and finishes. (Before issue 12 a segfault said nothing, exit(0) ended the run "successfully" without
# results, and a hang stalled the run forever.)
#   plugin_faults.sh DATAFLEX_RUN SOURCE_DIR TEST_PLUGIN_DIR
RUN=$1 SRC=$2 TP=$3
. "$(dirname "$0")/lib.sh"
common=(--set data.max_samples=16 --set data.cutoff_len=32 --set data.val_size=0 --set training.max_steps=8
        --set training.per_device_train_batch_size=2 --set training.save_steps=2 --set training.logging_steps=2
        --set dataflex.warmup_step=4 --set dataflex.update_step=10 --set training.num_threads=1
        --set dataflex.plugin_timeout_s=2 --set 'dataflex.params={}')
declare -A says=([segfault]="crashed with SIGSEGV" [abort]="aborted (SIGABRT)" [exit]="called exit()"
                 [hang]="did not return within 2 s (dataflex.plugin_timeout_s)" [overrun]="crashed with SIGSEGV")
run_case() {  # run_case NAME KIND CONFIG CALL BEHAVIOUR
  local name=$1 kind=$2 cfg=$3 call=$4 b=$5 out="$work/$1"
  "$RUN" --plugin-dir "$TP/$kind" "$cfg" "${common[@]}" --set dataflex.component_name=misbehaving \
    --set dataflex.params.behaviour=\""$b"\" --set training.output_dir=\""$out"\" >"$out.out" 2>"$out.err"
  local rc=$? last
  last=$(tail -1 "$out.err")
  local want="plugin 'misbehaving' 0.1.0 ${says[$b]}.* in $call at step 4; the run can resume from $out/checkpoint-4"
  if [ $rc -eq 3 ] && echo "$last" | grep -Eq -- "$(printf '%s' "$want" | sed 's/[()]/\\&/g')"; then
    echo "ok   $name: exit 3: $last"
  else
    echo "FAIL $name (exit $rc): $last"; failures=$((failures + 1)); return
  fi
  # The checkpoint it names is intact: the same run with a working plugin resumes from it and finishes.
  if "$RUN" --plugin-dir "$TP/$kind" "$cfg" "${common[@]}" --set dataflex.component_name=misbehaving \
       --set training.output_dir=\""$out"\" >"$out.rerun" 2>&1 && grep -q "resumed at step 4" "$out.rerun" &&
     [ -f "$out/all_results.json" ]; then
    echo "ok   $name: rerun resumed from checkpoint-4 and finished"
  else
    echo "FAIL $name: rerun"; tail -2 "$out.rerun"; failures=$((failures + 1))
  fi
}
# overrun: one id written past the selection buffer, which ends at an inaccessible page.
for b in segfault abort exit hang overrun; do run_case "selector_$b" selector configs/select_random.toml select "$b"; done
# A weighter's call runs inside a training step, while the trainer holds the model.
run_case weighter_segfault weighter configs/weight_uniform.toml weight segfault
run_case weighter_overrun weighter configs/weight_uniform.toml weight overrun
run_case mixer_overrun mixer configs/mix_odm.toml mix overrun
echo "plugin faults: $failures failure(s)"
[ $failures -eq 0 ]
