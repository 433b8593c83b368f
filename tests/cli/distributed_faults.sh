#!/usr/bin/env bash
# What happens to a distributed run when a rank goes missing, dies or is asked to stop:
#   a rank that never joins is named once distributed.timeout_s has passed;
#   a failed decision on rank 0 stops the others with its reason;
#   a killed rank (SIGKILL, rank 1 and then rank 0) makes the other exit with an error naming it, and
#   so does a hung one (SIGSTOP), once distributed.timeout_s has passed;
#   --nproc-per-node passes SIGTERM on: every rank ends its step, rank 0 writes a checkpoint, the run
#   exits 75, and the same command resumes it to the losses of the uninterrupted run;
#   a checkpoint of 2 ranks resumes on 1 (and one of 1 on 2), with ODM and with a selector, to the
#   losses and decisions of the uninterrupted run.
RUN=$1 SRC=$2 TP=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dist_lib.sh"

# --- A rank that never comes.
start=$(date +%s)
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) "$RUN" configs/quickstart.toml "${small[@]}" \
  --set distributed.timeout_s=3 --set training.output_dir=\"$work/alone\" >"$work/alone.log" 2>&1 && fail "rank 0 alone succeeded"
took=$(($(date +%s) - start))
grep -q "rank 1 of 2 did not join within 3 s" "$work/alone.log" && [ $took -lt 60 ] &&
  echo "ok   a missing rank: rank 0 stops after ${took} s naming rank 1" || { tail -2 "$work/alone.log"; fail "missing rank not named"; }

# --- A rank killed mid-run: the other names it.
long=(configs/quickstart.toml "${small[@]}" --set training.max_steps=2000 --set training.save_steps=0
      --set training.per_device_train_batch_size=2 --set distributed.timeout_s=30)
for victim in 1 0; do
  survivor=$((1 - victim))
  ranks 2 "$(free_port)" "${long[@]}" --set training.output_dir=\"$work/kill$victim\"
  if ! wait_for_step "$work/kill$victim" 3 "${rank_pids[0]}"; then
    tail -3 "$work/rank0.log"; fail "the 2-rank run did not reach step 3"; kill -9 "${rank_pids[@]}" 2>/dev/null; continue
  fi
  kill -9 "${rank_pids[$victim]}"
  start=$(date +%s)
  # The survivor must end on its own, well within the timeout.
  for _ in $(seq 1 600); do kill -0 "${rank_pids[$survivor]}" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "${rank_pids[$survivor]}" 2>/dev/null; then
    kill -9 "${rank_pids[$survivor]}"; fail "rank $survivor still running 60 s after rank $victim was killed"; continue
  fi
  wait "${rank_pids[$survivor]}"
  rc=$?
  took=$(($(date +%s) - start))
  msg=$(grep "error:" "$work/rank$survivor.log" | head -1)
  if [ $rc -ne 0 ] && echo "$msg" | grep -q "rank $victim stopped"; then
    echo "ok   rank $victim killed: rank $survivor exits $rc after ${took} s: ${msg:0:160}"
  else
    tail -3 "$work/rank$survivor.log"; fail "rank $survivor did not name the killed rank $victim (exit $rc)"
  fi
done

# --- A rank that hangs (SIGSTOP: alive, silent): the other gives up after distributed.timeout_s and names it.
ranks 2 "$(free_port)" "${long[@]}" --set distributed.timeout_s=5 --set training.output_dir=\"$work/hang\"
if wait_for_step "$work/hang" 3 "${rank_pids[0]}"; then
  kill -STOP "${rank_pids[1]}"
  start=$(date +%s)
  for _ in $(seq 1 600); do kill -0 "${rank_pids[0]}" 2>/dev/null || break; sleep 0.1; done
  took=$(($(date +%s) - start))
  kill -9 "${rank_pids[@]}" 2>/dev/null
  msg=$(grep "error:" "$work/rank0.log" | head -1)
  echo "$msg" | grep -q "rank 1 stopped" && [ $took -lt 30 ] &&
    echo "ok   rank 1 stopped with SIGSTOP: rank 0 exits after ${took} s (timeout 5 s): ${msg:0:120}" ||
    { tail -2 "$work/rank0.log"; fail "a hung rank 1 was not named (after ${took} s)"; }
