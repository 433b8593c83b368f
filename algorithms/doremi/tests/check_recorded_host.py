#!/usr/bin/env python3
"""The shipped `doremi` plugin through `dataflex-run plugins run`.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR

The issue's oracle: K = 3, alpha_0 = [0.5, 0.3, 0.2] (initial_proportions), per-token excess losses
clipped at 0 and averaged per domain lambda = [1/3, 1, 0] (the host's observed_excess_losses) ->
alpha_1 = [0.407216, 0.475833, 0.116951]. A second call continues from alpha_1; the running average is
reported as doremi.average.<domain>. Without observed_excess_losses the call fails with a message
naming dataflex.reference_model.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from recorded_host_check import Check  # noqa: E402

RUN, PLUGIN_DIR = sys.argv[1:3]
checker = Check(RUN, PLUGIN_DIR, "doremi", "--set", "initial_proportions=[0.5, 0.3, 0.2]")
run, check = checker.run, checker.check
failures = checker.failures


def update(alpha, lam, eta=1.0, c=1e-3):
    a = [x * math.exp(eta * l) for x, l in zip(alpha, lam)]
    s = sum(a)
    return [(1 - c) * x / s + c / len(a) for x in a]


names = ["news", "fiction", "learned"]
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "doremi.json")
    with open(path, "w") as f:
        json.dump({"seed": 1, "params": {},
                   "datasets": {"train": {"size": 3, "domains": [0, 1, 2], "domain_names": names}},
                   "services": {},
                   "calls": [{"step": 10, "observed_excess_losses": [1 / 3, 1.0, 0.0],
                              "observed_losses": [2.0, 3.0, 1.0], "observed_tokens": [3, 2, 1]},
                             {"step": 20, "observed_excess_losses": [0.5, None, 0.25],
                              "observed_losses": [2.0, None, 1.0], "observed_tokens": [4, 0, 2]}]}, f)
    out = run(path)
    d = out["decisions"]
    check("oracle: alpha_1", d[0]["proportions"], [0.407216, 0.475833, 0.116951])
    a1 = update([0.5, 0.3, 0.2], [1 / 3, 1.0, 0.0])
    a2 = update(a1, [0.5, 0.0, 0.25])  # the unobserved domain counts 0
    check("second call continues from alpha_1 (unobserved domain: lambda 0)", d[1]["proportions"], a2, 1e-9)
    metrics = {m["name"]: m["value"] for m in out.get("metrics", []) if m.get("step") == 20} if "metrics" in out else {}
    if metrics:
        check("running average", [metrics[f"doremi.average.{n}"] for n in names],
              [(x + y) / 2 for x, y in zip(a1, a2)], 1e-9)
    else:
        print("FAIL running average: no metrics in the output")
        failures.append("metrics")

    with open(path, "w") as f:
        json.dump({"seed": 1, "params": {},
                   "datasets": {"train": {"size": 3, "domains": [0, 1, 2], "domain_names": names}},
                   "services": {}, "calls": [{"step": 10, "observed_losses": [2.0, 3.0, 1.0]}]}, f)
    out = run(path, expect_ok=False)
    ok = out.returncode != 0 and "dataflex.reference_model" in out.stderr
    print(("ok  " if ok else "FAIL") + f" no excess losses offered: {out.stderr.strip()[-200:]}")
    if not ok:
        failures.append("no excess")
sys.exit(1 if failures else 0)
