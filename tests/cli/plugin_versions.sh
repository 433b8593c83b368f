#!/usr/bin/env bash
# Deployments: two builds of one plugin (tests/plugins/versioned_plugin.cpp as 1.0.0 and 1.1.0, whose
# decisions and state formats differ) installed side by side as NAME/VERSION/ folders.
# - Listing reads manifests only (no library constructor runs); --check loads them.
# - Runs pinned to each version make that version's decisions; unpinned takes 1.1.0; with 1.1.0 removed,
#   1.0.0; a pin nothing matches is one line listing what there is; DATAFLEX_PLUGIN_PATH swaps builds.
# - Resume across versions: 1.0.0 -> 1.1.0 (which declares reads_state_from = "1.0.x") takes over the
#   state; 1.1.0 -> 1.0.0 is refused with one line naming both, and restarts the plugin fresh only with
#   --reset-plugin-state; the refused attempt leaves checkpoint and plugins.json as they were.
# - Trust: a world-writable version folder is refused (not passed over for the older one) unless
#   --allow-insecure-plugins; a library replaced after a checkpoint recorded its hash is refused on resume.
RUN=$1 SRC=$2 PLUGINS=$3
. "$(dirname "$0")/lib.sh"
inst="$work/inst"
mkdir -p "$inst/versioned"
cp -r "$PLUGINS/versioned_1_0/versioned" "$inst/versioned/1.0.0"
cp -r "$PLUGINS/versioned_1_1/versioned" "$inst/versioned/1.1.0"
cat >"$work/run.toml" <<TOML
[model]
model_name_or_path = "builtin:tiny"
[data]
dataset_dir = "data"
dataset = ["brown_news", "brown_fiction", "brown_learned"]
stage = "pt"
packing = true
cutoff_len = 64
max_samples = 24
val_size = 0
[training]
seed = 42
max_steps = 8
per_device_train_batch_size = 4
learning_rate = 2e-3
logging_steps = 1
save_steps = 4
num_threads = 1
[dataflex]
train_type = "dynamic_select"
component_name = "versioned"
warmup_step = 1
update_step = 2
TOML
# train NAME [ARGS...]: a run into $work/NAME, its log in $work/NAME.log; returns dataflex-run's status.
train() {
  local name=$1
  shift
  "$RUN" --plugin-dir "$inst" "$work/run.toml" --set training.output_dir=\"$work/$name\" "$@" >"$work/$name.log" 2>&1
}
# decisions NAME: one line per decision: "step version ids scores.mean".
decisions() {
  python3 -c '
import json, sys
for l in open(sys.argv[1] + "/decisions.jsonl"):
    d = json.loads(l)
    print(d["step"], d["plugin_version"], ",".join(map(str, d["ids"])), d["scores"]["mean"])' "$work/$1"
}

# --- Listing runs no library code; --check does ----------------------------------------------------
export VERSIONED_LOADED_MARK="$work/loaded.txt"
"$RUN" --plugin-dir "$inst" plugins list >"$work/list.txt" 2>&1 || fail "plugins list"
grep -Eq "^versioned +selector +1\.0\.0 +1\.4 +found " "$work/list.txt" &&
  grep -Eq "^versioned +selector +1\.1\.0 +1\.4 +\* +found " "$work/list.txt" &&
  echo "ok   plugins list shows both versions, 1.1.0 marked as the default" || { cat "$work/list.txt"; fail "list"; }
"$RUN" --plugin-dir "$inst" plugins list --json >"$work/list.json" 2>&1 || fail "plugins list --json"
[ ! -e "$work/loaded.txt" ] && echo "ok   listing (table and JSON) ran no library constructor" ||
  fail "listing loaded a library: $(cat "$work/loaded.txt")"
"$RUN" --plugin-dir "$inst" plugins list --check >"$work/check.txt" 2>&1 || fail "plugins list --check"
[ "$(sort "$work/loaded.txt" | tr '\n' ' ')" = "loaded 1.0.0 loaded 1.1.0 " ] &&
  grep -Eq "^versioned +selector +1\.1\.0 +1\.4 +\* +ok " "$work/check.txt" &&
  echo "ok   plugins list --check loads both and reports them ok" || { cat "$work/check.txt" "$work/loaded.txt"; fail "--check"; }
unset VERSIONED_LOADED_MARK
"$RUN" --plugin-dir "$inst" plugins info versioned@1.0.0 2>&1 | grep -q "^versioned 1.0.0 (selector" &&
  "$RUN" --plugin-dir "$inst" plugins info versioned 2>&1 | grep -q "^versioned 1.1.0 (selector" &&
  echo "ok   plugins info NAME@VERSION shows that version, NAME the default" || fail "plugins info NAME@VERSION"

