#!/usr/bin/env python3
"""The shipped `less` plugin through `dataflex-run plugins run` on recordings of tests/recordings, and on
feature files (its offline workflow).

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

less_subtasks.json: eval examples (1,0), (2,0) form subtask 0 and (0,5) subtask 1; pool features (0,1),
(0.8,0.6), (-1,0), (0.6,0.8). Max over subtasks of the mean cosine scores them 1, 0.8, 0, 0.8 -> selects
[0, 1] (a tie goes to the lower id); the mean over all examples (subtasks = "none") scores 1/3, 0.7333,
-0.6667, 0.6667 -> selects [1, 3].

less_lr_weighted.json: one target (1,0). Decision 0 at learning rate 3 scores the pool 1, 0, 0.6;
decision 1 at rate 1 (new features) scores it 0, 1, 0.8. With history = "lr_weighted" the scores are
(3*1 + 1*0)/4 = 0.75, (0 + 1)/4 = 0.25, (1.8 + 0.8)/4 = 0.65 -> [0, 2]; each decision on its own
(history = "none") picks [1, 2] at decision 1. The same second decision over a candidate pool whose
positions 0, 1, 2 are training samples 2, 0, 1 (pool_sample_ids) scores samples 2, 0, 1 at 0, 1, 0.8:
combined by sample, s0 = (3 + 1)/4 = 1, s1 = (0 + 0.8)/4 = 0.2, s2 = (1.8 + 0)/4 = 0.45, so positions
[1, 0] (samples 0 and 2) are chosen; keyed by pool position instead it would be [0, 2].
"""
import json
import os
import subprocess
import sys
import tempfile

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
failures = []


def run(recording, *extra):
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "less", "--host", recording, *extra],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def check(name, got, want, tol=1e-6):
    ok = len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want))
    print(("ok  " if ok else "FAIL") + f" {name}: {got}" + ("" if ok else f", expected {want}"))
    if not ok:
        failures.append(name)


subtasks = os.path.join(RECORDINGS, "less_subtasks.json")
d = run(subtasks)["decisions"][0]
check("max over subtasks: selected", d["selected"], [0, 1], 0)
check("max over subtasks: scores", d["scores"], [1.0, 0.8])
d = run(subtasks, "--set", "subtasks=\"none\"")["decisions"][0]
check("mean over all: selected", d["selected"], [1, 3], 0)
check("mean over all: scores", d["scores"], [(0.8 + 0.8 + 0.6) / 3, (0.6 + 0.6 + 0.8) / 3])

history = os.path.join(RECORDINGS, "less_lr_weighted.json")
ds = run(history)["decisions"]
check("lr_weighted: decision 0", ds[0]["selected"], [0, 2], 0)
check("lr_weighted: decision 1 selected", ds[1]["selected"], [0, 2], 0)
check("lr_weighted: decision 1 scores", ds[1]["scores"], [0.75, 0.65])
ds = run(history, "--set", "history=\"none\"")["decisions"]
check("no history: decision 1 selected", ds[1]["selected"], [1, 2], 0)
for dtype in ("f16", "int8"):  # the scores move in the last digits only; the choice stays
    ds = run(history, "--set", f"feature_dtype=\"{dtype}\"")["decisions"]
    check(f"lr_weighted at {dtype}: decision 1", ds[1]["selected"], [0, 2], 0)
    check(f"lr_weighted at {dtype}: scores", ds[1]["scores"], [0.75, 0.65], 2e-3)

with open(history) as f:
    rec = json.load(f)
rec["calls"][1]["pool_sample_ids"] = [2, 0, 1]
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump(rec, f)
try:
    ds = run(f.name)["decisions"]
finally:
    os.unlink(f.name)
check("candidate pool keyed by sample: selected", ds[1]["selected"], [1, 0], 0)
check("candidate pool keyed by sample: scores", ds[1]["scores"], [1.0, 0.45])

rec["calls"][1].pop("pool_sample_ids")
del rec["calls"][0]["learning_rate"]
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump(rec, f)
try:
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "less", "--host", f.name],
                         capture_output=True, text=True)
