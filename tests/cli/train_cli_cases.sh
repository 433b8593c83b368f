#!/usr/bin/env bash
# dataflex-run train / eval / tokenize as users meet them: tiny runs (a few steps) of every
# fine-tuning type and data stage, the output folder's files, and one-line errors for bad data and
# bad model files.
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"

expect_error() {  # NAME REGEX -- COMMAND...
  local name=$1 regex=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$? lines
  lines=$(wc -l <"$work/err")
  if [ $rc -eq 0 ] || [ $rc -ge 128 ] || [ "$lines" -ne 1 ] || ! grep -Eq -- "$regex" "$work/err"; then
    fail "$name (exit $rc, $lines stderr lines):"; sed 's/^/    /' "$work/err"
  else
    echo "ok   $name: $(cat "$work/err")"
  fi
}
run_ok() {  # NAME -- COMMAND...
  local name=$1
  shift 2
  if "$@" >"$work/out" 2>"$work/err"; then echo "ok   $name"; else fail "$name:"; tail -5 "$work/err"; fi
}
tiny=(--set data.max_samples=12 --set data.cutoff_len=64 --set data.val_size=2 --set training.max_steps=6
      --set training.per_device_train_batch_size=2 --set training.logging_steps=2 --set training.save_steps=3
      --set training.eval_steps=3 --set training.num_threads=1)

# --- tokenize ---
run_ok "tokenize builtin" -- "$RUN" tokenize "hé<|eos|>"
grep -q '"ids":\[104,195,169,258\]' "$work/out" || fail "builtin ids of hé<|eos|>: $(cat "$work/out")"
case_line=$(head -1 tests/fixtures/tokenizers/qwen3/cases.jsonl)
text=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["text"], end="")' "$case_line")
want=$(python3 -c 'import json,sys; c=json.loads(sys.argv[1]); print(json.dumps(c["ids"], separators=(",", ":")))' "$case_line")
special=$(python3 -c 'import json,sys; print("--add-special-tokens" if json.loads(sys.argv[1])["add_special_tokens"] else "")' "$case_line")
run_ok "tokenize with a real vocabulary (qwen3)" -- "$RUN" tokenize --tokenizer tests/fixtures/tokenizers/qwen3 $special "$text"
grep -qF "\"ids\":$want" "$work/out" || fail "qwen3 ids: got $(cat "$work/out"), want $want"

# --- pre-training, full fine-tuning: the output folder ---
run_ok "train pt full" -- "$RUN" configs/quickstart.toml "${tiny[@]}" --set training.output_dir=\"$work/pt\"
for f in trainer_log.jsonl trainer_state.json all_results.json train_results.json eval_results.json config.json \
         model.safetensors tokenizer.json tokenizer_config.json checkpoint-3/optimizer.pt checkpoint-6/model.safetensors; do
  [ -f "$work/pt/$f" ] || fail "output folder lacks $f"
done
python3 - "$work/pt" <<'PY' || fail "output files' contents"
import json, sys, os
d = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(d, "trainer_log.jsonl"))]
train = [l for l in lines if "loss" in l]
assert [l["current_steps"] for l in train] == [2, 4, 6], train
for k in ("current_steps", "total_steps", "loss", "lr", "epoch", "percentage", "elapsed_time", "remaining_time"):
    assert k in train[0], k
assert any("eval_loss" in l and "eval_brown_news_loss" in l for l in lines)
state = json.load(open(os.path.join(d, "trainer_state.json")))
assert state["global_step"] == 6 and len(state["log_history"]) >= 4
res = json.load(open(os.path.join(d, "all_results.json")))
assert res["train_loss"] > 0 and "eval_loss" in res
PY
echo "ok   output folder files and fields"

# --- gradient accumulation: 2 micro-batches of 2 = one batch of 4 (the step's loss is normalised by
# the step's trained tokens, as transformers >= 4.46 does), so the logged losses agree ---
ga=(--set data.max_samples=12 --set data.val_size=0 --set data.cutoff_len=64 --set training.max_steps=4 --set training.logging_steps=1
    --set training.save_steps=0 --set training.num_threads=1 --set data.packing=false)
run_ok "train batch 4" -- "$RUN" configs/quickstart.toml "${ga[@]}" --set training.per_device_train_batch_size=4 \
  --set training.output_dir=\"$work/ga1\"
run_ok "train batch 2 x 2 accumulation" -- "$RUN" configs/quickstart.toml "${ga[@]}" --set training.per_device_train_batch_size=2 \
  --set training.gradient_accumulation_steps=2 --set training.output_dir=\"$work/ga2\"
