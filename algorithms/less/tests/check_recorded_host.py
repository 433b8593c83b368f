#!/usr/bin/env python3
"""The shipped `less` plugin through `dataflex-run plugins run` on tests/recordings/less_subtasks.json.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

Eval examples (1,0), (2,0) form subtask 0 and (0,5) subtask 1; pool features (0,1), (0.8,0.6), (-1,0),
(0.6,0.8). Max over subtasks of the mean cosine scores them 1, 0.8, 0, 0.8 -> selects [0, 1] (a tie
goes to the lower id); the mean over all examples (subtasks = "none") scores 1/3, 0.7333, -0.6667,
0.6667 -> selects [1, 3].
"""
import json
import os
import subprocess
import sys

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
RECORDING = os.path.join(RECORDINGS, "less_subtasks.json")
failures = []


def run(*extra):
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "less", "--host", RECORDING, *extra],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def check(name, got, want, tol=1e-6):
    ok = len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want))
    print(("ok  " if ok else "FAIL") + f" {name}: {got}" + ("" if ok else f", expected {want}"))
    if not ok:
        failures.append(name)


d = run()["decisions"][0]
check("max over subtasks: selected", d["selected"], [0, 1], 0)
check("max over subtasks: scores", d["scores"], [1.0, 0.8])
d = run("--set", "subtasks=\"none\"")["decisions"][0]
check("mean over all: selected", d["selected"], [1, 3], 0)
check("mean over all: scores", d["scores"], [(0.8 + 0.8 + 0.6) / 3, (0.6 + 0.6 + 0.8) / 3])
sys.exit(1 if failures else 0)
