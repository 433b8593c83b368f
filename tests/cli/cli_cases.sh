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
for c in "$SRC"/configs/*.toml; do expect_ok "config $(basename "$c") validates" "$RUN" --dry-run "$c"; done
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
grep -q "^random .*selector.*ok" "$work/out" || { echo "FAIL plugins list lacks random"; failures=$((failures + 1)); }
expect_ok "plugins info random" "$RUN" plugins info random
grep -q "resample (bool, default true)" "$work/out" || { echo "FAIL plugins info lacks the parameter"; failures=$((failures + 1)); }

# A broken plugin is listed with its reason, not skipped.
mkdir -p "$work/plugins/broken"
printf 'manifest_version = 1\n[plugin]\nname = "broken"\nkind = "selector"\nversion = "1"\nabi = "1.0"\n' \
  >"$work/plugins/broken/plugin.toml"
expect_ok "plugins list with a broken plugin" "$RUN" --plugin-dir "$work/plugins" plugins list
grep -q "broken.*missing required field 'plugin.library'" "$work/out" ||
  { echo "FAIL broken plugin not listed with its reason"; cat "$work/out"; failures=$((failures + 1)); }
expect_error broken_manifest "broken/plugin.toml: missing required field 'plugin.library'" -- \
  "$RUN" --plugin-dir "$work/plugins" plugins info broken

# Plugin errors and invalid decisions, through plugins run.
mis="$TEST_PLUGINS/selector"
expect_error plugin_error_status "failed in select with DFX_ERR_INVALID_ARGUMENT: threshold must be positive" -- \
  "$RUN" --plugin-dir "$mis" plugins run misbehaving --host "$SRC/tests/recordings/select_pool10.json" --set behaviour=error_status
expect_error invalid_selection "refused: index out of range" -- \
  "$RUN" --plugin-dir "$mis" plugins run misbehaving --host "$SRC/tests/recordings/select_pool10.json" --set behaviour=out_of_range
expect_error invalid_mixture "refused: NaN proportion" -- \
  "$RUN" --plugin-dir "$TEST_PLUGINS/mixer" plugins run misbehaving --host "$SRC/tests/recordings/mix_three_domains.json" --set behaviour=nan
expect_error missing_recording "nope.json: cannot open the recording" -- \
  "$RUN" plugins run random --host "$work/nope.json"

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
