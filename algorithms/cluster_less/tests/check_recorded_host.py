#!/usr/bin/env python3
"""The shipped `cluster_less` plugin through `dataflex-run plugins run` on
tests/recordings/cluster_less_two_clusters.json.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

Six pool samples whose (unit) embeddings form two tight groups, around (1,0) for ids 0, 2, 4 and
around (0,1) for ids 1, 3, 5; num_clusters = 2. Gradient features: blob A's samples point along the target (1,0) -- (1,0),
(0.8,0.6), (1,0) -- and blob B's across it -- (0,1), (-0.6,0.8), (0,1). With two representatives per
cluster nearest their centroid (A: ids 0 and 2, at squared distances 2.5e-5 and 0.0108 against id 4's 0.0115; B: ids 1 and 3), cluster A's
feature is the unit mean of (1,0) and (0.8,0.6) = (0.9487, 0.3162), score 0.9487; cluster B's is the
unit mean of (0,1) and (-0.6,0.8) = (-0.3162, 0.9487), score -0.3162. Every member of A scores 0.9487,
so num_select = 3 picks ids [0, 2, 4]. The partition is kept in the plugin's state: a second decision
on the same pool does not ask for embeddings again (the recording's second call drops them).
"""
import json
import math
import os
import subprocess
import sys

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
RECORDING = os.path.join(RECORDINGS, "cluster_less_two_clusters.json")
failures = []


def run(*extra):
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "cluster_less", "--host", RECORDING,
                          *extra], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def check(name, got, want, tol=1e-5):
    ok = len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want))
    print(("ok  " if ok else "FAIL") + f" {name}: {got}" + ("" if ok else f", expected {want}"))
    if not ok:
        failures.append(name)


a = 1.8 / math.sqrt(1.8 ** 2 + 0.6 ** 2)
for method in ("kmeans", "spherical_kmeans", "farthest_first"):
    out = run("--set", f"clustering=\"{method}\"")
    for i, d in enumerate(out["decisions"]):
        check(f"{method}: decision {i} selected", d["selected"], [0, 2, 4], 0)
        check(f"{method}: decision {i} scores", d["scores"], [a, a, a])
    clustered = [m["step"] for m in out["metrics"] if m["name"] == "cluster_less.clusters"]
    check(f"{method}: clustered once (at step 10), the partition kept", clustered, [10], 0)
sys.exit(1 if failures else 0)
