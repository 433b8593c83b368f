#!/usr/bin/env python3
"""The shipped `near` plugin through `dataflex-run plugins run`.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

near_neighbours.json: targets (1,0) and (0,1); pool (0.6,0.8), (1,0), (0,1), (0.8,0.6), (1,0). Target
0's neighbours by cosine are 1, 4 (1.0, ties to the lower id), 3 (0.8), 0 (0.6); target 1's are 2 (1.0),
0 (0.8), 3 (0.6), 1 (0). Four wanted: rank 0 gives 1, 2; rank 1 gives 4, 0 -> [1, 2, 4, 0], scored by
the similarity each was taken at: 1, 1, 1, 0.8.

The original's offline workflow: top_indices.npy written by numpy (/usr/bin/python3, python3-numpy) as
int64 and int32, [[5,3,7],[3,9,5]] over a pool of 10, 4 wanted -> [5, 3, 9, 7] (the issue's oracle);
over a candidate pool whose positions 0..9 are samples 9, 7, 3, 1, 0, 2, 4, 6, 8, 5 the walk is in
training-set ids and the answer in positions: samples 5, 3, 9 for 3 wanted are positions [9, 2, 0]; an
id outside the pool and too few distinct ids are refused with the file and the counts named.
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from recorded_host_check import Check  # noqa: E402

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
c = Check(RUN, PLUGIN_DIR, "near")
run, check, refused = c.run, c.check, c.refused
failures = c.failures


d = run(os.path.join(RECORDINGS, "near_neighbours.json"))["decisions"][0]
check("embedding neighbours: selected", d["selected"], [1, 2, 4, 0], 0)
check("embedding neighbours: scores", d["scores"], [1.0, 1.0, 1.0, 0.8])

# center = "pool": one target (2,2), pool (4.5,2), (2,1), (0.5,1.5), (3,2), all made unit rows by the
# host. As they are, the cosines are 0.9333, 0.9487, 0.8944, 0.9806 -> [3]; minus the unit rows' mean
# they are -0.8791, -0.8446, 0.8247, -0.5815 -> [2].
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump({"seed": 1, "params": {}, "datasets": {"train": {"size": 4, "domains": [0] * 4},
                                                    "eval": {"size": 1, "domains": [0]}},
               "services": {"embeddings": {"train": [[4.5, 2], [2, 1], [0.5, 1.5], [3, 2]], "eval": [[2, 2]]}},
               "calls": [{"step": 1, "num_select": 1}]}, f)
try:
    d = run(f.name)["decisions"][0]
    check("as they are: selected", d["selected"], [3], 0)
    check("as they are: score", d["scores"], [0.9806], 1e-4)
    d = run(f.name, "--set", "center=\"pool\"")["decisions"][0]
    check("centred on the pool: selected", d["selected"], [2], 0)
    check("centred on the pool: score", d["scores"], [0.8247], 1e-4)
    # FAISS's index (when the plugin was built with it) finds the same neighbour on a pool this small.
    for index in ("ivf", "hnsw"):
        out = run(f.name, "--set", f"search=\"{index}\"", expect_ok=False)
        if out.returncode != 0 and "needs FAISS" in out.stderr:
            print(f"skip search = {index}: the plugin was built without FAISS (libfaiss-dev)")
            continue
        if out.returncode != 0:
            sys.exit(f"FAIL search = {index}: {out.stderr.strip()}")
        d = json.loads(out.stdout)["decisions"][0]
        check(f"search = {index}: selected", d["selected"], [3], 0)
        check(f"search = {index}: score", d["scores"], [0.9806], 1e-4)
finally:
    os.unlink(f.name)

numpy_ok = subprocess.run(["/usr/bin/python3", "-c", "import numpy"], capture_output=True).returncode == 0
if not numpy_ok:
    print("skip top_indices.npy cases: /usr/bin/python3 has no numpy (python3-numpy; scripts/install-deps.sh)")
    sys.exit(1 if failures else 0)

with tempfile.TemporaryDirectory() as tmp:
    def npy(name, rows, dtype):
        path = os.path.join(tmp, name)
        subprocess.run(["/usr/bin/python3", "-c", f"import numpy as np; np.save({path!r}, np.array({rows!r}, "
                        f"dtype=np.{dtype}))"], check=True)
        return path

    def recording(calls):
        path = os.path.join(tmp, "pool10.json")
        with open(path, "w") as f:
            json.dump({"seed": 1, "params": {}, "datasets": {"train": {"size": 10, "domains": [0] * 10},
                                                            "eval": {"size": 2, "domains": [0, 0]}},
                       "services": {}, "calls": calls}, f)
        return path

    for dtype in ("int64", "int32"):
        path = npy(f"top_{dtype}.npy", [[5, 3, 7], [3, 9, 5]], dtype)
        d = run(recording([{"step": 1, "num_select": 4}]), "--set", f"indices_path=\"{path}\"")["decisions"][0]
        check(f"top_indices.npy ({dtype}): selected", d["selected"], [5, 3, 9, 7], 0)
    path = npy("top.npy", [[5, 3, 7], [3, 9, 5]], "int64")
    d = run(recording([{"step": 1, "num_select": 3, "pool_sample_ids": [9, 7, 3, 1, 0, 2, 4, 6, 8, 5]}]),
            "--set", f"indices_path=\"{path}\"")["decisions"][0]
    check("top_indices.npy over a candidate pool: positions", d["selected"], [9, 2, 0], 0)
    refused("too few distinct samples", run(recording([{"step": 1, "num_select": 5}]), "--set",
                                             f"indices_path=\"{path}\"", expect_ok=False),
            "holds 4 distinct samples, fewer than the 5 to select")
    bad = npy("bad.npy", [[5, 3], [10, 1]], "int64")
    refused("an id outside the pool", run(recording([{"step": 1, "num_select": 2}]), "--set",
                                          f"indices_path=\"{bad}\"", expect_ok=False),
            "bad.npy: row 1, rank 0 holds sample 10, outside the training pool of 10 samples")
    floats = npy("floats.npy", [[5.0, 3.0]], "float64")
    refused("a float matrix", run(recording([{"step": 1, "num_select": 1}]), "--set",
                                  f"indices_path=\"{floats}\"", expect_ok=False),
            "floats.npy: expected integer data")
sys.exit(1 if failures else 0)
