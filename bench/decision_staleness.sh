#!/usr/bin/env bash
# Issue 16's decision-staleness study: the wall clock a dynamic selector adds over the static run with
# the same steps, with decisions taken synchronously (dataflex.decision_staleness = 0) and beside
# training (1, and STALE steps), and the target metric of each.
#   bash bench/decision_staleness.sh [BUILD_DIR] [OUT_DIR] [SEEDS] [METHOD] [STALE]
# Setup: the selection study's (scripts/selection-study.sh: pre-trained builtin:tiny, the 600-sample
# instruction pool, 80 steps of batch 8, decisions at steps 20, 40, 60 each choosing 160 samples;
# target = eval loss on the held-out target set). It runs the study's "full" (static) and METHOD rows
# first, then METHOD with each staleness. Results: the printed table (docs/performance.md).
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/staleness-study} SEEDS=${3:-"1 2 3"} METHOD=${4:-loss} STALE=${5:-10}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
METHODS="full $METHOD" bash scripts/selection-study.sh "$BUILD" "$OUT" "$SEEDS" >"$OUT.study.log" 2>&1 ||
  { tail -5 "$OUT.study.log"; exit 1; }
for seed in $SEEDS; do
  for s in 1 "$STALE"; do
    name=${METHOD}_stale${s}_s$seed
    # The study's config of METHOD, another folder, decisions applied s steps after their snapshot.
    sed -e "s|runs/${METHOD}_s$seed\"|runs/$name\"|" -e "s|^\[dataflex\]$|[dataflex]\ndecision_staleness = $s|" \
      "$OUT/configs/${METHOD}_s$seed.toml" >"$OUT/configs/$name.toml"
    echo "== $name"
    "$RUN" "$OUT/configs/$name.toml" --overwrite 2>"$OUT/runs/$name.log" | tail -1
  done
done
/usr/bin/python3 - "$OUT" "$SEEDS" "$METHOD" "$STALE" <<'PY'
import json, statistics, sys
out, seeds, method, stale = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
def result(name):
    with open(f"{out}/runs/{name}/all_results.json") as f:
        return json.load(f)
rows = [("full (static)", "full_s{}"), (f"{method}, staleness 0", method + "_s{}"),
        (f"{method}, staleness 1", method + "_stale1_s{}"), (f"{method}, staleness {stale}", method + "_stale" + stale + "_s{}")]
base = {s: result(f"full_s{s}")["train_runtime"] for s in seeds}
print("| run | training wall clock (s) | overhead over static | target eval loss |")
print("| --- | ---: | ---: | ---: |")
for label, pattern in rows:
    r = [result(pattern.format(s)) for s in seeds]
    t = [x["train_runtime"] for x in r]
    over = [100 * (x["train_runtime"] / base[s] - 1) for x, s in zip(r, seeds)]
    loss = [x["eval_loss"] for x in r]
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    print(f"| {label} | {statistics.mean(t):.1f} ± {sd(t):.1f} | {statistics.mean(over):+.1f} % ± {sd(over):.1f} "
          f"| {statistics.mean(loss):.4f} ± {sd(loss):.4f} |")
PY
