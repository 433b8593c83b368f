#!/usr/bin/env python3
"""ODM through `dataflex-run plugins run` and recorded hosts: the oracles, to 1e-6.

usage: recorded_oracles.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR
"""
import json
import subprocess
import sys

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
TOL = 1e-6
failures = 0


def run(recording, *extra):
    cmd = [RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "odm", "--host", f"{RECORDINGS}/{recording}", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"FAIL {' '.join(cmd)}:\n{done.stderr}")
    return json.loads(done.stdout)


def metrics_at(out, step):
    return {m["name"]: m["value"] for m in out["metrics"] if m["step"] == step}


def check(name, got, want):
    global failures
    bad = len(got) != len(want) or any(g is None or abs(g - w) > TOL for g, w in zip(got, want))
    print(f"{'FAIL' if bad else 'ok  '} {name}: got {got}, want {want}")
    failures += bad


# Oracle (task brief): smoothed_mean, K = 3, alpha = 0.9, losses {0:3,1:2}, {2:4,0:2.5}, {1:2.2,2:3.5},
# {0:2}, {1:3,2:1}, t counting from 1.
out = run("odm_smoothed_mean_oracle.json")
rewards = ["odm.reward.news", "odm.reward.fiction", "odm.reward.learned"]
m1, m4 = metrics_at(out, 10), metrics_at(out, 40)
check("smoothed_mean R after call 1", [m1.get(n) for n in rewards], [2.008554, 0.738906, 0.0])
check("smoothed_mean R after call 4", [m4.get(n) for n in rewards], [3.462259, 1.567516, 8.225379])
check("smoothed_mean pi after call 4", out["decisions"][3]["proportions"], [0.326677, 0.313487, 0.359836])
check("smoothed_mean eps after call 4", [m4.get("odm.epsilon")], [0.302574])
check("smoothed_mean pi of calls 1-3 uniform", sum((d["proportions"] for d in out["decisions"][:3]), []), [1 / 3] * 9)
check("smoothed_mean state is kept", [float(out["state_bytes"] > 0)], [1.0])

# Hand-computed (algorithms/odm/odm_test.cpp, OdmExp3.*): the default variant, K = 2, alpha = 0.9; the
# first call carries losses, so it computes Algorithm 1's pi_2.
out = run("odm_exp3_two_domains.json")
check("exp3 pi after call 2", out["decisions"][1]["proportions"], [0.5249562, 0.4750438])
check("exp3 pi after call 4", out["decisions"][3]["proportions"], [0.4889718, 0.5110282])
m4 = metrics_at(out, 40)
check("exp3 R after call 4", [m4.get("odm.reward.news"), m4.get("odm.reward.fiction")], [1.0500123, 1.3667812])

sys.exit(1 if failures else 0)
