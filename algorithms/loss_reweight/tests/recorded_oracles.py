#!/usr/bin/env python3
"""loss_reweight through `dataflex-run plugins run` and recorded hosts: the oracles, to 1e-6.

usage: recorded_oracles.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR
"""
import json
import subprocess
import sys

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
TOL = 1e-6
failures = 0


def run(recording, *extra):
    cmd = [RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "loss_reweight", "--host", f"{RECORDINGS}/{recording}",
           *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"FAIL {' '.join(cmd)}:\n{done.stderr}")
    return json.loads(done.stdout)


def check(name, got, want):
    global failures
    bad = len(got) != len(want) or any(g is None or abs(g - w) > TOL for g, w in zip(got, want))
    print(f"{'FAIL' if bad else 'ok  '} {name}: got {got}, want {want}")
    failures += bad


# Oracle (task brief): losses [1, 2, 3, 4], delta = temperature = 1.
d = run("loss_reweight_batch4.json")["decisions"][0]  # the manifest's default strategy: linupper
check("linupper weights", d["weights"], [0.119271, 0.232307, 0.324211, 0.324211])
check("linupper weighted loss", [d["weighted_loss"]], [2.853363])

d = run("loss_reweight_batch4_quadratic.json")["decisions"][0]
check("quadratic weights", d["weights"], [0.145670, 0.354330, 0.354330, 0.145670])
check("quadratic weighted loss", [d["weighted_loss"]], [2.5])  # symmetric weights: the batch mean

d = run("loss_reweight_batch4.json", "--set", "strategy=quadratic")["decisions"][0]
check("quadratic weights through --set", d["weights"], [0.145670, 0.354330, 0.354330, 0.145670])

sys.exit(1 if failures else 0)
