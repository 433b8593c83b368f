#!/usr/bin/env python3
"""The shipped `delta_loss` plugin through `dataflex-run plugins run` on tests/recordings/delta_loss_*.json.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

delta_loss_issue_windows.json (issue oracle): N = 100, U = max_decisions = 5, w = 0.2; later calls
override the losses so that Δ_i = loss_then - loss_now = s_c (100 - i), positive and descending by id,
so ranking position = sample id. Windows for c = 2..5 must be [6,26), [40,60), [73,93), [79,99)
(c = 1 draws uniformly and has no window); most picks fall inside.

delta_loss_negative_delta.json (hand-computed): N = 10, U = 3, w = 0.5. Call 2: Δ = 0.6 .. 0.1 for
ids 0..5, negative for 6..8, NaN for 9 -> the window [2, 7) is cut at position 6 to [2, 6). Call 3:
every loss went up -> the window [4, 9) is cut before it starts: empty, and the draw is uniform.
"""
import json
import os
import subprocess
import sys

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
failures = []
WINDOW_METRICS = ("delta_loss.window_start", "delta_loss.window_end")


def run(name, *extra):
    recording = os.path.join(RECORDINGS, name)
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "delta_loss", "--host", recording, *extra],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
    if not ok:
        failures.append(name)


def metrics_by_step(result):
    by_step = {}
    for m in result["metrics"]:
        by_step.setdefault(m["step"], {})[m["name"]] = m["value"]
    return by_step


# --- the issue oracle ---
result = run("delta_loss_issue_windows.json")
metrics = metrics_by_step(result)
decisions = result["decisions"]
check("five decisions of 10 distinct ids", len(decisions) == 5 and all(
    len(d["selected"]) == 10 and len(set(d["selected"])) == 10 for d in decisions))
first = decisions[0]
check("decision 1 records no window (it draws uniformly)", "delta_loss.window_start" not in metrics[first["step"]],
      str(metrics[first["step"]]))
oracle = {2: (6, 26), 3: (40, 60), 4: (73, 93), 5: (79, 99)}
inside_total = 0
for d in decisions[1:]:
    m = metrics[d["step"]]
    c = int(m["delta_loss.update"])
    start, end = oracle[c]
    check(f"c = {c}: window [{start}, {end})", (m["delta_loss.window_start"], m["delta_loss.window_end"]) == (start, end),
          f"[{m['delta_loss.window_start']}, {m['delta_loss.window_end']})")
    check(f"c = {c}: U = 5, u = {(c - 1) / 4}", m["delta_loss.num_updates"] == 5 and abs(m["delta_loss.progress"] - (c - 1) / 4) < 1e-12)
    inside = sum(start <= i < end for i in d["selected"])  # ranking position = id here
    inside_total += inside
    check(f"c = {c}: most picks inside the window", inside >= 6 and m["delta_loss.in_window"] == inside,
          f"{inside}/10 inside, metric {m['delta_loss.in_window']}")
    s = 0.01 + 0.005 * (c - 2)
    check(f"c = {c}: scores are the picks' Δ = {s:g} (100 - id)",
          all(abs(score - s * (100 - i)) < 1e-4 for i, score in zip(d["selected"], d["scores"])))
check("picks inside the window over decisions 2..5: at least 3/4", inside_total >= 30, f"{inside_total}/40")
check("state holds 100 float losses after a 32-byte header", result["state_bytes"] == 32 + 4 * 100,
      str(result["state_bytes"]))
check("the same seed gives the same output", run("delta_loss_issue_windows.json") == result)
other = run("delta_loss_issue_windows.json", "--seed", "8")
check("another seed gives other picks", [d["selected"] for d in other["decisions"]] != [d["selected"] for d in decisions])
check("another seed gives the same windows", [m for m in other["metrics"] if m["name"] in WINDOW_METRICS]
      == [m for m in result["metrics"] if m["name"] in WINDOW_METRICS])

# --- cut at the first negative Δ; an empty window ---
result = run("delta_loss_negative_delta.json")
metrics = metrics_by_step(result)
d2, d3 = result["decisions"][1], result["decisions"][2]
m2, m3 = metrics[d2["step"]], metrics[d3["step"]]
check("call 2: window [2, 7) cut at the first negative Δ (position 6) to [2, 6)",
      (m2["delta_loss.window_start"], m2["delta_loss.window_end"], m2["delta_loss.first_negative"]) == (2, 6, 6), str(m2))
check("call 3: all Δ negative -> empty window at 4",
      (m3["delta_loss.window_start"], m3["delta_loss.window_end"], m3["delta_loss.first_negative"]) == (4, 4, 0), str(m3))
check("call 3: still 3 distinct ids", len(set(d3["selected"])) == 3 and m3["delta_loss.in_window"] == 0,
      str(d3["selected"]))

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