# --- Pins and the default ---------------------------------------------------------------------------
train pin10 --set dataflex.component_version=\"1.0.0\" || { tail -3 "$work/pin10.log"; fail "pinned 1.0.0 run"; }
train pin11 --set dataflex.component_version=\"^1.1\" || { tail -3 "$work/pin11.log"; fail "pinned ^1.1 run"; }
train unpinned || { tail -3 "$work/unpinned.log"; fail "unpinned run"; }
decisions pin10 >"$work/pin10.dec"
decisions pin11 >"$work/pin11.dec"
decisions unpinned >"$work/unpinned.dec"
[ -s "$work/pin10.dec" ] && ! grep -qv " 1\.0\.0 " "$work/pin10.dec" && ! grep -qv " 1\.1\.0 " "$work/pin11.dec" &&
  ! cmp -s <(cut -d' ' -f3 "$work/pin10.dec") <(cut -d' ' -f3 "$work/pin11.dec") &&
  echo "ok   pinned runs make their own version's decisions ($(wc -l <"$work/pin10.dec") each; step $(head -1 "$work/pin10.dec" | cut -d' ' -f1): ids $(head -1 "$work/pin10.dec" | cut -d' ' -f3) vs $(head -1 "$work/pin11.dec" | cut -d' ' -f3))" ||
  { cat "$work/pin10.dec" "$work/pin11.dec"; fail "pinned decisions"; }
cmp -s "$work/unpinned.dec" "$work/pin11.dec" && echo "ok   an unpinned run takes 1.1.0 (decisions equal to the ^1.1 run)" ||
  { cat "$work/unpinned.dec"; fail "unpinned is not 1.1.0"; }
train nomatch --set dataflex.component_version=\"^2\" && fail "a pin nothing matches was accepted"
grep -q "dataflex.component_version.*: no version of plugin 'versioned' matches \"^2\"; found 1.0.0 (.*), 1.1.0 (" "$work/nomatch.log" &&
  [ "$(grep -c 'error' "$work/nomatch.log")" = 1 ] && echo "ok   a pin nothing matches: $(grep -o 'error: .*' "$work/nomatch.log" | cut -c1-100)..." ||
  { cat "$work/nomatch.log"; fail "no-match message"; }

# An operator's swap without a rebuild: a folder earlier in DATAFLEX_PLUGIN_PATH supplies the plugin.
mkdir -p "$work/rollback/versioned"
cp -r "$inst/versioned/1.0.0" "$work/rollback/versioned/1.0.0"
DATAFLEX_PLUGIN_PATH="$work/rollback:$inst" "$RUN" "$work/run.toml" --dry-run >"$work/env.log" 2>&1 &&
  grep -q "selector 'versioned' 1.0.0 .*rollback" "$work/env.log" &&
  DATAFLEX_PLUGIN_PATH="$work/rollback:$inst" "$RUN" "$work/run.toml" --dry-run --set dataflex.component_version=\"^1.1\" >"$work/env11.log" 2>&1 &&
  grep -q "selector 'versioned' 1.1.0 .*inst" "$work/env11.log" &&
  echo "ok   DATAFLEX_PLUGIN_PATH's first folder swaps in 1.0.0; a ^1.1 pin falls through to the folder holding 1.1.0" ||
  { cat "$work/env.log" "$work/env11.log"; fail "DATAFLEX_PLUGIN_PATH swap"; }

# --- Resume across versions (rule 3) ----------------------------------------------------------------
# 1.0.0 for 4 steps, then resumed by the unpinned run (1.1.0, which reads 1.0.x state).
train up --set dataflex.component_version=\"1.0.0\" --set training.max_steps=4 || fail "1.0.0 to step 4"
train up || { tail -3 "$work/up.log"; fail "resume 1.0.0 -> 1.1.0"; }
decisions up >"$work/up.dec"
grep -q "takes over the state saved by 'versioned' 1.0.0" "$work/up.log" &&
  [ "$(awk '$1 > 4 {print $2, $4}' "$work/up.dec" | head -1)" = "1.1.0 2.0" ] &&
  python3 -c '
import json, sys
p = json.load(open(sys.argv[1] + "/plugins.json"))["plugins"]
assert [(x["version"], x["from_step"]) for x in p] == [("1.0.0", 0), ("1.1.0", 4)], p' "$work/up" &&
  echo "ok   1.0.0 -> 1.1.0 resumes with the saved state (decision count 2 carried over; plugins.json lists both builds)" ||
  { cat "$work/up.dec"; tail -3 "$work/up.log"; fail "1.0.0 -> 1.1.0"; }

