#!/usr/bin/env bash
# Which build made a run's decisions: output_dir/plugins.json records the plugin's name, version, ABI,
# manifest, library and the SHA-256 of the library's bytes (equal to sha256sum's); every decision line
# names the version and hash; a manifest may pin plugin.library_sha256: a different library is refused
# with one line before its code is loaded, a malformed pin is a manifest error naming the line.
RUN=$1 SRC=$2 PLUGINS=$3
. "$(dirname "$0")/lib.sh"
common=(configs/select_random.toml --set data.max_samples=24 --set data.cutoff_len=64 --set training.max_steps=4
        --set training.save_steps=0 --set dataflex.warmup_step=1 --set dataflex.update_step=2 --set training.num_threads=1)
cp -r "$PLUGINS/random" "$work/random"
lib=$(ls "$work"/random/*.so)
want=$(sha256sum "$lib" | cut -d' ' -f1)

"$RUN" --plugin-dir "$work" "${common[@]}" --set training.output_dir=\"$work/out\" >"$work/out.log" 2>&1 || { tail -3 "$work/out.log"; fail "run"; }
python3 - "$work/out" "$want" <<'PY' && echo "ok   plugins.json and every decision name the build (sha256 ${want:0:12}..., as sha256sum)" || fail "provenance records"
import json, sys
out, want = sys.argv[1], sys.argv[2]
p = json.load(open(out + "/plugins.json"))["plugins"]
assert len(p) == 1 and p[0]["name"] == "random" and p[0]["sha256"] == want and p[0]["version"] == "1.0.0", p
lines = [json.loads(l) for l in open(out + "/decisions.jsonl")]
assert lines and all(l["plugin_sha256"] == want and l["plugin_version"] == "1.0.0" for l in lines), lines[:1]
PY

pin() { sed -i '/^library_sha256/d' "$work/random/plugin.toml"; sed -i "/^library *=/a library_sha256 = \"$1\"" "$work/random/plugin.toml"; }
pin "$(echo "$want" | tr a-f A-F)"
"$RUN" --plugin-dir "$work" "${common[@]}" --set training.output_dir=\"$work/pinned\" >"$work/pinned.log" 2>&1 &&
  echo "ok   a manifest pinning the library's own SHA-256 (upper case) loads it" || { tail -2 "$work/pinned.log"; fail "correct pin refused"; }
other=$(echo -n x | sha256sum | cut -d' ' -f1)
pin "$other"
"$RUN" --plugin-dir "$work" "${common[@]}" --set training.output_dir=\"$work/wrong\" >"$work/wrong.log" 2>&1 && fail "a wrong pin was accepted"
grep -q "has SHA-256 $want but plugin.library_sha256 pins $other (refused" "$work/wrong.log" && [ ! -d "$work/wrong/checkpoint-2" ] &&
  echo "ok   a wrong pin is refused: $(grep -o 'error: .*' "$work/wrong.log" | cut -c1-110)..." || { cat "$work/wrong.log" | tail -2; fail "wrong pin message"; }
pin "not-a-hash"
"$RUN" --plugin-dir "$work" "${common[@]}" --set training.output_dir=\"$work/bad\" >"$work/bad.log" 2>&1 && fail "a malformed pin was accepted"
grep -q "plugin.toml:[0-9]*: 'plugin.library_sha256' = \"not-a-hash\" is not a SHA-256" "$work/bad.log" &&
  echo "ok   a malformed pin is a manifest error naming the line" || { tail -2 "$work/bad.log"; fail "malformed pin message"; }
exit $failures
