#!/usr/bin/env bash
# Data parallelism changes nothing but speed: 2 ranks on CPU (Gloo, loopback) with batch 2 each log
# the losses of 1 rank with batch 4 (the same global batch) to 1e-4, take the same decisions (numbers
# to 1e-6) and reach the same eval loss, with and without optimizer-state sharding -- for the static
# trainer, selectors (random; loss, whose service calls are spread over the ranks), a mixer (sampling,
# loss weights) and a weighter; started by --nproc-per-node, by torchrun's variables, and by torchrun
# itself when Debian's is installed.
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dist_lib.sh"
steps=(--set training.max_steps=10 --set training.save_steps=0)

for name in quickstart select_random select_loss mix_odm mix_odm_loss_weight weight_loss_reweight; do
  cfg=$name extra=()
  [ "$name" != quickstart ] && extra=("${decide[@]}")
  # ODM's proportions as loss weights (dataflex.apply = "loss_weight"): rank 0's weights are broadcast.
  [ "$name" = mix_odm_loss_weight ] && cfg=mix_odm extra+=(--set dataflex.apply=\"loss_weight\")
  "$RUN" configs/$cfg.toml "${small[@]}" "${steps[@]}" "${extra[@]}" --set training.per_device_train_batch_size=4 \
    --set training.output_dir=\"$work/$name-1\" >"$work/$name-1.log" 2>&1 || { tail -3 "$work/$name-1.log"; fail "$name: 1 rank"; continue; }
  "$RUN" --nproc-per-node 2 configs/$cfg.toml "${small[@]}" "${steps[@]}" "${extra[@]}" \
    --set training.per_device_train_batch_size=2 --set training.output_dir=\"$work/$name-2\" >"$work/$name-2.log" 2>&1 ||
    { tail -5 "$work/$name-2.log"; fail "$name: 2 ranks"; continue; }
  grep -q "x 2 ranks (global batch 4)" "$work/$name-2.log" || fail "$name: the 2-rank run does not say it has 2 ranks"
  [ "$(grep -c '^trained:' "$work/$name-2.log")" -eq 1 ] || fail "$name: rank 0 alone should report the run"
  got=$(same_losses "$work/$name-1" "$work/$name-2") || { echo "$got"; fail "$name: losses differ"; continue; }
  if [ "$name" != quickstart ]; then
    n=$(wc -l <"$work/$name-1/decisions.jsonl")
    [ "$n" -ge 3 ] || fail "$name: expected at least 3 decisions, got $n"
    d=$(same_decisions "$work/$name-1" "$work/$name-2") || fail "$name: decisions differ: $d"
    got="$got, $d"
  fi
  # The loss selector's sample_losses calls are computed by both ranks, each on its share of the pool.
  if [ "$name" = select_loss ]; then
    grep -q "in service calls spread over 2 ranks" "$work/$name-2.log" && got="$got, its service calls spread over 2 ranks" ||
      fail "select_loss: no service call was spread over the ranks"
  fi
  python3 - "$work/$name-1/all_results.json" "$work/$name-2/all_results.json" <<'PY' || fail "$name: eval loss differs"
import json, sys
a, b = (json.load(open(p))["eval_loss"] for p in sys.argv[1:])
assert abs(a - b) < 1e-4, (a, b)
PY
  echo "ok   $name: 2 ranks x batch 2 = 1 rank x batch 4: $got"
  # ZeRO stage 1: each rank keeps and updates half of the AdamW state; the run is the same.
  "$RUN" --nproc-per-node 2 configs/$cfg.toml "${small[@]}" "${steps[@]}" "${extra[@]}" --set distributed.shard_optimizer_state=true \
    --set training.per_device_train_batch_size=2 --set training.output_dir=\"$work/$name-z\" >"$work/$name-z.log" 2>&1 ||
    { tail -5 "$work/$name-z.log"; fail "$name: 2 ranks, sharded optimizer state"; continue; }
  got=$(same_losses "$work/$name-1" "$work/$name-z") || { echo "$got"; fail "$name: sharded: losses differ"; continue; }
  if [ "$name" != quickstart ]; then d=$(same_decisions "$work/$name-1" "$work/$name-z") || fail "$name: sharded: decisions differ: $d"; fi
  mem=$(grep -o "optimizer state per rank: [^(]*" "$work/$name-z.log" | head -1)
  full=$(grep -o "optimizer state per rank: [^(]*" "$work/$name-2.log" | head -1)
  [ -n "$mem" ] && [ -n "$full" ] || fail "$name: the optimizer state per rank is not reported"
  echo "ok   $name: the same with optimizer-state sharding: $got (${full#optimizer state per rank: } -> ${mem#optimizer state per rank: })"
done

# The launchers' variables alone (torchrun, PyTorchJob): two processes started by hand.
cfg=mix_odm
ranks 2 "$(free_port)" configs/$cfg.toml "${small[@]}" "${steps[@]}" "${decide[@]}" \
  --set training.per_device_train_batch_size=2 --set training.output_dir=\"$work/env\"
rc=0
for p in "${rank_pids[@]}"; do wait "$p" || rc=1; done
if [ $rc -ne 0 ]; then tail -3 "$work/rank0.log" "$work/rank1.log"; fail "ranks started by RANK/WORLD_SIZE variables"
else
  got=$(same_losses "$work/$cfg-1" "$work/env") && same_decisions "$work/$cfg-1" "$work/env" >/dev/null &&
    echo "ok   RANK/WORLD_SIZE/MASTER_* variables: $got, same decisions" || fail "variables-started ranks differ: $got"
fi

# torchrun itself (Debian's python3-torch). --redirects/--tee 2: torch 1.13's torchrun fails on
# Python 3.11 with its defaults (its Std enum lookup returns None for 0).
if /usr/bin/python3 -c 'import torch.distributed.run' 2>/dev/null; then
  /usr/bin/python3 -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 2 --tee 2 --log_dir "$work/tr_logs" \
    --no_python "$RUN" configs/$cfg.toml "${small[@]}" "${steps[@]}" "${decide[@]}" \
    --set training.per_device_train_batch_size=2 --set training.output_dir=\"$work/torchrun\" >"$work/torchrun.log" 2>&1 ||
    { tail -5 "$work/torchrun.log"; fail "torchrun"; }
  got=$(same_losses "$work/$cfg-1" "$work/torchrun") && same_decisions "$work/$cfg-1" "$work/torchrun" >/dev/null &&
    echo "ok   torchrun --nproc_per_node 2 --no_python dataflex-run: $got, same decisions" || fail "torchrun run differs: $got"
else
  echo "note: torch.distributed.run not importable by /usr/bin/python3: torchrun itself not tried"
fi
exit $failures
