#!/usr/bin/env python3
"""The shipped `nice` plugin through `dataflex-run plugins run` on tests/recordings/nice_rewards.json.

usage: check_recorded_host.py DATAFLEX_RUN PLUGIN_DIR RECORDINGS_DIR

One target prompt; its two recorded responses have rewards 1 and 0 and summed-NLL gradient features
(1,0,0) and (0,1,0). The target feature is (1*(1,0,0) + 0*(0,1,0)) / 2, unit (1,0,0); the pool's
features (1,0,0), (0,1,0), (0.6,0.8,0) score 1, 0, 0.6 -> selects [0]. With both rewards 1 the target
is (0.5,0.5,0), unit (0.7071,0.7071,0): scores 0.7071, 0.7071, 0.9899 -> [2] (the rewards decide).
With baseline = "mean" the weights are 0.5 and -0.5: target (0.25,-0.25,0), unit (0.7071,-0.7071,0),
scores 0.7071, -0.7071, -0.1414 -> [0] at 0.7071. With rewards 0 and 0 there is no signal: one id at random,
with a warning. A response the recording does not hold, too few
recorded responses, or max_new_tokens below a recorded response's length fail with the file named.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

RUN, PLUGIN_DIR, RECORDINGS = sys.argv[1:4]
failures = []


def run(recording, *extra, expect_ok=True):
    out = subprocess.run([RUN, "--plugin-dir", PLUGIN_DIR, "plugins", "run", "nice", "--host", recording, *extra],
                         capture_output=True, text=True)
    if expect_ok and out.returncode != 0:
        sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
    return out if not expect_ok else json.loads(out.stdout)


def check(name, got, want, tol=1e-6):
    ok = len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want))
    print(("ok  " if ok else "FAIL") + f" {name}: {got}" + ("" if ok else f", expected {want}"))
    if not ok:
        failures.append(name)


def variant(change):
    with open(os.path.join(RECORDINGS, "nice_rewards.json")) as f:
        rec = json.load(f)
    change(rec)
    f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(rec, f)
    f.close()
    return f.name


recording = os.path.join(RECORDINGS, "nice_rewards.json")
d = run(recording)["decisions"][0]
check("reward-weighted target: selected", d["selected"], [0], 0)
check("reward-weighted target: scores", d["scores"], [1.0])

even = variant(lambda r: r["services"]["rewards"].update({"eval": [[1.0, 1.0]]}))
try:
    d = run(even)["decisions"][0]
finally:
    os.unlink(even)
check("equal rewards: selected", d["selected"], [2], 0)
check("equal rewards: scores", d["scores"], [1.4 / math.sqrt(2)])

zero = variant(lambda r: r["services"]["rewards"].update({"eval": [[0.0, 0.0]]}))
try:
    out = run(zero, expect_ok=False)
finally:
    os.unlink(zero)
d = json.loads(out.stdout)["decisions"][0]
ok = out.returncode == 0 and len(d["selected"]) == 1 and 0 <= d["selected"][0] < 3 and "selects at random" in out.stderr
print(("ok  " if ok else "FAIL") + f" no reward signal: a random pick {d['selected']}, warned")
if not ok:
    failures.append("no reward signal")

d = run(recording, "--set", "baseline=\"mean\"")["decisions"][0]
check("mean baseline: selected", d["selected"], [0], 0)
check("mean baseline: scores", d["scores"], [1 / math.sqrt(2)])


def expect_failure(name, path, *extra, needles):
    out = run(path, *extra, expect_ok=False)
    ok = out.returncode != 0 and all(n in out.stderr for n in needles)
    print(("ok  " if ok else "FAIL") + f" {name}: exit {out.returncode}: {out.stderr.strip()}")
    if not ok:
        failures.append(name)


expect_failure("more responses than recorded", recording, "--set", "mc_samples=3",
               needles=["nice_rewards.json", "records 2 responses for sample 0", "asked for 3"])
expect_failure("responses longer than max_new_tokens", recording, "--set", "max_new_tokens=1",
               needles=["nice_rewards.json", "more than the max_new_tokens 1"])
unknown = variant(lambda r: r["services"]["rewards"].update({"eval": "not a table"}))
try:
    expect_failure("malformed rewards", unknown, needles=["services.rewards.eval"])
finally:
    os.unlink(unknown)

if failures:
    sys.exit(f"{len(failures)} check(s) failed: {', '.join(failures)}")
print("all NICE recorded-host checks passed")
