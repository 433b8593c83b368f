#!/usr/bin/env python3
"""The shipped `tsds` plugin through `dataflex-run plugins run`.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR

The issue's oracle on recorded embeddings (normalize = false keeps them as given): one target at 0, a
pool of 50 whose samples 0..4 lie at 0, 1, 2, 3, 4 and the rest at 100 and beyond, so K = 50 / 10 = 5
neighbours at distances [0, 1, 2, 3, 4]; sigma = 0 makes rho = 1; C = 1. alpha = 0.2 gives samples
0, 1, 2 probability 1/3 each and no other sample any; alpha = 0.5 puts all the mass on sample 0.

The density: one target at (0, 0); samples 0, 1, 2 are one point (0.1, 0), sample 3 is (0, 0.3), the
rest are far. sigma = 0.5, kde_k = 5: rho = 3 + (1 - 0.1/0.25) = 3.6 for the copies, 1 + 3 * 0.6 = 2.8
for sample 3. alpha = 0 climbs to rank K - 2 = 3: s = 3/3.6 + 1/2.8, each copy gets 1/(3.6 s) = 0.2333
and sample 3 gets 1/(2.8 s) = 0.3. Without the density (sigma = 0) each gets 0.25.

The original's offline workflow: tsds_probs.npy written by numpy (/usr/bin/python3, python3-numpy).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from recorded_host_check import Check  # noqa: E402

RUN, PLUGIN_DIR = sys.argv[1:3]
c = Check(RUN, PLUGIN_DIR, "tsds")
run, check, refused = c.run, c.check, c.refused
failures = c.failures


def by_id(decision):
    """(ids, scores) sorted by id: the draw's order depends on the seed, the set and scores do not."""
    pairs = sorted(zip(decision["selected"], decision["scores"]))
    return [p[0] for p in pairs], [p[1] for p in pairs]


def recording(path, train, evals, calls, seed=1):
    with open(path, "w") as f:
        json.dump({"seed": seed, "params": {}, "datasets": {"train": {"size": len(train), "domains": [0] * len(train)},
                                                          "eval": {"size": len(evals), "domains": [0] * len(evals)}},
                   "services": {"embeddings": {"train": train, "eval": evals}}, "calls": calls}, f)
    return path


