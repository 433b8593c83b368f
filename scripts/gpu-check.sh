#!/usr/bin/env bash
# The GPU check of issue 13, on a machine with an NVIDIA GPU and a CUDA build of PyTorch:
# builds DataFlex against that PyTorch's LibTorch (CUDA, NCCL) and then, in a few minutes, runs
#   1. a short training on the GPU with bf16 autocast: tokens/s, against the same model and step in
#      plain PyTorch (bench/train_step_python.py --device cuda --bf16; bench/configs/llama_h256_l4.json
#      is builtin:tiny's architecture);
#   2. the same training with 2 ranks on NCCL when the machine has 2 GPUs (else 1 rank through the
#      launcher): tokens/s and rank 0's time in collectives;
#   3. LESS-style gradient-feature extraction of the training pool (factored projection to 8192):
#      samples/s, against PyTorch's per-sample gradient loop as LESS runs it (one backward per sample,
#      the gradient flattened; its projection not even counted).
#   PYTHON=python3 BUILD=build-gpu bash scripts/gpu-check.sh
# Results go in docs/performance.md. The CPU build never needs any of this.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD=${BUILD:-build-gpu}
"$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else "gpu-check: torch sees no CUDA device")'
NGPU=$("$PY" -c 'import torch; print(torch.cuda.device_count())')
echo "torch $("$PY" -c 'import torch; print(torch.__version__, torch.version.cuda)'), $NGPU GPU(s): $("$PY" -c 'import torch; print(torch.cuda.get_device_name(0))')"

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDATAFLEX_TORCH_FROM_PYTHON="$PY" \
    -DDATAFLEX_BUILD_TESTS=OFF -DDATAFLEX_FUZZ=OFF
fi
cmake --build "$BUILD" -j "$(nproc)"
RUN="$BUILD/bin/dataflex-run"
"$RUN" version | grep -q "CUDA on" || { "$RUN" version; echo "gpu-check: this build has no CUDA"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tps() { "$PY" -c 'import json,sys
v=[j["throughput"] for j in map(json.loads, open(sys.argv[1])) if "throughput" in j][1:]
print(f"{sum(v)/len(v):.0f}")' "$1/trainer_log.jsonl"; }

echo "== 1. training on one GPU, bf16, batch 8 x 256 tokens"
train=(configs/quickstart.toml --set training.device=\"cuda\" --set training.bf16=true --set training.max_steps=120
       --set training.save_steps=0 --set training.eval_steps=0 --set training.logging_steps=20 --set data.cutoff_len=256)
"$RUN" "${train[@]}" --set training.per_device_train_batch_size=8 --set training.output_dir=\"$work/one\" >"$work/one.log" 2>&1 ||
  { tail -5 "$work/one.log"; exit 1; }
echo "dataflex : $(tps "$work/one") tokens/s ($(grep -o 'train_loss [0-9.]*' "$work/one.log"))"
echo "pytorch  : $("$PY" bench/train_step_python.py --config bench/configs/llama_h256_l4.json --batch 8 --seq 256 \
  --steps 60 --warmup 10 --device cuda --bf16 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])') tokens/s"

ranks=$((NGPU >= 2 ? 2 : 1))
echo "== 2. $ranks rank(s) on NCCL, batch 8 per rank"
"$RUN" --nproc-per-node $ranks "${train[@]}" --set training.per_device_train_batch_size=8 \
  --set training.output_dir=\"$work/nccl\" >"$work/nccl.log" 2>&1 || { tail -5 "$work/nccl.log"; exit 1; }
echo "dataflex : $(tps "$work/nccl") tokens/s over $ranks rank(s); $(grep -o 'rank 0 spent .*' "$work/nccl.log" || echo 'one rank: no collectives')"

echo "== 3. LESS-style gradient features of the training pool (factored projection to 8192)"
start=$(date +%s.%N)
"$RUN" features configs/select_less.toml --set training.device=\"cuda\" --set data.cutoff_len=256 \
  --projection factored --proj-dim 8192 --out "$work/features.npy" >"$work/features.log" 2>&1 || { tail -5 "$work/features.log"; exit 1; }
seconds=$("$PY" -c "import time; print(time.time() - $start)")
rows=$("$PY" -c 'import sys, numpy; print(numpy.load(sys.argv[1], mmap_mode="r").shape[0])' "$work/features.npy")
echo "dataflex : $("$PY" -c "print(f'{$rows / $seconds:.1f}')") samples/s ($rows samples in $("$PY" -c "print(f'{$seconds:.1f}')") s, model loading included)"
echo "pytorch  : $("$PY" bench/train_step_python.py --config bench/configs/llama_h256_l4.json --batch 8 --seq 256 \
  --steps 8 --warmup 1 --device cuda --per-sample-grads | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["samples_per_s"])') samples/s (per-sample backward loop, no projection)"