finally:
    os.unlink(f.name)
ok = out.returncode != 0 and "needs each decision's learning rate" in out.stderr
print(("ok  " if ok else "FAIL") + " lr_weighted without a learning rate is refused: " + out.stderr.strip()[-200:])
if not ok:
    failures.append("no learning rate")
# targets_per_subtask = 1: subtask 0 (examples (1,0) and (0,1)) is matched through one of its two
# examples. Through (1,0) the pool scores 1, 0.8, 0, 0.8 -> [0, 1]; through (0,1) it scores 1, 0.6, 0,
# 0.8 -> [0, 3]. The draw follows `seed` only: the same at every run, and both examples are drawn by
# some of eight seeds.
rec = json.load(open(subtasks))
rec["services"]["gradient_features"]["eval"] = [[1, 0], [0, 1], [0, 5]]
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    json.dump(rec, f)
try:
    outcomes = []
    for seed in range(8):
        res = run(f.name, "--set", "targets_per_subtask=1", "--set", f"seed={seed}")
        again = run(f.name, "--set", "targets_per_subtask=1", "--set", f"seed={seed}")
        if res["decisions"] != again["decisions"]:
            failures.append(f"targets_per_subtask seed {seed} not reproducible")
        targets = [m["value"] for m in res["metrics"] if m["name"] == "less.targets"]
        if targets != [2.0]:
            failures.append(f"targets_per_subtask seed {seed}: less.targets {targets}")
        outcomes.append(res["decisions"][0]["selected"])
finally:
    os.unlink(f.name)
ok = all(o in ([0, 1], [0, 3]) for o in outcomes) and [0, 1] in outcomes and [0, 3] in outcomes
print(("ok  " if ok else "FAIL") + f" targets_per_subtask = 1 over seeds 0-7 selects {outcomes}, 2 targets each")
if not ok:
    failures.append("targets_per_subtask outcomes")

# The offline workflow: the same features from .npy files (as `dataflex-run features` writes them).
sys.path.insert(0, os.path.dirname(os.path.abspath(RECORDINGS)))
import npy_tools  # noqa: E402  (tests/npy_tools.py)

with tempfile.TemporaryDirectory() as tmp:
    def save(name, rows):
        path = os.path.join(tmp, name)
        npy_tools.save(path, rows)
        return path

    pool = save("pool.npy", [[0, 1], [0.8, 0.6], [-1, 0], [0.6, 0.8]])
    targets = save("targets.npy", [[1, 0], [2, 0], [0, 5]])
    d = run(subtasks, "--set", f"pool_features=\"{pool}\"", "--set", f"target_features=\"{targets}\"")["decisions"][0]
    check("offline files: selected", d["selected"], [0, 1], 0)
    check("offline files: scores", d["scores"], [1.0, 0.8])
    # Two checkpoints weighted 3 and 1 (LESS's learning rates): the lr_weighted example, offline.
    a = save("a.npy", [[1, 0], [0, 1], [0.6, 0.8]])
    b = save("b.npy", [[0, 1], [1, 0], [0.8, 0.6]])
    t = save("t.npy", [[1, 0]])
    d = run(history, "--set", "history=\"none\"", "--set", f"pool_features=\"{a},{b}\"",
            "--set", f"target_features=\"{t},{t}\"", "--set", "checkpoint_weights=[3.0, 1.0]")["decisions"][0]
    check("offline checkpoints weighted 3:1: selected", d["selected"], [0, 2], 0)
    check("offline checkpoints weighted 3:1: scores", d["scores"], [0.75, 0.65])
    # A file of the wrong size is named.
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "less", "--host", subtasks, "--set",
                          f"pool_features=\"{a}\"", "--set", f"target_features=\"{targets}\""],
                         capture_output=True, text=True)
    ok = out.returncode != 0 and "a.npy: 3 rows, but the training pool has 4 samples" in out.stderr
    print(("ok  " if ok else "FAIL") + " a pool file of the wrong size is refused: " + out.stderr.strip()[-160:])
    if not ok:
        failures.append("wrong size")
sys.exit(1 if failures else 0)
