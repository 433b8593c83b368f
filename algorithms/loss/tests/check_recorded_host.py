#!/usr/bin/env python3
"""The shipped `loss` plugin through `dataflex-run plugins run` on tests/recordings/loss_*.json.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

Checks, against the issue oracle (losses [0.5, 1, 1.5, 2, 2.5, 3] -> q33 = 1.325, q66 = 2.15;
focus high -> p = [1, 1, 1, 1, 5, 5] / 14):
  - the recorded metrics loss.q33 / loss.q66 and the scores (each pick's loss);
  - the selection frequencies of single draws over many decisions (each decision has its own seed),
    for every focus, within 5 standard deviations of the oracle probabilities;
  - the same seed gives the same output.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
RECORDING = os.path.join(RECORDINGS, "loss_six_samples.json")
LOSSES = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
ORACLE = {  # issue oracle (high); hand-computed from the same terciles (low, medium)
    "high": [1, 1, 1, 1, 5, 5],
    "low": [5, 5, 1, 1, 1, 1],
    "medium": [1, 1, 5, 5, 1, 1],
}
DRAWS = 4200
failures = []


def run(recording, *extra):
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "loss", "--host", recording, *extra],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
    if not ok:
        failures.append(name)


# --- the deterministic parts: metrics and scores ---
result = run(RECORDING)
metrics = {}
for m in result["metrics"]:
    metrics.setdefault(m["name"], []).append(m["value"])
for name, want in (("loss.q33", 1.325), ("loss.q66", 2.15)):
    got = metrics.get(name, [])
    check(f"{name} is {want} at both decisions", len(got) == 2 and all(abs(v - want) < 1e-9 for v in got), str(got))
check("loss.focus_count is 2 (2.5 and 3 lie above q66)", metrics.get("loss.focus_count") == [2.0, 2.0],
      str(metrics.get("loss.focus_count")))
for d in result["decisions"]:
    ids = d["selected"]
    check(f"decision {d['decision_index']}: distinct ids in range", len(set(ids)) == len(ids)
          and all(0 <= i < 6 for i in ids), str(ids))
    check(f"decision {d['decision_index']}: scores are the picks' losses",
          d["scores"] == [LOSSES[i] for i in ids], f"{d['scores']} for {ids}")
check("the same seed gives the same output", run(RECORDING) == result)

# --- the distribution: many single draws, each decision with its own seed ---
with open(RECORDING) as f:
    recording = json.load(f)
recording["calls"] = [{"step": s, "num_select": 1} for s in range(DRAWS)]
with tempfile.TemporaryDirectory() as tmp:
    many = os.path.join(tmp, "loss_many_draws.json")
    with open(many, "w") as f:
        json.dump(recording, f)
    for focus, weights in ORACLE.items():
        counts = [0] * 6
        for d in run(many, "--set", f"focus={focus}")["decisions"]:
            counts[d["selected"][0]] += 1
        total = sum(weights)
        worst = 0.0
        for i in range(6):
            p = weights[i] / total
            z = abs(counts[i] / DRAWS - p) / math.sqrt(p * (1 - p) / DRAWS)
            worst = max(worst, z)
        check(f"focus={focus}: frequencies of {DRAWS} draws match {weights}/{total}", worst < 5.0,
              f"counts {counts}, largest deviation {worst:.2f} sd")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
