#!/usr/bin/env bash
# The third-party path: install DataFlex into a temporary prefix, build the example plugin outside the
# tree against the installed SDK (find_package(DataFlexSDK)), and list and run it with the INSTALLED
# dataflex-run.
set -eu
build=$1 example=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
cmake -S "$example" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/configure.log"
cmake --build "$work/example" >"$work/build.log"

run="$prefix/bin/dataflex-run"
"$run" --plugin-dir "$work/example/plugins" plugins list | tee "$work/list.txt"
grep -Eq "^highest_loss +selector +0.1.0 +1.0 +ok" "$work/list.txt"
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
echo "third-party plugin built against the installed SDK, listed and run by the installed dataflex-run"