python3 - "$work/ga1/trainer_log.jsonl" "$work/ga2/trainer_log.jsonl" <<'PY' || fail "accumulation changes the losses"
import json, sys
a, b = ([json.loads(l)["loss"] for l in open(p) if '"loss"' in l] for p in sys.argv[1:])
assert len(a) == len(b) == 4 and all(abs(x - y) <= 2e-4 for x, y in zip(a, b)), (a, b)
PY
echo "ok   batch 4 and 2 x 2 accumulation log the same losses"

# --- eval: per-sample, per-domain, multiple choice ---
run_ok "eval with multiple choice" -- "$RUN" eval configs/quickstart.toml "${tiny[@]}" --model "$work/pt" \
  --mc data/eval/wordnet_mc.jsonl --out "$work/eval"
python3 - "$work/eval" <<'PY' || fail "eval output"
import json, sys, os
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, "samples.jsonl"))]
# val_size = 2 texts per domain, packed into 64-token blocks after the split
assert len(rows) > 6 and {r["domain"] for r in rows} == {"brown_news", "brown_fiction", "brown_learned"}, len(rows)
assert all(r["split"] == "eval" and r["tokens"] == 63 for r in rows)
s = json.load(open(os.path.join(d, "summary.json")))
assert s["samples"] == len(rows) and abs(s["perplexity"] - 2.718281828 ** s["loss"]) < 1e-6 * s["perplexity"]
mc = s["multiple_choice"]
assert mc["questions"] == 500 and 0 <= mc["acc"] <= 1 and 0 <= mc["acc_norm"] <= 1, mc
PY
echo "ok   eval samples.jsonl, summary.json, multiple-choice accuracy"

