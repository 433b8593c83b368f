#!/usr/bin/env python3
"""The mixture study's table (scripts/mixture-study.sh; docs/results.md, "Mixture study").

usage: mixture_study.py RUNS_DIR "SEEDS"

Reads every run's all_results.json (per-domain held-out losses, train time) and decisions.jsonl
(proportions over time) and prints markdown: per-domain, mean and worst-domain perplexity as mean +-
std over the seeds, train time and its overhead against the run it is compared with, and the
proportions of ODM and of DoReMi's proxy at a few decision steps (mean over seeds), with DoReMi's
averaged weights.
"""
import json
import math
import os
import statistics
import sys

RUNS, SEEDS = sys.argv[1], sys.argv[2].split()
DOMAINS = ["brown_news", "brown_fiction", "brown_learned", "code_c", "man_pages"]
# row name -> (folder pattern, what its time is compared with)
ROWS = {
    "natural": ("natural_s{}", None),
    "uniform (DoReMi reference)": ("doremi_s{}/reference", None),
    "ODM": ("odm_s{}", "uniform (DoReMi reference)"),
    "ADAPT": ("adapt_s{}", "natural"),
    "DoReMi proxy": ("doremi_s{}/proxy", "uniform (DoReMi reference)"),
    "DoReMi final": ("doremi_s{}/final", None),
}


def load(path):
    with open(path) as f:
        return json.load(f)


def mean_std(values):
    if not values:
        return "n/a"
    m = statistics.mean(values)
    s = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{m:.2f} ± {s:.2f}"


results = {}
for row, (pattern, _) in ROWS.items():
    for seed in SEEDS:
        path = os.path.join(RUNS, pattern.format(seed), "all_results.json")
        if os.path.exists(path):
            results.setdefault(row, {})[seed] = load(path)

print("| run | " + " | ".join(DOMAINS) + " | mean ppl | worst ppl (domain) | train s | time vs |")
print("| --- |" + " ---: |" * (len(DOMAINS) + 3) + " --- |")
times = {row: [r["train_runtime"] for r in by_seed.values()] for row, by_seed in results.items()}
for row, (pattern, versus) in ROWS.items():
    by_seed = results.get(row)
    if not by_seed:
        continue
    per_domain = {d: [math.exp(r[f"eval_{d}_loss"]) for r in by_seed.values()] for d in DOMAINS}
    means = [statistics.mean(math.exp(r[f"eval_{d}_loss"]) for d in DOMAINS) for r in by_seed.values()]
    worst = [max(math.exp(r[f"eval_{d}_loss"]) for d in DOMAINS) for r in by_seed.values()]
    worst_domain = statistics.mode(
        max(DOMAINS, key=lambda d: r[f"eval_{d}_loss"]) for r in by_seed.values())
    overhead = ""
    if versus and times.get(versus):
        ratios = []
        for seed in by_seed:
            if seed in results.get(versus, {}):
                ratios.append(by_seed[seed]["train_runtime"] / results[versus][seed]["train_runtime"] - 1)
        if ratios:
            overhead = f"{100 * statistics.mean(ratios):+.1f} % vs {versus.split(' ')[0]}"
    cells = [mean_std(per_domain[d]) for d in DOMAINS]
    print(f"| {row} | " + " | ".join(cells) +
          f" | {mean_std(means)} | {mean_std(worst)} ({worst_domain}) | {mean_std(times[row])} | {overhead} |")
print(f"\n{len(SEEDS)} seed(s): {' '.join(SEEDS)}; perplexity = exp(held-out loss per domain), mean ± std over seeds.")


def trajectories(pattern):
    """{step: [proportions per seed]} from the runs' mixture decisions."""
    out = {}
    for seed in SEEDS:
        path = os.path.join(RUNS, pattern.format(seed), "decisions.jsonl")
        if not os.path.exists(path):
            continue
        for line in open(path):
            d = json.loads(line)
            if d.get("kind") == "mixture":
                out.setdefault(d["step"], []).append([d["proportions"][k] for k in DOMAINS])
    return out


for name, pattern in (("ODM", "odm_s{}"), ("DoReMi proxy (alpha_t)", "doremi_s{}/proxy")):
    traj = trajectories(pattern)
    if not traj:
        continue
    steps = sorted(traj)
    shown = sorted({steps[0], steps[len(steps) // 4], steps[len(steps) // 2], steps[3 * len(steps) // 4], steps[-1]})
    print(f"\n{name}: proportions at decision steps (mean over seeds)\n")
    print("| step | " + " | ".join(DOMAINS) + " |")
    print("| ---: |" + " ---: |" * len(DOMAINS))
    for step in shown:
        avg = [statistics.mean(p[i] for p in traj[step]) for i in range(len(DOMAINS))]
        print(f"| {step} | " + " | ".join(f"{a:.3f}" for a in avg) + " |")

weights = []
for seed in SEEDS:
    path = os.path.join(RUNS, f"doremi_s{seed}/proxy/doremi_weights.toml")
    if os.path.exists(path):
        w = {}
        for line in open(path):
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=")
                w[k.strip().strip('"')] = float(v)
        weights.append([w[d] for d in DOMAINS])
if weights:
    print("\nDoReMi averaged weights (the final run's mixture), per seed:\n")
    print("| seed | " + " | ".join(DOMAINS) + " |")
    print("| --- |" + " ---: |" * len(DOMAINS))
    for seed, w in zip(SEEDS, weights):
        print(f"| {seed} | " + " | ".join(f"{x:.3f}" for x in w) + " |")
