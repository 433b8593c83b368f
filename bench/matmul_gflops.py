#!/usr/bin/python3
"""Float32 matrix-multiply throughput of the BLAS behind torch.mm (a yardstick for the bench).

  /usr/bin/python3 bench/matmul_gflops.py --threads 2 --n 1024 [--reps 10]

Prints {"gflops": best 2n^3/time over the reps, "gflops_median", "n", "threads", "reps"}.
"""
import os
import sys

if __name__ == "__main__":
    # Debian's torch calls the system BLAS (OpenBLAS, pthread build) without telling it a thread
    # count: torch.set_num_threads() does not reach it, and OpenBLAS reads OPENBLAS_NUM_THREADS once,
    # when it is loaded. So --threads K is handed to it here, before torch is imported (an
    # OPENBLAS_NUM_THREADS already in the environment wins).
    for _i, _a in enumerate(sys.argv):
        if _a == "--threads" and _i + 1 < len(sys.argv):
            os.environ.setdefault("OPENBLAS_NUM_THREADS", sys.argv[_i + 1])
        elif _a.startswith("--threads="):
            os.environ.setdefault("OPENBLAS_NUM_THREADS", _a.split("=", 1)[1])

import argparse
import json
import statistics
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(args.n, args.n, generator=g)
    b = torch.randn(args.n, args.n, generator=g)
    out = torch.empty(args.n, args.n)
    torch.mm(a, b, out=out)  # warm-up
    rates = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        torch.mm(a, b, out=out)
        rates.append(2.0 * args.n ** 3 / (time.perf_counter() - t0) / 1e9)
    print(json.dumps({"gflops": round(max(rates), 2), "gflops_median": round(statistics.median(rates), 2),
                      "n": args.n, "threads": args.threads, "reps": args.reps,
                      "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}))


if __name__ == "__main__":
    main()