# --- sft with a chat template, LoRA, merged export; eval of base + adapter ---
sft=(--set 'data.dataset=["wordnet_define", "spam_classify", "wordnet_chat"]' --set data.stage=\"sft\" --set data.cutoff_len=128 --set data.packing=false)
run_ok "train sft lora" -- "$RUN" configs/quickstart.toml "${tiny[@]}" "${sft[@]}" --set model.finetuning_type=\"lora\" \
  --set model.export_merged=true --set training.output_dir=\"$work/lora\"
for f in adapter_config.json adapter_model.safetensors checkpoint-3/adapter_model.safetensors merged/model.safetensors merged/config.json; do
  [ -f "$work/lora/$f" ] || fail "lora output lacks $f"
done
[ -f "$work/lora/model.safetensors" ] && fail "lora run wrote a full model at the top of its output"
run_ok "eval base + adapter" -- "$RUN" eval configs/quickstart.toml "${tiny[@]}" "${sft[@]}" --adapter "$work/lora" --out "$work/eval_lora"
run_ok "eval merged" -- "$RUN" eval configs/quickstart.toml "${tiny[@]}" "${sft[@]}" --model "$work/lora/merged" --out "$work/eval_merged"
python3 - "$work/eval_lora/summary.json" "$work/eval_merged/summary.json" <<'PY' || fail "adapter and merged model disagree"
import json, sys
a, b = (json.load(open(p))["loss"] for p in sys.argv[1:])
assert abs(a - b) < 1e-4 * abs(a), (a, b)
PY
echo "ok   base + adapter and the merged model give the same eval loss"
run_ok "train freeze" -- "$RUN" configs/quickstart.toml "${tiny[@]}" --set model.finetuning_type=\"freeze\" \
  --set model.freeze_trainable_layers=1 --set training.output_dir=\"$work/freeze\"
# one layer of builtin:tiny: q 256x256, k and v 256x128, o 256x256, gate/up/down 256x688, two norms of 256 = 725,504
grep -q "0.73M trainable" "$work/err" || fail "freeze: expected 0.73M trainable parameters: $(grep trainable "$work/err")"

# --- bad input: one line, the file and the line or key ---
expect_error unknown_dataset "dataset_info.json: no dataset named 'brown_newz' \\(did you mean 'brown_news'\\?\\)" -- \
  "$RUN" configs/quickstart.toml "${tiny[@]}" --set 'data.dataset=["brown_newz"]' --set training.output_dir=\"$work/x\"
expect_error staleness_with_a_weighter "dataflex.decision_staleness = 2: a weighter weighs each micro-batch" -- \
  "$RUN" configs/weight_loss_reweight.toml "${tiny[@]}" --set dataflex.decision_staleness=2 \
  --set training.output_dir=\"$work/x\"
expect_error staleness_past_the_next_decision "dataflex.decision_staleness = 20: expected a value below dataflex.update_step \\(20\\)" -- \
  "$RUN" configs/select_loss.toml "${tiny[@]}" --set dataflex.decision_staleness=20 --set training.output_dir=\"$work/x\"
expect_error negative_staleness "dataflex.decision_staleness" -- \
  "$RUN" configs/select_loss.toml "${tiny[@]}" --set dataflex.decision_staleness=-1 --set training.output_dir=\"$work/x\"
mkdir -p "$work/baddata"
printf '{"bad": {"file_name": "bad.jsonl", "columns": {"prompt": "text"}}}\n' >"$work/baddata/dataset_info.json"
printf '{"text": "one"}\n{"text": "two"}\n{"text": "three"\n' >"$work/baddata/bad.jsonl"
expect_error malformed_dataset_line "bad.jsonl:3" -- \
  "$RUN" configs/quickstart.toml "${tiny[@]}" --set data.dataset_dir=\"$work/baddata\" --set 'data.dataset=["bad"]' \
  --set training.output_dir=\"$work/x\"
# --dry-run reads every dataset as the run will: what the run cannot read fails the dry run (one line),
# and the plan gives each domain's sample counts.
printf '%s\n' '{"bad": {"file_name": "bad.jsonl", "columns": {"prompt": "text"}},' \
  '"good": {"file_name": "good.jsonl", "columns": {"prompt": "text"}},' \
  '"prefs": {"file_name": "good.jsonl", "ranking": true},' \
  '"hub_only": {"hf_hub_url": "someone/data"},' \
  '"pictures": {"file_name": "good.jsonl", "formatting": "sharegpt", "columns": {"messages": "m", "images": "images"}}}' \
  >"$work/baddata/dataset_info.json"
printf '{"text": "one two three four"}\n{"text": "five six"}\n{"text": "seven"}\n' >"$work/baddata/good.jsonl"
dry_data=(--dry-run configs/quickstart.toml "${tiny[@]}" --set data.dataset_dir=\"$work/baddata\" --set data.packing=false
          --set training.output_dir=\"$work/x\")
expect_error dry_run_reads_bad_lines "bad.jsonl:3" -- "$RUN" "${dry_data[@]}" --set 'data.dataset=["good", "bad"]'
expect_error dry_run_refuses_preference_data "dataset 'prefs': ranking: preference" -- \
  "$RUN" "${dry_data[@]}" --set 'data.dataset=["prefs"]' --set data.stage=\"sft\"
expect_error dry_run_refuses_hub_only_data "dataset 'hub_only': only local files" -- \
  "$RUN" "${dry_data[@]}" --set 'data.dataset=["hub_only"]'
expect_error dry_run_refuses_multimodal_data "dataset 'pictures': columns.images: multimodal" -- \
  "$RUN" "${dry_data[@]}" --set 'data.dataset=["pictures"]' --set data.stage=\"sft\"
if "$RUN" "${dry_data[@]}" --set 'data.dataset=["good"]' --set data.val_size=1 >"$work/out" 2>"$work/err" &&
  grep -q "^  good: 2 training samples ([0-9]* tokens), 1 held out for eval" "$work/out"; then
  echo "ok   dry run counts the samples: $(grep '^  good:' "$work/out")"
else
  fail "dry run sample counts: $(cat "$work/out" "$work/err")"
fi
cp -r "$work/pt" "$work/broken_model"
head -c 1000 "$work/pt/model.safetensors" >"$work/broken_model/model.safetensors"
expect_error truncated_model_file "broken_model/model.safetensors: header length [0-9]+ runs past the end of the file \\(1000 bytes\\)" -- \
  "$RUN" configs/quickstart.toml "${tiny[@]}" --set model.model_name_or_path=\"$work/broken_model\" --set training.output_dir=\"$work/x\"
expect_error missing_model_folder "model_name_or_path: \"$work/nope\" is not a folder" -- \
  "$RUN" configs/quickstart.toml "${tiny[@]}" --set model.model_name_or_path=\"$work/nope\" --set training.output_dir=\"$work/x\"
expect_error bad_mc_line "wordnet_bad.jsonl:2: answer" -- \
  bash -c "printf '{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":1}\n{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":5}\n' >$work/wordnet_bad.jsonl; \
           \"$RUN\" eval configs/quickstart.toml ${tiny[*]} --model $work/pt --mc $work/wordnet_bad.jsonl --out $work/e2"

echo "train cli cases: $failures failure(s)"
[ $failures -eq 0 ]
