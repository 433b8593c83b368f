#!/usr/bin/python3
"""The LLaMA training step in plain eager PyTorch, for a throughput comparison with DataFlex.

Builds the decoder of a Hugging Face LLaMA / Qwen2 config.json as torch.nn.Modules (the
architecture of transformers' LlamaForCausalLM with eager attention, without the library),
initialises it randomly (normal std initializer_range, RMSNorm weights 1), draws random token
batches from a fixed seed, and runs AdamW(lr 1e-3, weight_decay 0) steps:
forward, cross-entropy over all positions with shifted labels, backward, clip_grad_norm_(1.0),
optimizer.step(), zero_grad().

  /usr/bin/python3 bench/train_step_python.py --config bench/configs/llama_h256_l4.json \
      --batch 8 --seq 256 --steps 10 --warmup 2 --threads 2

Prints one JSON line: impl, tokens_per_s, step_ms (mean over the timed steps), step_ms_median,
params, threads, batch, seq, loss_first (first step, warmup included), loss_last.
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
import resource
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def blas_core_name():
    """The kernels the OpenBLAS that torch calls runs ("Cooperlake", "Haswell"), or "" if not OpenBLAS."""
    import ctypes
    try:
        lib = ctypes.CDLL("libopenblas.so.0")  # the copy torch loaded (same soname, same handle)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return ""


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rope_inv_freq(cfg, head_dim):
    base = float(cfg.get("rope_theta", 10000.0))
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "linear":
        inv = inv / float(rs["factor"])
    elif kind == "llama3":
        factor, lo, hi = float(rs["factor"]), float(rs["low_freq_factor"]), float(rs["high_freq_factor"])
        old = float(rs["original_max_position_embeddings"])
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > old / lo, inv / factor, inv)
        s = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - s) * scaled / factor + s * scaled
        inv = torch.where((wavelen >= old / hi) & (wavelen <= old / lo), smoothed, scaled)
    elif kind != "default":
        raise ValueError("rope_scaling %r not supported" % kind)
    return inv


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H = cfg["hidden_size"]
        self.nh = cfg["num_attention_heads"]
        self.nkv = cfg.get("num_key_value_heads") or self.nh
        self.hd = cfg.get("head_dim") or H // self.nh
        bias = cfg.get("model_type") == "qwen2" or bool(cfg.get("attention_bias", False))
        self.q_proj = nn.Linear(H, self.nh * self.hd, bias=bias)
        self.k_proj = nn.Linear(H, self.nkv * self.hd, bias=bias)
        self.v_proj = nn.Linear(H, self.nkv * self.hd, bias=bias)
        self.o_proj = nn.Linear(self.nh * self.hd, H, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.nkv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.nh // self.nkv
        if rep > 1:  # repeat_kv
            k = k[:, :, None].expand(B, self.nkv, rep, T, self.hd).reshape(B, self.nh, T, self.hd)
            v = v[:, :, None].expand(B, self.nkv, rep, T, self.hd).reshape(B, self.nh, T, self.hd)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.hd) + mask
        probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(B, T, self.nh * self.hd)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H, I = cfg["hidden_size"], cfg["intermediate_size"]
        self.gate_proj = nn.Linear(H, I, bias=False)
        self.up_proj = nn.Linear(H, I, bias=False)
        self.down_proj = nn.Linear(I, H, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        eps = float(cfg.get("rms_norm_eps", 1e-6))
        self.input_layernorm = RMSNorm(cfg["hidden_size"], eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg["hidden_size"], eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H, V = cfg["hidden_size"], cfg["vocab_size"]
        self.embed_tokens = nn.Embedding(V, H)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.norm = RMSNorm(H, float(cfg.get("rms_norm_eps", 1e-6)))
        self.lm_head = nn.Linear(H, V, bias=False)
        std = float(cfg.get("initializer_range", 0.02))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, std)
                if getattr(m, "bias", None) is not None:
                    nn.init.zeros_(m.bias)
        if cfg.get("tie_word_embeddings", False):
            self.lm_head.weight = self.embed_tokens.weight
        hd = cfg.get("head_dim") or H // cfg["num_attention_heads"]
        self.register_buffer("inv_freq", rope_inv_freq(cfg, hd), persistent=False)

    def forward(self, ids):
        B, T = ids.shape
        freqs = torch.arange(T, dtype=torch.float32, device=ids.device)[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((T, T), float("-inf"), device=ids.device).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.lm_head(self.norm(x))


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--impl", default="python", help="the name this run's JSON line carries")
    ap.add_argument("--device", default="cpu", help="cpu | cuda")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA), f32 weights and optimizer state")
    ap.add_argument("--per-sample-grads", action="store_true",
                    help="instead of training steps: LESS's per-sample gradient loop (one forward and backward "
                         "per sample, the gradient flattened into one vector), samples/s")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.config) as f:
        cfg = json.load(f)
    model = LlamaForCausalLM(cfg).to(args.device)
    model.train()
    params = sum(p.numel() for p in model.parameters())  # parameters() de-duplicates tied weights
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    V = cfg["vocab_size"]
    gen = torch.Generator().manual_seed(args.seed + 1)
    batches = [torch.randint(0, V, (args.batch, args.seq), generator=gen).to(args.device)
               for _ in range(args.warmup + args.steps)]
    import contextlib
    on_cuda = args.device.startswith("cuda")
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if args.bf16 and on_cuda
                else contextlib.nullcontext())
    sync = torch.cuda.synchronize if on_cuda else (lambda: None)

    if args.per_sample_grads:
        rows, t_all = 0, 0.0
        for i, ids in enumerate(batches):
            sync()
            t0 = time.perf_counter()
            for j in range(ids.shape[0]):
                with autocast:
                    logits = model(ids[j:j + 1])
                loss = F.cross_entropy(logits[:, :-1].reshape(-1, V).float(), ids[j:j + 1, 1:].reshape(-1))
                grads = torch.autograd.grad(loss, [p for p in model.parameters()])
                torch.cat([g.reshape(-1) for g in grads])
            sync()
            if i >= args.warmup:
                t_all += time.perf_counter() - t0
                rows += ids.shape[0]
        print(json.dumps({"impl": "python", "mode": "per_sample_grads", "samples_per_s": round(rows / t_all, 2),
                          "params": params, "device": args.device, "seq": args.seq, "torch": torch.__version__}))
        return

    def step(ids):
        with autocast:
            logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, V).float(), ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    base_mb = rss_mb()  # model, data and interpreter before the first step
    losses, times = [], []
    for i, ids in enumerate(batches):
        sync()
        t0 = time.perf_counter()
        losses.append(step(ids))
        sync()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    total = sum(times)
    print(json.dumps({
        "impl": args.impl,
        "tokens_per_s": round(args.batch * args.seq * len(times) / total, 1),
        "step_ms": round(1000 * total / len(times), 2),
        "step_ms_median": round(1000 * statistics.median(times), 2),
        "params": params,
        "threads": args.threads,
        "blas_core": blas_core_name(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "batch": args.batch,
        "seq": args.seq,
        "steps": args.steps,
        "warmup": args.warmup,
        "loss_first": round(losses[0], 6),
        "loss_last": round(losses[-1], 6),
        "rss_before_mb": round(base_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "device": args.device,
        "bf16": args.bf16,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
