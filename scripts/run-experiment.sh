#!/usr/bin/env bash
# The small experiment of docs/results.md: on the shipped multi-domain data (3 Brown genres, C headers,
# man pages), same model (builtin:tiny), steps and seed:
#   ODM (mix_odm)                 vs the static uniform mixture (static_mixture)
#   loss reweighting (weight_loss_reweight) vs uniform weights (weight_uniform)
# Reports the average and worst per-domain validation perplexity and the wall-clock overhead.
#   bash scripts/run-experiment.sh [BUILD_DIR] [OUT_DIR] [extra --set options...]
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/experiment}
shift $(( $# > 2 ? 2 : $# ))
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
mkdir -p "$OUT"
for cfg in static_mixture mix_odm weight_uniform weight_loss_reweight; do
  echo "== $cfg"
  "$RUN" "configs/$cfg.toml" --overwrite --set training.output_dir=\"$OUT/$cfg\" "$@" 2>"$OUT/$cfg.log" | tail -2
done
/usr/bin/env python3 - "$OUT" <<'PY'
import json, math, os, sys
out = sys.argv[1]
def result(name):
    r = json.load(open(os.path.join(out, name, "all_results.json")))
    dom = {k[5:-5]: math.exp(v) for k, v in r.items() if k.startswith("eval_") and k.endswith("_loss") and k != "eval_loss"}
    return r, dom
rows = []
for base, dyn in (("static_mixture", "mix_odm"), ("weight_uniform", "weight_loss_reweight")):
    for name in (base, dyn):
        r, dom = result(name)
        rows.append((name, r["train_runtime"], sum(dom.values()) / len(dom), max(dom.values()), max(dom, key=dom.get), dom))
print()
print("| run | train time (s) | mean per-domain val ppl | worst per-domain val ppl (domain) |")
print("| --- | ---: | ---: | ---: |")
for name, t, mean, worst, wd, _ in rows:
    print(f"| {name} | {t:.1f} | {mean:.3f} | {worst:.3f} ({wd}) |")
print()
doms = list(rows[0][5])
print("| run | " + " | ".join(doms) + " |")
print("| --- | " + " | ".join("---:" for _ in doms) + " |")
for name, *_, dom in rows:
    print(f"| {name} | " + " | ".join(f"{dom[d]:.3f}" for d in doms) + " |")
print()
t = {r[0]: r[1] for r in rows}
print(f"wall-clock overhead: mix_odm over static_mixture {100 * (t['mix_odm'] / t['static_mixture'] - 1):+.1f}%, "
      f"weight_loss_reweight over weight_uniform {100 * (t['weight_loss_reweight'] / t['weight_uniform'] - 1):+.1f}%")
PY
