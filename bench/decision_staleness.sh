#!/usr/bin/env bash
# Issue 16's decision-staleness study: the wall clock a dynamic selector adds over the static run with
# the same steps, with decisions taken synchronously (dataflex.decision_staleness = 0) and beside
# training (1, and STALE steps), and the target metric of each.
#   bash bench/decision_staleness.sh [BUILD_DIR] [OUT_DIR] [SEEDS] [METHOD] [STALE] [THREADS]
# Setup: the selection study's (scripts/selection-study.sh: pre-trained builtin:tiny, the 600-sample
# instruction pool, 80 steps of batch 8, decisions at steps 20, 40, 60 each choosing 160 samples;
# target = eval loss on the held-out target set). It runs the study's "full" (static) and METHOD rows
# first, then METHOD with each staleness. THREADS = 2 (default): the study's 2 training threads, split
# 1 + 1 while a decision is in flight. THREADS = 1: every run trains on one thread and the decision's
# worker gets the second core (a training that does not use every core; rows named "t1").
# CANDIDATES=N (environment): METHOD's decisions each score a fresh random N of the pool
# (dataflex.candidates) instead of all of it, synchronous rows included (rows named "cN").
# PRECISION=bfloat16 (environment): METHOD's signals with bfloat16 linear maps
# (dataflex.signal_precision), synchronous rows included (rows named "bf16").
# Results: the printed table (docs/performance.md).
set -euo pipefail
BUILD=${1:-build} OUT=${2:-runs/staleness-study} SEEDS=${3:-"1 2 3"} METHOD=${4:-loss} STALE=${5:-10} THREADS=${6:-2}
cd "$(dirname "$0")/.."
RUN="$BUILD/bin/dataflex-run"
have_study=1
for seed in $SEEDS; do
  for m in full "$METHOD"; do [ -f "$OUT/runs/${m}_s$seed/all_results.json" ] || have_study=0; done
done
if [ $have_study = 0 ]; then
  METHODS="full $METHOD" bash scripts/selection-study.sh "$BUILD" "$OUT" "$SEEDS" >"$OUT.study.log" 2>&1 ||
    { tail -5 "$OUT.study.log"; exit 1; }
fi
# The variants live beside the study's runs (its report reads every folder of OUT/runs).
V="$OUT/staleness"
mkdir -p "$V"
tag=""
[ "$THREADS" = 2 ] || tag="_t$THREADS"
CANDIDATES=${CANDIDATES:-}
[ -z "$CANDIDATES" ] || tag="${tag}_c$CANDIDATES"
PRECISION=${PRECISION:-}
[ -z "$PRECISION" ] || tag="${tag}_bf16"
variant() {  # FROM NAME STALENESS: the study's config FROM, another folder, threads, staleness (candidates)
  local extra=""
  if [ "${1#full}" = "$1" ]; then  # METHOD's rows only
    [ -z "$CANDIDATES" ] || extra="$extra\ncandidates = $CANDIDATES"
    [ -z "$PRECISION" ] || extra="$extra\nsignal_precision = \"$PRECISION\""
  fi
  sed -e "s|$OUT/runs/$1\"|$V/$2\"|" -e "s|^num_threads = 2$|num_threads = $THREADS|" \
    -e "s|^\[dataflex\]$|[dataflex]\ndecision_staleness = $3\ndecision_threads = 1$extra|" "$OUT/configs/$1.toml" \
    >"$V/$2.toml"
  echo "== $2"
  "$RUN" "$V/$2.toml" --overwrite 2>"$V/$2.log" | tail -1
}
for seed in $SEEDS; do
  if [ -n "$tag" ]; then
    variant "full_s$seed" "full${tag}_s$seed" 0  # static: no candidates line (variant)
    variant "${METHOD}_s$seed" "${METHOD}${tag}_s$seed" 0
  fi
  for s in 1 "$STALE"; do variant "${METHOD}_s$seed" "${METHOD}${tag}_stale${s}_s$seed" "$s"; done
done
/usr/bin/python3 - "$OUT" "$SEEDS" "$METHOD" "$STALE" "$tag" <<'PY'
import json, os, statistics, sys
out, seeds, method, stale, tag = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4], sys.argv[5]
def result(name):
    folder = f"{out}/runs/{name}" if os.path.isdir(f"{out}/runs/{name}") else f"{out}/staleness/{name}"
    with open(f"{folder}/all_results.json") as f:
        return json.load(f)
m = method + tag
rows = [("full (static)", "full" + tag + "_s{}"), (f"{method}, staleness 0", m + "_s{}"),
        (f"{method}, staleness 1", m + "_stale1_s{}"), (f"{method}, staleness {stale}", m + "_stale" + stale + "_s{}")]
base = {s: result(f"full{tag}_s{s}")["train_runtime"] for s in seeds}
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
