#!/usr/bin/env bash
# The deployment path: build the three Debian packages (packaging/build-debs.sh), unpack them into a
# scratch root (dpkg-deb -x) and use that root alone:
# - the packages' Depends are Debian's own packages (LibTorch, OpenBLAS, ...), and apt resolves them;
# - plugins sit in lib/dataflex/plugins/NAME/VERSION/ and the installed dataflex-run finds them;
# - the quickstart runs from the installed share/dataflex (configs and data shipped in the package);
# - the SDK package's example plugin builds, with its unit tests (<dataflex/testing.hpp>), against the
#   installed SDK package alone (find_package(DataFlexSDK) from the root; no package registry), and the
#   installed dataflex-run lists and runs it.
set -eu
build=$1 src=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
SKIP_BUILD=1 bash "$src/packaging/build-debs.sh" "$build" "$work/debs" | tee "$work/debs.txt"
root="$work/root"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
runtime_deb=$(ls "$work"/debs/dataflex_*.deb) plugins_deb=$(ls "$work"/debs/dataflex-plugins_*.deb)
sdk_deb=$(ls "$work"/debs/dataflex-sdk-dev_*.deb)
dpkg-deb -f "$runtime_deb" Depends | tee "$work/depends.txt" | grep -q "libtorch1.13" && grep -q "libopenblas0-pthread" "$work/depends.txt"
dpkg-deb -f "$plugins_deb" Depends | grep -q "^dataflex (>= "
dpkg-deb -f "$sdk_deb" Depends | grep -q "cmake"
# apt resolves the Depends from Debian's archive (a simulation: nothing is installed here).
if apt-get install -s "$runtime_deb" "$plugins_deb" "$sdk_deb" >"$work/apt.txt" 2>&1; then
  grep -q "^Inst dataflex " "$work/apt.txt"
  echo "apt-get install -s: $(grep -c '^Inst' "$work/apt.txt") package(s) would be installed, every dependency resolved"
elif grep -qi "unmet dependencies\|not installable" "$work/apt.txt"; then
  cat "$work/apt.txt"
  exit 1
else
  echo "apt-get install -s could not run here (no package lists?): $(tail -1 "$work/apt.txt")"
fi
for p in random less odm doremi; do ls "$root"/usr/lib/dataflex/plugins/$p/*/plugin.toml >/dev/null; done
[ -f "$root/usr/lib/dataflex/plugins/random/1.0.0/libdataflex_random.so" ]
[ -f "$root/usr/include/dataflex/testing.hpp" ] && [ -f "$root/usr/lib/cmake/DataFlexSDK/DataFlexSDKConfig.cmake" ]

run="$root/usr/bin/dataflex-run"
# The quickstart from the installation (shortened): its config and data come from the package.
(cd "$root/usr/share/dataflex" && "$run" configs/quickstart.toml --set training.max_steps=3 --set data.cutoff_len=64 \
   --set data.val_size=0 --set training.save_steps=0 --set training.num_threads=1 \
   --set training.output_dir=\"$work/quickstart\") >"$work/quickstart.log" 2>&1 || { cat "$work/quickstart.log"; exit 1; }
grep -q "^trained:   3 steps" "$work/quickstart.log"

example="$root/usr/share/doc/dataflex-sdk-dev/examples/third_party_plugin"
cmake -S "$example" -B "$work/example" -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$work/configure.log"
grep -q "^DataFlexSDK_DIR:PATH=$root/usr/lib/cmake/DataFlexSDK$" "$work/example/CMakeCache.txt"
cmake --build "$work/example" >"$work/build.log"
ctest --test-dir "$work/example" --output-on-failure | tee "$work/ctest.log"
grep -q "100% tests passed, 0 tests failed out of 1" "$work/ctest.log"

"$run" --plugin-dir "$work/example/plugins" plugins list --check | tee "$work/list.txt"
grep -Eq "^highest_loss +selector +0.1.0 +1.4 +\* +ok " "$work/list.txt"
# The installed runtime finds the packaged plugins without any --plugin-dir.
grep -Eq "^random +selector +1.0.0 .* ok +$root/usr/lib/dataflex/plugins/random/1.0.0/plugin.toml" "$work/list.txt"
[ "$(nm -D --defined-only "$work/example/plugins/highest_loss/libdataflex_highest_loss.so" | awk '{print $NF}')" = dataflex_plugin_get_api ]

"$run" --plugin-dir "$work/example/plugins" plugins run highest_loss \
  --host "$src/tests/recordings/select_pool10.json" >"$work/run.json"
cat "$work/run.json"
# Recorded losses [2.1, 1.9, 3.5, 0.7, 2.2, 2.8, 1.1, 4.0, 3.3, 0.9]: the four highest are ids 7, 2, 8, 5.
python3 - "$work/run.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert [d["selected"] for d in out["decisions"]] == [[7, 2, 8, 5]] * 2, out
assert out["metrics"][0]["name"] == "highest_loss.cutoff" and abs(out["metrics"][0]["value"] - 2.8) < 1e-6
PY
echo "three .deb files built; unpacked into a scratch root, the quickstart trains from it and the example plugin builds against its SDK package alone"