with tempfile.TemporaryDirectory() as tmp:
    line = [[float(x)] for x in range(5)] + [[100.0 + i] for i in range(45)]
    oracle = recording(os.path.join(tmp, "oracle.json"), line, [[0.0]], [{"step": 1, "num_select": 3}])
    common = ["--set", "normalize=false", "--set", "sigma=0.0", "--set", "c=1.0"]
    ids, scores = by_id(run(oracle, *common, "--set", "alpha=0.2")["decisions"][0])
    check("oracle alpha 0.2: selected", ids, [0, 1, 2], 0)
    check("oracle alpha 0.2: probabilities", scores, [1 / 3] * 3)
    for index in ("ivf", "hnsw"):  # FAISS's index, when built in: exact on a pool this small
        out = run(oracle, *common, "--set", "alpha=0.2", "--set", f"search=\"{index}\"", expect_ok=False)
        if out.returncode != 0 and "needs FAISS" in out.stderr:
            print(f"skip search = {index}: the plugin was built without FAISS (libfaiss-dev)")
            continue
        if out.returncode != 0:
            sys.exit(f"FAIL search = {index}: {out.stderr.strip()}")
        ids, scores = by_id(json.loads(out.stdout)["decisions"][0])
        check(f"oracle alpha 0.2, search = {index}", ids + scores, [0, 1, 2] + [1 / 3] * 3)
    one = recording(os.path.join(tmp, "one.json"), line, [[0.0]], [{"step": 1, "num_select": 1}])
    d = run(one, *common, "--set", "alpha=0.5")["decisions"][0]
    check("oracle alpha 0.5: selected", d["selected"], [0], 0)
    check("oracle alpha 0.5: probability", d["scores"], [1.0])
    four = recording(os.path.join(tmp, "four.json"), line, [[0.0]], [{"step": 1, "num_select": 4}])
    refused("more than the support", run(four, *common, "--set", "alpha=0.2", expect_ok=False),
            "TSDS gives 3 pool samples a non-zero probability, fewer than the 4 to select")
    # With duplicates allowed (k above the pool) the paper's multinomial draw repeats samples.
    many = recording(os.path.join(tmp, "many.json"), line[:5] + [[100.0 + i] for i in range(15)], [[0.0]],
                     [{"step": 1, "num_select": 30, "allow_duplicates": True}])
    d = run(many, *common, "--set", "alpha=0.5")["decisions"][0]
    check("duplicates allowed: every draw is the one sample with mass", d["selected"], [0] * 30, 0)

    cloud = [[0.1, 0.0]] * 3 + [[0.0, 0.3]] + [[50.0 + i, 50.0] for i in range(46)]
    dens = recording(os.path.join(tmp, "density.json"), cloud, [[0.0, 0.0]], [{"step": 1, "num_select": 4}])
    s = 3 / 3.6 + 1 / 2.8
    d = run(dens, "--set", "normalize=false", "--set", "sigma=0.5", "--set", "alpha=0.0")["decisions"][0]
    ids, scores = by_id(d)
    check("density: selected", ids, [0, 1, 2, 3], 0)
    check("density: near-duplicates share their mass", scores, [1 / (3.6 * s)] * 3 + [1 / (2.8 * s)])
    ids, scores = by_id(run(dens, "--set", "normalize=false", "--set", "sigma=0.0", "--set", "alpha=0.0")["decisions"][0])
    check("no density: equal shares", scores, [0.25] * 4)
    first = run(dens, "--set", "normalize=false", "--set", "sigma=0.5", "--set", "alpha=0.0")["decisions"][0]
    check("same seed, same draw", first["selected"], d["selected"], 0)

    if subprocess.run(["/usr/bin/python3", "-c", "import numpy"], capture_output=True).returncode != 0:
        print("skip tsds_probs.npy cases: /usr/bin/python3 has no numpy (python3-numpy; scripts/install-deps.sh)")
        sys.exit(1 if failures else 0)

    def npy(name, values, dtype="float64"):
        path = os.path.join(tmp, name)
        subprocess.run(["/usr/bin/python3", "-c", f"import numpy as np; np.save({path!r}, np.array({values!r}, "
                        f"dtype=np.{dtype}))"], check=True)
        return path

    ten = [[float(i)] for i in range(10)]
    probs = [0, 0, 0.5, 0, 0.25, 0, 0, 0, 0.25, 0]
    for dtype in ("float64", "float32"):
        path = npy(f"probs_{dtype}.npy", probs, dtype)
        rec = recording(os.path.join(tmp, "file.json"), ten, [[0.0]], [{"step": 1, "num_select": 3}])
        ids, scores = by_id(run(rec, "--set", f"probs_path=\"{path}\"")["decisions"][0])
        check(f"tsds_probs.npy ({dtype}): selected", ids, [2, 4, 8], 0)
        check(f"tsds_probs.npy ({dtype}): probabilities", scores, [0.5, 0.25, 0.25])
    path = npy("probs.npy", probs)
    rec = recording(os.path.join(tmp, "cand.json"), ten, [[0.0]],
                    [{"step": 1, "num_select": 2, "pool_size": 5, "pool_sample_ids": [9, 8, 1, 2, 0]}])
    ids, scores = by_id(run(rec, "--set", f"probs_path=\"{path}\"")["decisions"][0])
    check("tsds_probs.npy over a candidate pool: positions of samples 8 and 2", ids, [1, 3], 0)
    short = npy("short.npy", probs[:9])
    refused("one probability per training sample", run(rec, "--set", f"probs_path=\"{short}\"", expect_ok=False),
            "short.npy: 9 probabilities, expected one per training sample (10)")
    negative = npy("negative.npy", [0.5, -0.1] + [0.1] * 8)
    refused("a negative probability", run(rec, "--set", f"probs_path=\"{negative}\"", expect_ok=False),
            "negative.npy: entry 1 is -0.100000, expected a finite probability >= 0")
    matrix = npy("matrix.npy", [probs], "float64")
    refused("a matrix", run(rec, "--set", f"probs_path=\"{matrix}\"", expect_ok=False),
            "matrix.npy: expected a 1-D shape (n,), found (1, 10)")
sys.exit(1 if failures else 0)
