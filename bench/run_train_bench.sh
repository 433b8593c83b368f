#!/usr/bin/env bash
# Training throughput of DataFlex's loop against the same model and step in Python (Debian's
# python3-torch: the same LibTorch 1.13), side by side in one run, alternating, same threads and
# environment; plus the machine's float32 matmul GFLOP/s as the ceiling.
#   bash bench/run_train_bench.sh [BUILD_DIR] [THREADS] [ROUNDS] [SIZE]
# SIZE: 3m (default; bench/configs/llama_h256_l4.json, batch 8 x 256), 30m (llama_h512_l10, batch 8 x 256)
# or 120m (llama_h1024_l10, batch 4 x 256; ~12 s a step on 2 cores: few steps).
# Prints each measurement as a JSON line and a summary (medians, ratio). Run by hand on a quiet
# machine; results go in docs/performance.md.
set -euo pipefail
BUILD=${1:-build} THREADS=${2:-2} ROUNDS=${3:-3} SIZE=${4:-3m}
SRC=$(cd "$(dirname "$0")/.." && pwd)
cmake --build "$BUILD" --target bench_train_step >/dev/null
PY=/usr/bin/python3
case $SIZE in
  3m) ARGS=(--config "$SRC/bench/configs/llama_h256_l4.json" --batch 8 --seq 256 --steps 10 --warmup 2) ;;
  30m) ARGS=(--config "$SRC/bench/configs/llama_h512_l10.json" --batch 8 --seq 256 --steps 4 --warmup 2) ;;
  120m) ARGS=(--config "$SRC/bench/configs/llama_h1024_l10.json" --batch 4 --seq 256 --steps 3 --warmup 2) ;;
  *) echo "SIZE: expected 3m, 30m or 120m, got '$SIZE'" >&2; exit 2 ;;
esac
ARGS+=(--threads "$THREADS")
POLICIES=${POLICIES:-"PASSIVE ACTIVE"}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Both implementations get the same environment, OPENBLAS_CORETYPE included (some machines set it: run
# `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE bash bench/run_train_bench.sh ...` to let OpenBLAS pick);
# each JSON line says which kernels ran ("blas_core").
echo "OpenBLAS kernels: $(DATAFLEX_NO_REEXEC=1 "$BUILD/bin/bench_train_step" --blas-core)"

run_env() {  # POLICY then command: the environment both implementations get
  local policy=$1; shift
  env OMP_WAIT_POLICY="$policy" OPENBLAS_NUM_THREADS="$THREADS" DATAFLEX_NO_REEXEC=1 "$@"
}

echo "matmul ceiling:"
run_env PASSIVE "$PY" "$SRC/bench/matmul_gflops.py" --threads "$THREADS" --n 1024 | tee -a "$out"
for policy in $POLICIES; do
  for r in $(seq 1 "$ROUNDS"); do
    run_env $policy "$PY" "$SRC/bench/train_step_python.py" "${ARGS[@]}" | tee -a "$out"
    # The same Python with glibc told to keep freed memory as dataflex-run does (mallopt in
    # util/process_memory.cpp): what a Python user gets from setting it by hand.
    run_env $policy env GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647 \
      "$PY" "$SRC/bench/train_step_python.py" "${ARGS[@]}" --impl python_malloc_kept | tee -a "$out"
    run_env $policy "$BUILD/bin/bench_train_step" "${ARGS[@]}" | tee -a "$out"
    run_env $policy "$BUILD/bin/bench_train_step" "${ARGS[@]}" --unfused | tee -a "$out"
  done
done

"$PY" - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gflops = next(r["gflops"] for r in rows if "gflops" in r)
params = next(r["params"] for r in rows if "params" in r)
print(f"\nmatmul: {gflops:.1f} GFLOP/s (float32, n=1024); model {params / 1e6:.1f}M parameters")
for policy in ("PASSIVE", "ACTIVE"):
    if not any(r.get("omp_wait_policy") == policy for r in rows):
        continue
    med = {}
    for impl in ("python", "python_malloc_kept", "dataflex_unfused", "dataflex"):
        v = [r["tokens_per_s"] for r in rows if r.get("impl") == impl and r.get("omp_wait_policy") == policy]
        med[impl] = statistics.median(v)
        peak = max(r["peak_rss_mb"] for r in rows if r.get("impl") == impl and r.get("omp_wait_policy") == policy)
        step_mem = max(r["peak_rss_mb"] - r["rss_before_mb"] for r in rows
                       if r.get("impl") == impl and r.get("omp_wait_policy") == policy)
        print(f"OMP_WAIT_POLICY={policy:<7} {impl:<16} median {med[impl]:8.0f} tokens/s  (runs: {', '.join(f'{x:.0f}' for x in v)})"
              f"  peak RSS {peak:.0f} MiB, of which {step_mem:.0f} MiB during steps")
    # ~6 FLOPs per parameter per token (forward + backward) plus attention; a lower bound on the work.
    achieved = 6 * params * med["dataflex"] / 1e9
    print(f"  ratio dataflex / python = {med['dataflex'] / med['python']:.2f}, unfused / python = "
          f"{med['dataflex_unfused'] / med['python']:.2f}, fused / unfused = {med['dataflex'] / med['dataflex_unfused']:.2f},"
          f" dataflex / python with freed memory kept = {med['dataflex'] / med['python_malloc_kept']:.2f};"
          f" dataflex does >= {achieved:.1f} GFLOP/s = {100 * achieved / gflops:.0f}% of the matmul ceiling")
PY
