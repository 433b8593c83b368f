#!/usr/bin/env bash
# Every shipped trainer config runs on the embedded model and data for a few steps, and its decisions
# land in decisions.jsonl at exactly the scheduled optimizer steps: warmup_step, then every
# update_step, at most update_times (static + plugin: once, before step 1; Weight: every step from
# warmup_step on). And `--dry-run` with the same settings prints exactly that schedule, for every
# train type (static without and with a plugin, dynamic_select, dynamic_mix, dynamic_weight).
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
small=(--set data.max_samples=24 --set data.cutoff_len=64 --set data.val_size=2 --set training.max_steps=12
       --set training.per_device_train_batch_size=4 --set training.logging_steps=4 --set training.save_steps=0
       --set training.eval_steps=0 --set training.num_threads=1)
# The steps of the dry-run's "schedule:" line (empty for full data), one per line.
dry_run_steps() {
  "$RUN" --dry-run "$@" | python3 -c '
import re, sys
line = [l for l in sys.stdin if l.startswith("schedule:")][0]
if "full data, no decisions" in line: sys.exit(0)
m = re.search(r"step\(s\) ([0-9, ]+) of", line)
print("\n".join(s.strip() for s in m.group(1).split(",")))'
}
decision_steps() { [ -f "$1/decisions.jsonl" ] && python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["step"])' "$1/decisions.jsonl"; }

for cfg in configs/*.toml; do
  name=$(basename "$cfg" .toml)
  sched=(--set dataflex.warmup_step=2 --set dataflex.update_step=4)
  # DoReMi's proxy config names the reference run's folder, which `dataflex-run doremi` trains first:
  # here the reference is the initial model.
  [ "$name" = mix_doremi ] && sched+=(--set dataflex.reference_model=\"builtin:tiny\")
  if ! "$RUN" "$cfg" "${small[@]}" "${sched[@]}" --set training.output_dir=\"$work/$name\" >"$work/$name.log" 2>&1; then
    echo "FAIL $name:"; tail -3 "$work/$name.log"; failures=$((failures + 1)); continue
  fi
  planned=$(dry_run_steps "$cfg" "${small[@]}" "${sched[@]}" --set training.output_dir=\"$work/$name\")
  taken=$(decision_steps "$work/$name")
  if [ "$planned" = "$taken" ]; then
    echo "ok   $name: --dry-run printed the schedule the run followed ($(echo $planned | wc -w) decision step(s))"
  else
    echo "FAIL $name: --dry-run planned [$(echo $planned)] but the run decided at [$(echo $taken)]"; failures=$((failures + 1))
  fi
  if python3 - "$cfg" "$work/$name" <<'PY'
import json, os, sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))["dataflex"]
out = sys.argv[2]
total, warmup, update = 12, 2, 4
times = cfg.get("update_times", -1)
if cfg["train_type"] == "static" and not cfg.get("component_name"):
    assert not os.path.exists(os.path.join(out, "decisions.jsonl")) or not open(os.path.join(out, "decisions.jsonl")).read()
    print(f"ok   {os.path.basename(out)}: full data, no decisions")
    sys.exit(0)
if cfg["train_type"] == "static":
    want = [0]
elif cfg["train_type"] == "dynamic_weight":
    last = total if times <= 0 else min(total, warmup + times * update)
    want = list(range(warmup, last))
else:
    want = [s for s in range(warmup, total, update)]
    if times > 0:
        want = want[:times]
got = [json.loads(l)["step"] for l in open(os.path.join(out, "decisions.jsonl"))]
assert got == want, (got, want)
kinds = {json.loads(l)["kind"] for l in open(os.path.join(out, "decisions.jsonl"))}
expected_kind = {"dynamic_select": "selection", "dynamic_mix": "mixture", "dynamic_weight": "weights"}.get(cfg["train_type"])
assert expected_kind is None or kinds == {expected_kind}, kinds
print(f"ok   {os.path.basename(out)}: {len(got)} decision(s) at steps {got}")
PY
  then :; else echo "FAIL $name: decisions not at the scheduled steps"; failures=$((failures + 1)); fi
done
# The Mix trainer's other modes: proportions counted in tokens; proportions as loss weights (DoReMi's
# proxy training) with sampling left alone.
for mode in "--set dataflex.mixture_unit=\"tokens\"" "--set dataflex.apply=\"loss_weight\""; do
  if "$RUN" configs/mix_odm.toml "${small[@]}" $mode --set training.output_dir=\"$work/mix_mode\" --set training.overwrite_output_dir=true \
       >"$work/mix_mode.log" 2>&1 && grep -q '"kind":"mixture"' "$work/mix_mode/decisions.jsonl"; then
    echo "ok   mix_odm $mode"
  else
    echo "FAIL mix_odm $mode:"; tail -3 "$work/mix_mode.log"; failures=$((failures + 1))
  fi
done
python3 - "$work/mix_mode/decisions.jsonl" <<'PY' || { echo "FAIL loss_weight decisions"; failures=$((failures + 1)); }
import json, sys
assert all(json.loads(l)["apply"] == "loss_weight" for l in open(sys.argv[1]))
PY

echo "trainer e2e: $failures failure(s)"
[ $failures -eq 0 ]