else
  fail "the run to be hung did not reach step 3"; kill -9 "${rank_pids[@]}" 2>/dev/null
fi
wait 2>/dev/null

# --- Rank 0's decision fails (the plugin answers out-of-range ids): rank 1, waiting for the decision,
# stops at once with rank 0's reason.
ranks 2 "$(free_port)" --plugin-dir "$TP/selector" configs/select_random.toml "${small[@]}" "${decide[@]}" \
  --set training.max_steps=20 --set training.per_device_train_batch_size=2 --set dataflex.component_name=misbehaving \
  --set 'dataflex.params={}' --set dataflex.params.behaviour=\"out_of_range\" --set training.output_dir=\"$work/abort\"
wait "${rank_pids[0]}"; rc0=$?
wait "${rank_pids[1]}"; rc1=$?
msg=$(grep "error:" "$work/rank1.log" | head -1)
[ $rc0 -ne 0 ] && [ $rc1 -ne 0 ] && echo "$msg" | grep -q "rank 0 stopped at step 2: .*misbehaving" &&
  echo "ok   rank 0's decision failed: rank 1 exits $rc1 with its reason: ${msg:0:150}" ||
  { tail -2 "$work/rank0.log" "$work/rank1.log"; fail "rank 1 did not report rank 0's failed decision (exits $rc0, $rc1)"; }

# --- SIGTERM to the launcher: a checkpoint, exit 75, an exact resume.
run2=(--nproc-per-node 2 configs/mix_odm.toml "${small[@]}" "${decide[@]}" --set training.max_steps=30
      --set training.save_steps=100 --set training.per_device_train_batch_size=2 --set training.overwrite_output_dir=false)
"$RUN" "${run2[@]}" --set training.output_dir=\"$work/whole\" >"$work/whole.log" 2>&1 || { tail -3 "$work/whole.log"; fail "uninterrupted 2-rank run"; }
"$RUN" "${run2[@]}" --set training.output_dir=\"$work/term\" >"$work/term1.log" 2>&1 &
pid=$!
wait_for_step "$work/term" 6 $pid || fail "the run to be stopped did not reach step 6"
kill -TERM $pid
wait $pid
rc=$?
at=$(ls -d "$work"/term/checkpoint-* 2>/dev/null | sed 's/.*checkpoint-//' | sort -n | tail -1)
if [ $rc -eq 75 ] && [ -n "$at" ] && [ "$at" -lt 30 ] && grep -q "stopped by a signal after step $at" "$work/term1.log"; then
  "$RUN" "${run2[@]}" --set training.output_dir=\"$work/term\" >"$work/term2.log" 2>&1 || { tail -3 "$work/term2.log"; fail "resume after SIGTERM"; }
  grep -q "resumed at step $at" "$work/term2.log" || fail "did not resume at step $at"
  cmp -s <(losses "$work/whole/trainer_log.jsonl") <(losses "$work/term/trainer_log.jsonl") &&
    cmp -s "$work/whole/decisions.jsonl" "$work/term/decisions.jsonl" &&
    echo "ok   SIGTERM: exit 75 with checkpoint-$at; resumed, all 30 losses and every decision equal the uninterrupted run's" ||
    fail "the run resumed after SIGTERM differs from the uninterrupted run"
else
  tail -3 "$work/term1.log"; fail "SIGTERM: exit $rc, checkpoint '${at}'"
fi