train down --set training.max_steps=4 || fail "1.1.0 to step 4"
cp "$work/down/plugins.json" "$work/down.plugins.before"
sum_before=$(cat "$work/down/checkpoint-4/dataflex_state.json" | sha256sum)
train down --set dataflex.component_version=\"1.0.0\" && fail "1.1.0 -> 1.0.0 was accepted"
grep -q "dataflex_state.json: plugin 'versioned' 1.0.0 cannot read the state saved by 'versioned' 1.1.0 (its manifest declares no plugin.reads_state_from); pin dataflex.component_version = \"1.1.0\" to resume with the build that wrote it, or pass --reset-plugin-state" "$work/down.log" &&
  [ "$(grep -c 'error' "$work/down.log")" = 1 ] && cmp -s "$work/down/plugins.json" "$work/down.plugins.before" &&
  [ "$(cat "$work/down/checkpoint-4/dataflex_state.json" | sha256sum)" = "$sum_before" ] && [ ! -d "$work/down/checkpoint-8" ] &&
  echo "ok   1.1.0 -> 1.0.0 refused with one line naming both; checkpoint and plugins.json untouched" ||
  { tail -3 "$work/down.log"; fail "1.1.0 -> 1.0.0 refusal"; }
"$RUN" --plugin-dir "$inst" "$work/run.toml" --set training.output_dir=\"$work/down\" --set dataflex.component_version=\"1.0.0\" \
  --reset-plugin-state >"$work/down.log" 2>&1 || { tail -3 "$work/down.log"; fail "--reset-plugin-state"; }
decisions down >"$work/down.dec"
[ "$(awk '$1 > 4 {print $2, $4}' "$work/down.dec" | head -1)" = "1.0.0 0.0" ] && grep -q "starts fresh" "$work/down.log" &&
  echo "ok   --reset-plugin-state resumes training with 1.0.0 started fresh (decision count 0)" ||
  { cat "$work/down.dec"; fail "reset plugin state"; }

# --- Trust ------------------------------------------------------------------------------------------
chmod o+w "$inst/versioned/1.1.0"
train insecure && fail "a world-writable plugin folder was accepted"
grep -q "refused: .*/versioned/1.1.0 is writable by every user (mode 0757), so another user could change the plugin's code" "$work/insecure.log" &&
  [ "$(grep -c 'error' "$work/insecure.log")" = 1 ] &&
  echo "ok   a world-writable version folder is refused, not passed over: $(grep -o 'refused: .*' "$work/insecure.log" | cut -c1-90)..." ||
  { cat "$work/insecure.log"; fail "world-writable refusal"; }
"$RUN" --plugin-dir "$inst" plugins list >"$work/list2.txt" 2>&1
grep -Eq "^versioned +selector +1\.1\.0 +1\.4 +insecure " "$work/list2.txt" && echo "ok   plugins list marks it insecure" ||
  { cat "$work/list2.txt"; fail "list insecure"; }
train insecure --allow-insecure-plugins --overwrite && echo "ok   --allow-insecure-plugins runs it" ||
  { tail -3 "$work/insecure.log"; fail "--allow-insecure-plugins"; }
chmod o-w "$inst/versioned/1.1.0"

# Rolling back by removing the newer version: the unpinned run takes 1.0.0.
rm -rf "$inst/versioned/1.1.0"
train removed || { tail -3 "$work/removed.log"; fail "run after removing 1.1.0"; }
decisions removed >"$work/removed.dec"
cmp -s "$work/removed.dec" "$work/pin10.dec" && echo "ok   with 1.1.0 removed, an unpinned run takes 1.0.0 (decisions equal to the pinned 1.0.0 run)" ||
  { cat "$work/removed.dec"; fail "after removing 1.1.0"; }

mkdir -p "$work/swap/versioned"
cp -r "$inst/versioned/1.0.0" "$work/swap/versioned/1.0.0"
swap_run() { "$RUN" --plugin-dir "$work/swap" "$work/run.toml" --set training.output_dir=\"$work/swapped\" "$@" >"$work/swapped.log" 2>&1; }
swap_run --set training.max_steps=4 || fail "swap: first part"
printf 'another build' >>"$work/swap/versioned/1.0.0/libdataflex_versioned.so"  # same version, other bytes
swap_run && fail "a library swapped after its hash was recorded was accepted"
grep -q "the state was saved by 'versioned' 1.0.0 with library SHA-256 [0-9a-f]*, but .* (the same version) now has SHA-256 [0-9a-f]*: the library was swapped after its hash was recorded" "$work/swapped.log" &&
  [ "$(grep -c 'error' "$work/swapped.log")" = 1 ] &&
  echo "ok   a library swapped after its hash was recorded is refused on resume" || { cat "$work/swapped.log"; fail "swapped library"; }
exit $failures
