#!/usr/bin/env bash
# The original DataFlex project's example configs (../shared/fixtures/dataflex-configs) run unchanged:
# each either trains with only the model and data overridden on the command line (plus a short length
# and a scratch output folder, for test time), or is refused with one line listing every key or
# component it uses that has no equivalent here. The walk prints which is which. `migrate` output of
# the ones that run trains to the same decisions as the YAML. Skipped when the fixtures are absent.
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
fixtures="$SRC/../shared/fixtures"
if [ ! -d "$fixtures/dataflex-configs/examples" ]; then
  echo "SKIP: $fixtures/dataflex-configs not found (the original project's configs are not copied into the tree)"
  exit 0
fi
lf="$fixtures/llamafactory-data"
# What the test overrides: the model (no weights can be downloaded), the data folder (LLaMA-Factory's
# demo files), and a short run.
short=(model_name_or_path=builtin:tiny "dataset_dir=$lf" cutoff_len=64 max_samples=24 train_step=4 max_steps=4
       per_device_train_batch_size=2 gradient_accumulation_steps=1 warmup_step=1 update_step=2 logging_steps=1
       save_steps=0 eval_steps=2 per_device_eval_batch_size=2 bf16=false)
ran=0 refused=0
cd "$fixtures/dataflex-configs"
for yaml in $(find examples -name '*.yaml' | sort); do
  name=$(echo "$yaml" | tr '/' '_' | sed 's/\.yaml$//')
  extra=()
  # Datasets the demo folder lacks (the DoReMi and MoE examples name hub datasets) are data overrides too.
  grep -q "^dataset: code,math" "$yaml" && extra+=(dataset=wiki_demo,c4_demo)
  grep -q "^eval_dataset: mmlu_eval" "$yaml" && extra+=(eval_dataset=alpaca_zh_demo)
  # DoReMi's proxy names its reference model (step 1's checkpoint): a model override as well.
  grep -q "^component_name: doremi" "$yaml" && extra+=(dataflex.reference_model=builtin:tiny)
  "$RUN" "$yaml" "${short[@]}" "${extra[@]}" "output_dir=$work/$name" >"$work/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    ran=$((ran + 1))
    echo "ran      $yaml: $(grep -o '^trained: .*' "$work/$name.log")"
    # migrate's TOML, with the same overrides, decides the same.
    "$RUN" migrate "$yaml" "${short[@]}" "${extra[@]}" "output_dir=$work/$name.m" >"$work/$name.toml" 2>"$work/$name.migrate.log" ||
      { fail "migrate $yaml"; cat "$work/$name.migrate.log"; continue; }
    "$RUN" "$work/$name.toml" >"$work/$name.m.log" 2>&1 || { fail "migrated $yaml does not run"; tail -3 "$work/$name.m.log"; continue; }
    if [ -f "$work/$name/decisions.jsonl" ]; then
      python3 - "$work/$name/decisions.jsonl" "$work/$name.m/decisions.jsonl" <<'PY' || fail "migrated $yaml decides differently"
import json, sys
a, b = ([{k: v for k, v in json.loads(l).items()} for l in open(p)] for p in sys.argv[1:3])
assert a == b and a, (a[:1], b[:1])
PY
    fi
  else
    refused=$((refused + 1))
    errors=$(grep -c "error:" "$work/$name.log")
    line=$(grep "error:" "$work/$name.log" | head -1)
    echo "refused  $yaml: ${line:0:400}"
    [ "$errors" = 1 ] || { fail "$yaml: not one clear line"; cat "$work/$name.log"; }
  fi
done
echo "$ran ran, $refused refused"
[ "$ran" -ge 10 ] || fail "fewer than 10 of the original's configs run"
exit $failures
