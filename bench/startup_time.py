#!/usr/bin/env python3
"""Start-up time of dataflex-run's light commands: wall clock and CPU (user + system), median of N runs.

    bench/startup_time.py [--runs N] NAME=PATH/TO/dataflex-run [NAME=...]

Run from the source folder (the recording is tests/recordings/select_pool10.json). Compare builds by
giving several binaries, e.g. the commit before the reshape (built into another folder) and this one:
    bench/startup_time.py before=/tmp/old/build/bin/dataflex-run after=build/bin/dataflex-run
Results: docs/performance.md.
"""
import argparse
import os
import resource
import statistics
import subprocess
import time

COMMANDS = {
    "version": ["version"],
    "plugins run": ["plugins", "run", "random", "--host", "tests/recordings/select_pool10.json"],
    "plugins list": ["plugins", "list"],
    "config keys": ["config", "keys"],
    "--dry-run": ["--dry-run", "configs/select_loss.toml"],
}


def measure(binary, args, runs):
    walls, cpus = [], []
    env = dict(os.environ)
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([binary] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("binaries", nargs="+", help="NAME=PATH")
    o = ap.parse_args()
    builds = [b.split("=", 1) for b in o.binaries]
    print(f"| command | " + " | ".join(f"{n}: wall ms | {n}: CPU ms" for n, _ in builds) + " |")
    print("| --- |" + " --- | --- |" * len(builds))
    for name, args in COMMANDS.items():
        cells = []
        for _, path in builds:
            try:
                wall, cpu = measure(path, args, o.runs)
                cells += [f"{wall:.0f}", f"{cpu:.0f}"]
            except subprocess.CalledProcessError:
                cells += ["fails", "-"]
        print(f"| `{name}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
