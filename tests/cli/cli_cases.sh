#!/usr/bin/env bash
# dataflex-run as users meet it: each bad input gives ONE line on stderr naming the file and the
# problem, and a non-zero exit that is not a crash; good input works.
set -u
RUN=$1 SRC=$2 TEST_PLUGINS=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect_error NAME REGEX -- COMMAND...: exit in 1..127, stderr exactly one line matching REGEX.
expect_error() {
  local name=$1 regex=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$work/err")
  if [ $rc -eq 0 ] || [ $rc -ge 128 ] || [ "$lines" -ne 1 ] || ! grep -Eq -- "$regex" "$work/err"; then
    echo "FAIL $name (exit $rc, $lines stderr lines):"; sed 's/^/    /' "$work/err"
    failures=$((failures + 1))
  else
    echo "ok   $name: $(cat "$work/err")"
  fi
}

expect_ok() {
  local name=$1
  shift
  if ! "$@" >"$work/out" 2>"$work/err"; then
    echo "FAIL $name:"; sed 's/^/    /' "$work/err"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# --- configs ---
# From the source folder: --dry-run reads the datasets, which the shipped configs name relative to it.
for c in "$SRC"/configs/*.toml; do
  expect_ok "config $(basename "$c") validates" bash -c 'cd "$1" && "$2" --dry-run "$3"' _ "$SRC" "$RUN" "$c"
done
printf '[training]\nseeed = 3\n' >"$work/typo.toml"
expect_error unknown_config_key "typo.toml:2: unknown key 'training.seeed' \(did you mean 'seed'\?\)" -- "$RUN" "$work/typo.toml"
expect_error unknown_set_key "--set dataflex.warmup=3: unknown key 'dataflex.warmup'" -- \
  "$RUN" "$SRC/configs/select_random.toml" --set dataflex.warmup=3
expect_error unknown_plugin_param "unknown parameter 'resampel' for plugin 'random' \(did you mean 'resample'\?\)" -- \
  "$RUN" "$SRC/configs/select_random.toml" --set dataflex.params.resampel=true
expect_error mistyped_plugin_param "'resample' of plugin 'random' must be bool, got string" -- \
  "$RUN" "$SRC/configs/select_random.toml" --set dataflex.params.resample=yes
expect_error out_of_range_plugin_param "proportions'\[0\] = -1.0 is below the minimum 0.0" -- \
  "$RUN" "$SRC/configs/mix_static.toml" --set 'dataflex.params.proportions=[-1, 1, 1]'
expect_error wrong_kind_for_trainer "plugin 'uniform' is a weighter but train_type \"dynamic_select\" needs a selector" -- \
  "$RUN" "$SRC/configs/select_random.toml" --set dataflex.component_name=uniform
expect_error unknown_plugin "no plugin named 'randm'.*did you mean 'random'" -- \
  "$RUN" "$SRC/configs/select_random.toml" --set dataflex.component_name=randm

# --- plugins ---
expect_ok "plugins list" "$RUN" plugins list
grep -Eq "^random +selector .* found " "$work/out" || { echo "FAIL plugins list lacks random"; failures=$((failures + 1)); }
expect_ok "plugins list --check" "$RUN" plugins list --check
grep -Eq "^random +selector .* ok " "$work/out" || { echo "FAIL plugins list --check lacks random ok"; failures=$((failures + 1)); }
expect_ok "plugins info random" "$RUN" plugins info random
grep -q "resample (bool, default true)" "$work/out" || { echo "FAIL plugins info lacks the parameter"; failures=$((failures + 1)); }

# A broken plugin is listed with its reason, not skipped.
mkdir -p "$work/plugins/broken"
printf 'manifest_version = 1\n[plugin]\nname = "broken"\nkind = "selector"\nversion = "1.0.0"\nabi = "1.0"\n' \
  >"$work/plugins/broken/plugin.toml"
expect_ok "plugins list with a broken plugin" "$RUN" --plugin-dir "$work/plugins" plugins list
grep -q "broken.*missing required field 'plugin.library'" "$work/out" ||
  { echo "FAIL broken plugin not listed with its reason"; cat "$work/out"; failures=$((failures + 1)); }
expect_error broken_manifest "broken/plugin.toml: missing required field 'plugin.library'" -- \
  "$RUN" --plugin-dir "$work/plugins" plugins info broken

# Plugin errors and invalid decisions, through plugins run.
mis="$TEST_PLUGINS/selector"
# The failure names the recording and the call it happened in (not the plugin's manifest).
expect_error plugin_error_status "select_pool10.json: calls\[0\]: plugin 'misbehaving' failed in select at step 10 with DFX_ERR_INVALID_ARGUMENT: threshold must be positive" -- \
  "$RUN" --plugin-dir "$mis" plugins run misbehaving --host "$SRC/tests/recordings/select_pool10.json" --set behaviour=error_status
expect_error invalid_selection "refused: index out of range" -- \
  "$RUN" --plugin-dir "$mis" plugins run misbehaving --host "$SRC/tests/recordings/select_pool10.json" --set behaviour=out_of_range
expect_error invalid_mixture "refused: NaN proportion" -- \
  "$RUN" --plugin-dir "$TEST_PLUGINS/mixer" plugins run misbehaving --host "$SRC/tests/recordings/mix_three_domains.json" --set behaviour=nan
expect_error missing_recording "nope.json: cannot open the recording" -- \
  "$RUN" plugins run random --host "$work/nope.json"

# A parameter that refuses its bound says so ("> 0"), and bounds print in their shortest form.
expect_ok "plugins info loss_reweight" "$RUN" plugins info loss_reweight
grep -q "delta (float, default 1.0, > 0.0)" "$work/out" || { echo "FAIL plugins info: exclusive bound"; cat "$work/out"; failures=$((failures + 1)); }
expect_ok "plugins info loss" "$RUN" plugins info loss
grep -q "temperature (float, default 1.0, >= 0.001)" "$work/out" || { echo "FAIL plugins info: bound format"; cat "$work/out"; failures=$((failures + 1)); }
expect_error exclusive_bound_refused "--set dataflex.params.delta=0.0: 'delta' = 0.0 must be above 0.0" -- \
  "$RUN" --dry-run "$SRC/configs/weight_loss_reweight.toml" --set dataflex.params.delta=0.0

# SDK 1.1: a C++ plugin built against 1.1 that needs a 1.1 service runs on a recording that answers it;
# a service the recording cannot answer is reported with the recording's own message.
sdk11="$TEST_PLUGINS/sdk11"
expect_ok "plugins run token_budget (SDK 1.1 service)" "$RUN" --plugin-dir "$sdk11" plugins run token_budget \
  --host "$SRC/tests/recordings/sample_tokens.json"
python3 - "$work/out" <<'PY' || { echo "FAIL token_budget decisions"; failures=$((failures + 1)); }
import json, sys
out = json.load(open(sys.argv[1]))
assert out["decisions"][0]["selected"] == [1, 3], out  # 4 trained tokens each
assert out["decisions"][0]["scores"] == [4, 4], out
PY
expect_error host_message_kept "sample_tokens.json: calls\[0\]: plugin 'token_budget' failed in select at step 0 with DFX_ERR_FAILED_PRECONDITION: host service 'sample_losses': .*sample_tokens.json: the recording has no 'services.reference_losses.train'" -- \
  "$RUN" --plugin-dir "$sdk11" plugins run token_budget --host "$SRC/tests/recordings/sample_tokens.json" --set behaviour=reference_losses
expect_error invalid_argument_status "failed in select at step 0 with DFX_ERR_INVALID_ARGUMENT: budget must be positive, got -3" -- \
  "$RUN" --plugin-dir "$sdk11" plugins run token_budget --host "$SRC/tests/recordings/sample_tokens.json" --set behaviour=invalid_argument

# The light commands never need the training engine: a dataflex-run without its lib/dataflex/ beside it
# answers them, and says which file it misses when asked to train.
mkdir -p "$work/alone/bin"
cp "$RUN" "$work/alone/bin/"
expect_ok "version without the engine library" "$work/alone/bin/dataflex-run" version
expect_ok "--dry-run without the engine library" "$work/alone/bin/dataflex-run" --plugin-dir "$TEST_PLUGINS/selector" \
  --dry-run "$SRC/configs/quickstart.toml" --set data.dataset_dir=\"$SRC/data\"
expect_error train_without_engine "libdataflex_engine.so: cannot load the training engine" -- \
  "$work/alone/bin/dataflex-run" "$SRC/configs/quickstart.toml" --set training.output_dir=\"$work/alone/out\"

# A plugin that crashes under `plugins run` is named too (no training run, so no checkpoint is offered).
"$RUN" --plugin-dir "$mis" plugins run misbehaving --host "$SRC/tests/recordings/select_pool10.json" \
  --set behaviour=segfault >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 3 ] && grep -q "^dataflex-run: error: plugin 'misbehaving' 0.1.0 crashed with SIGSEGV (invalid memory access) in select at step 10$" "$work/err"; then
  echo "ok   plugins run with a crashing plugin: $(tail -1 "$work/err")"
else
  echo "FAIL plugins run with a crashing plugin (exit $rc)"; cat "$work/err"; failures=$((failures + 1))
fi

# random: the same seed twice gives the same indices; another seed, others.
"$RUN" plugins run random --host "$SRC/tests/recordings/select_pool10.json" --seed 11 >"$work/a.json"
"$RUN" plugins run random --host "$SRC/tests/recordings/select_pool10.json" --seed 11 >"$work/b.json"
"$RUN" plugins run random --host "$SRC/tests/recordings/select_pool10.json" --seed 12 >"$work/c.json"
if cmp -s "$work/a.json" "$work/b.json" && ! cmp -s "$work/a.json" "$work/c.json"; then
  echo "ok   random: seed 11 twice identical, seed 12 different"
else
  echo "FAIL random determinism"; failures=$((failures + 1))
fi

# Every host service can be served from a recording: the service_probe plugin calls all of them.
expect_ok "plugins run service_probe (every service recorded)" "$RUN" --plugin-dir "$TEST_PLUGINS/probe" plugins run service_probe \
  --host "$SRC/tests/recordings/service_probe_all_services.json"
python3 - "$work/out" <<'PY' || { echo "FAIL recorded answers of every service"; failures=$((failures + 1)); }
import json, sys
out = json.load(open(sys.argv[1]))
m = {x["name"]: x["value"] for x in out["metrics"]}
want = {"probe.train_size": 4, "probe.domain_sum": 2, "probe.loss_sum": 7, "probe.reference_loss_sum": 4,
        "probe.eval_tokens": 5, "probe.eval_token_loss_sum": 7, "probe.eval_domain0_loss": 2, "probe.feature_cols": 16,
        "probe.feature_norm0": 1, "probe.embedding_norm0": 1, "probe.embedding_cols": 3}
assert m == want, m
assert out["decisions"][0]["selected"] == [3, 2], out["decisions"]  # largest feature norms
PY

echo "cli cases: $failures failure(s)"
[ $failures -eq 0 ]
