#!/usr/bin/env bash
# The third-party path: install DataFlex into a temporary prefix, build the example plugin and its unit
# tests (<dataflex/testing.hpp>) outside the tree against the installed SDK (find_package(DataFlexSDK)),
# run the tests, and list and run the plugin with the INSTALLED dataflex-run.
set -eu
build=$1 example=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
cmake -S "$example" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
cmake --build "$work/example" >"$work/build.log"
ctest --test-dir "$work/example" --output-on-failure | tee "$work/ctest.log"
grep -q "100% tests passed, 0 tests failed out of 1" "$work/ctest.log"

run="$prefix/bin/dataflex-run"
"$run" --plugin-dir "$work/example/plugins" plugins list | tee "$work/list.txt"
grep -Eq "^highest_loss +selector +0.1.0 +1.4 +ok" "$work/list.txt"
# The installed runtime finds its own shipped plugins without any --plugin-dir.
grep -Eq "^random +selector .* ok +$prefix/" "$work/list.txt"
[ "$(nm -D --defined-only "$work/example/plugins/highest_loss/libdataflex_highest_loss.so" | awk '{print $NF}')" = dataflex_plugin_get_api ]

"$run" --plugin-dir "$work/example/plugins" plugins run highest_loss \
  --host "$(dirname "$0")/../recordings/select_pool10.json" >"$work/run.json"
cat "$work/run.json"
# Recorded losses [2.1, 1.9, 3.5, 0.7, 2.2, 2.8, 1.1, 4.0, 3.3, 0.9]: the four highest are ids 7, 2, 8, 5.
python3 - "$work/run.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert [d["selected"] for d in out["decisions"]] == [[7, 2, 8, 5]] * 2, out
assert out["metrics"][0]["name"] == "highest_loss.cutoff" and abs(out["metrics"][0]["value"] - 2.8) < 1e-6
PY
# The installed dataflex-run finds its training engine (lib/dataflex/libdataflex_engine.so) and trains.
src=$(cd "$(dirname "$0")/../.." && pwd)
(cd "$src" && "$run" configs/quickstart.toml --set training.max_steps=2 --set data.max_samples=8 --set data.cutoff_len=32 \
   --set data.val_size=0 --set training.save_steps=0 --set training.num_threads=1 \
   --set training.output_dir=\"$work/train\") >"$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
grep -q "^trained:   2 steps" "$work/train.log"
echo "third-party plugin built and unit-tested against the installed SDK, listed and run by the installed dataflex-run, which trains"