# --- A different world size on resume: 1 rank x batch 4 <-> 2 ranks x batch 2, from checkpoint-4.
for cfg in mix_odm select_random; do
  base=(configs/$cfg.toml "${small[@]}" "${decide[@]}" --set training.max_steps=12 --set training.save_steps=4)
  "$RUN" "${base[@]}" --set training.per_device_train_batch_size=4 --set training.output_dir=\"$work/$cfg-w1\" >"$work/$cfg-w1.log" 2>&1 ||
    { tail -3 "$work/$cfg-w1.log"; fail "$cfg: 1 rank"; continue; }
  "$RUN" --nproc-per-node 2 "${base[@]}" --set training.per_device_train_batch_size=2 --set training.output_dir=\"$work/$cfg-w2\" \
    >"$work/$cfg-w2.log" 2>&1 || { tail -3 "$work/$cfg-w2.log"; fail "$cfg: 2 ranks"; continue; }
  # 2 ranks resume the 1-rank checkpoint; 1 rank resumes the 2-rank one.
  "$RUN" --nproc-per-node 2 "${base[@]}" --set training.per_device_train_batch_size=2 --set training.output_dir=\"$work/$cfg-1to2\" \
    --set training.resume_from_checkpoint=\"$work/$cfg-w1/checkpoint-4\" >"$work/$cfg-1to2.log" 2>&1 || { tail -3 "$work/$cfg-1to2.log"; fail "$cfg: 1 -> 2"; }
  "$RUN" "${base[@]}" --set training.per_device_train_batch_size=4 --set training.output_dir=\"$work/$cfg-2to1\" \
    --set training.resume_from_checkpoint=\"$work/$cfg-w2/checkpoint-4\" >"$work/$cfg-2to1.log" 2>&1 || { tail -3 "$work/$cfg-2to1.log"; fail "$cfg: 2 -> 1"; }
  for pair in "w1 1to2" "w1 2to1"; do
    set -- $pair
    l=$(same_losses "$work/$cfg-$1" "$work/$cfg-$2" 5) && d=$(same_decisions "$work/$cfg-$1" "$work/$cfg-$2" 4) &&
      echo "ok   $cfg resumed at step 4 ${2/to/ -> } ranks: steps 5-12 as the uninterrupted run: $l; $d" ||
      fail "$cfg ${2}: $l $d"
  done
done
# --- Sharded optimizer state (one file per rank) resumes on 1 rank, and a 1-rank checkpoint resumes sharded.
cfg=mix_odm
base=(configs/$cfg.toml "${small[@]}" "${decide[@]}" --set training.max_steps=12 --set training.save_steps=4)
"$RUN" --nproc-per-node 2 "${base[@]}" --set distributed.shard_optimizer_state=true --set training.per_device_train_batch_size=2 \
  --set training.output_dir=\"$work/z2\" >"$work/z2.log" 2>&1 || { tail -3 "$work/z2.log"; fail "sharded 2-rank run"; }
ls "$work/z2/checkpoint-4" | grep -q "optimizer-shard-1-of-2.pt" || fail "no per-rank optimizer shard in checkpoint-4"
"$RUN" "${base[@]}" --set training.per_device_train_batch_size=4 --set training.output_dir=\"$work/z2to1\" \
  --set training.resume_from_checkpoint=\"$work/z2/checkpoint-4\" >"$work/z2to1.log" 2>&1 || { tail -3 "$work/z2to1.log"; fail "sharded -> 1 rank"; }
"$RUN" --nproc-per-node 2 "${base[@]}" --set distributed.shard_optimizer_state=true --set training.per_device_train_batch_size=2 \
  --set training.output_dir=\"$work/z1to2\" --set training.resume_from_checkpoint=\"$work/$cfg-w1/checkpoint-4\" \
  >"$work/z1to2.log" 2>&1 || { tail -3 "$work/z1to2.log"; fail "1 rank -> sharded"; }
for d in z2 z2to1 z1to2; do
  l=$(same_losses "$work/$cfg-w1" "$work/$d" 5) && dd=$(same_decisions "$work/$cfg-w1" "$work/$d" 4) ||
    { fail "$d: $l $dd"; continue; }
  echo "ok   $d (optimizer state sharded over 2 ranks on one side): steps 5-12 as the uninterrupted 1-rank run: $l; $dd"
done
exit $failures
