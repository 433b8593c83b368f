#!/usr/bin/python3
"""An independent reference of Hugging Face's LLaMA / Qwen2 causal-LM forward pass.

Writes a tiny Hugging Face style checkpoint (config.json + safetensors, optionally sharded with
model.safetensors.index.json) and the logits that transformers' LlamaForCausalLM /
Qwen2ForCausalLM would compute for a fixed input, so that a C++ loader and model can be checked
against it without transformers installed.

The mathematics follows transformers' modeling_llama.py / modeling_qwen2.py (written here from
the equations, not copied):

  h = embed_tokens[input_ids]
  per layer:
    a = RMSNorm_in(h);   h = h + o_proj(attention(a))
    m = RMSNorm_post(h); h = h + down_proj(silu(gate_proj(m)) * up_proj(m))
  logits = lm_head(RMSNorm_final(h))          (lm_head = embed_tokens when tied)

  RMSNorm(x) = weight * (x * rsqrt(mean(x^2, -1) + eps))
  attention: q/k/v projections (bias when attention_bias or model_type == "qwen2"; o_proj bias when
  attention_bias on a llama model), rotary
    embedding in the "rotate_half" convention (dimension j is paired with j + head_dim/2),
    inv_freq = 1 / rope_theta^(arange(0, d, 2) / d), optional rope_scaling "linear" or "llama3",
    grouped-query attention (query head h uses key/value head h // (heads / kv_heads)),
    causal softmax(q k^T / sqrt(head_dim)) v.

Compute precision: the weights are rounded to the storage dtype (f32/f16/bf16) exactly as they are
written to the safetensors file, then upcast and the whole forward pass runs in float64 (default,
--compute f64) or float32 (--compute f32, what transformers does for a float32 model). The float64
result is the "exact" answer for the stored weights; an implementation computing in float32 should
match it to about 1e-5 absolute on these logits.

Usage:
  /usr/bin/python3 tests/reference/hf_llama_reference.py --variant llama --out DIR \
      [--dtype f32|f16|bf16] [--sharded] [--compute f64|f32]

Variants: llama, gqa, qwen2, linear_rope, headdim (see VARIANTS below).
Output: DIR/config.json, DIR/model.safetensors (or two shards + model.safetensors.index.json),
DIR/reference.json = {"variant", "dtype", "compute", "input_ids" [2][11], "logits" [2][11][vocab]}.
"""
import argparse
import json
import math
import os
import struct
import sys
from collections import OrderedDict

import torch

SEED = 20240611
INPUT_SHAPE = (2, 11)

# Tiny configurations. Every field that matters for the maths is spelled out; the rest of
# config.json is filled in by make_config() the way transformers writes it.
VARIANTS = {
    # Multi-head attention, untied, plain RoPE (theta 1e4), no bias. head_dim written explicitly
    # (newer transformers write it) and equal to hidden / heads.
    "llama": dict(model_type="llama", vocab_size=300, hidden_size=64, intermediate_size=176,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                  head_dim=16, rope_theta=10000.0, rope_scaling=None, rms_norm_eps=1e-6,
                  tie_word_embeddings=False, attention_bias=False),
    # Grouped-query attention (4 query heads over 2 kv heads), tied embeddings, llama3 rope
    # scaling whose bands all occur for head_dim 16 (wavelengths 6.3 | 19.9, 62.8 | 199 ...).
    # No head_dim in config.json: it must default to hidden / heads.
    "gqa": dict(model_type="llama", vocab_size=320, hidden_size=64, intermediate_size=176,
                num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                rope_theta=10000.0,
                rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                              "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                rms_norm_eps=1e-5, tie_word_embeddings=True, attention_bias=False),
    # Qwen2: q/k/v bias (always, no attention_bias field), tied, rope_theta 1e6, GQA.
    "qwen2": dict(model_type="qwen2", vocab_size=301, hidden_size=64, intermediate_size=176,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  rope_theta=1000000.0, rope_scaling=None, rms_norm_eps=1e-6,
                  tie_word_embeddings=True),
    # Linear position interpolation, factor 2, written with the legacy "type" key.
    "linear_rope": dict(model_type="llama", vocab_size=300, hidden_size=64, intermediate_size=176,
                        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                        rope_theta=10000.0, rope_scaling={"type": "linear", "factor": 2.0},
                        rms_norm_eps=1e-5, tie_word_embeddings=False, attention_bias=False),
    # Extra: head_dim (32) != hidden / heads (16), GQA, attention_bias true on a llama model.
    "headdim": dict(model_type="llama", vocab_size=300, hidden_size=64, intermediate_size=176,
                    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                    head_dim=32, rope_theta=10000.0, rope_scaling=None, rms_norm_eps=1e-6,
                    tie_word_embeddings=False, attention_bias=True),
}

DTYPES = {  # --dtype -> (torch dtype, safetensors dtype, config.json torch_dtype)
    "f32": (torch.float32, "F32", "float32"),
    "f16": (torch.float16, "F16", "float16"),
    "bf16": (torch.bfloat16, "BF16", "bfloat16"),
}


# ----------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------
def make_config(variant, dtype_key):
    v = dict(VARIANTS[variant])
    torch_dtype = DTYPES[dtype_key][2]
    common = OrderedDict()
    if v["model_type"] == "qwen2":
        common["architectures"] = ["Qwen2ForCausalLM"]
        common["attention_dropout"] = 0.0
        common["bos_token_id"] = 1
        common["eos_token_id"] = 2
        common["hidden_act"] = "silu"
        common["hidden_size"] = v["hidden_size"]
        common["initializer_range"] = 0.02
        common["intermediate_size"] = v["intermediate_size"]
        common["max_position_embeddings"] = 128
        common["max_window_layers"] = v["num_hidden_layers"]
        common["model_type"] = "qwen2"
        common["num_attention_heads"] = v["num_attention_heads"]
        common["num_hidden_layers"] = v["num_hidden_layers"]
        common["num_key_value_heads"] = v["num_key_value_heads"]
        common["rms_norm_eps"] = v["rms_norm_eps"]
        common["rope_scaling"] = v["rope_scaling"]
        common["rope_theta"] = v["rope_theta"]
        common["sliding_window"] = None
        common["tie_word_embeddings"] = v["tie_word_embeddings"]
        common["torch_dtype"] = torch_dtype
        common["transformers_version"] = "4.46.0"
        common["use_cache"] = True
        common["use_sliding_window"] = False
        common["vocab_size"] = v["vocab_size"]
    else:
        common["architectures"] = ["LlamaForCausalLM"]
        common["attention_bias"] = v["attention_bias"]
        common["attention_dropout"] = 0.0
        common["bos_token_id"] = 1
        common["eos_token_id"] = 2
        if "head_dim" in v:
            common["head_dim"] = v["head_dim"]
        common["hidden_act"] = "silu"
        common["hidden_size"] = v["hidden_size"]
        common["initializer_range"] = 0.02
        common["intermediate_size"] = v["intermediate_size"]
        common["max_position_embeddings"] = 128
        common["mlp_bias"] = False
        common["model_type"] = "llama"
        common["num_attention_heads"] = v["num_attention_heads"]
        common["num_hidden_layers"] = v["num_hidden_layers"]
        common["num_key_value_heads"] = v["num_key_value_heads"]
        common["pretraining_tp"] = 1
        common["rms_norm_eps"] = v["rms_norm_eps"]
        common["rope_scaling"] = v["rope_scaling"]
        common["rope_theta"] = v["rope_theta"]
        common["tie_word_embeddings"] = v["tie_word_embeddings"]
        common["torch_dtype"] = torch_dtype
        common["transformers_version"] = "4.46.0"
        common["use_cache"] = True
        common["vocab_size"] = v["vocab_size"]
    return common


def head_dim_of(cfg):
    hd = cfg.get("head_dim")
    return int(hd) if hd else cfg["hidden_size"] // cfg["num_attention_heads"]


def has_qkv_bias(cfg):
    return cfg["model_type"] == "qwen2" or bool(cfg.get("attention_bias", False))


def has_o_bias(cfg):
    # transformers' LlamaAttention: o_proj = nn.Linear(..., bias=config.attention_bias); Qwen2's o_proj
    # never has one.
    return cfg["model_type"] != "qwen2" and bool(cfg.get("attention_bias", False))


# ----------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------
def init_weights(cfg, seed=SEED):
    """HF tensor names -> float32 tensors (PyTorch layout: Linear weight is [out, in])."""
    g = torch.Generator().manual_seed(seed)
    H, V, I = cfg["hidden_size"], cfg["vocab_size"], cfg["intermediate_size"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
    std = 0.02

    def normal(*shape, s=std):
        return torch.randn(*shape, generator=g, dtype=torch.float32) * s

    def norm_weight(n):
        return 1.0 + 0.1 * torch.randn(n, generator=g, dtype=torch.float32)

    w = OrderedDict()
    w["model.embed_tokens.weight"] = normal(V, H)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        w[p + "self_attn.q_proj.weight"] = normal(nh * hd, H)
        w[p + "self_attn.k_proj.weight"] = normal(nkv * hd, H)
        w[p + "self_attn.v_proj.weight"] = normal(nkv * hd, H)
        if has_qkv_bias(cfg):
            # Large enough to move the logits well above float32 noise.
            w[p + "self_attn.q_proj.bias"] = normal(nh * hd, s=0.1)
            w[p + "self_attn.k_proj.bias"] = normal(nkv * hd, s=0.1)
            w[p + "self_attn.v_proj.bias"] = normal(nkv * hd, s=0.1)
        w[p + "self_attn.o_proj.weight"] = normal(H, nh * hd)
        if has_o_bias(cfg):
            w[p + "self_attn.o_proj.bias"] = normal(H, s=0.1)
        w[p + "mlp.gate_proj.weight"] = normal(I, H)
        w[p + "mlp.up_proj.weight"] = normal(I, H)
        w[p + "mlp.down_proj.weight"] = normal(H, I)
        w[p + "input_layernorm.weight"] = norm_weight(H)
        w[p + "post_attention_layernorm.weight"] = norm_weight(H)
    w["model.norm.weight"] = norm_weight(H)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = normal(V, H)
    return w


def make_input_ids(vocab):
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(3, vocab, INPUT_SHAPE, generator=g)
    ids[0, 0] = 1  # row 0 starts with bos; row 1 does not
    return ids


# ----------------------------------------------------------------------------------------------
# safetensors writer (format: u64 little-endian N, N bytes of JSON header padded with spaces to a
# multiple of 8, then the raw little-endian data; data_offsets relative to the data section)
# ----------------------------------------------------------------------------------------------
def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        arr = t.view(torch.int16).numpy().astype("<i2", copy=False)
    elif t.dtype == torch.float16:
        arr = t.numpy().astype("<f2", copy=False)
    elif t.dtype == torch.float32:
        arr = t.numpy().astype("<f4", copy=False)
    else:
        raise ValueError("unsupported dtype %s" % t.dtype)
    return arr.tobytes()


def write_safetensors(path, tensors, st_dtype):
    header = OrderedDict()
    header["__metadata__"] = {"format": "pt"}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": st_dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    return offset


def write_checkpoint(out, cfg, stored, st_dtype, sharded):
    for stale in ("model.safetensors", "model.safetensors.index.json",
                  "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"):
        if os.path.exists(os.path.join(out, stale)):
            os.remove(os.path.join(out, stale))
    if not sharded:
        write_safetensors(os.path.join(out, "model.safetensors"), stored, st_dtype)
        return
    # Shard 1: the embedding and the first half of the layers; shard 2: the rest.
    half = cfg["num_hidden_layers"] // 2
    first, second = OrderedDict(), OrderedDict()
    for name, t in stored.items():
        in_first = name == "model.embed_tokens.weight" or (
            name.startswith("model.layers.") and int(name.split(".")[2]) < half)
        (first if in_first else second)[name] = t
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    total = 0
    weight_map = OrderedDict()
    for fname, part in zip(files, (first, second)):
        total += write_safetensors(os.path.join(out, fname), part, st_dtype)
        for name in part:
            weight_map[name] = fname
    index = {"metadata": {"total_size": total},
             "weight_map": OrderedDict(sorted(weight_map.items()))}
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


# ----------------------------------------------------------------------------------------------
# Forward pass (batched, vectorised; the cross-check script re-derives it with loops)
# ----------------------------------------------------------------------------------------------
def rope_inv_freq(cfg, dtype):
    """inv_freq per frequency pair, rope_scaling applied (HF _compute_*_rope_parameters)."""
    d = head_dim_of(cfg)
    base = float(cfg["rope_theta"])
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    rs = cfg.get("rope_scaling")
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind == "linear":
            inv_freq = inv_freq / float(rs["factor"])  # == positions / factor
        elif kind == "llama3":
            factor = float(rs["factor"])
            lo, hi = float(rs["low_freq_factor"]), float(rs["high_freq_factor"])
            old_ctx = float(rs["original_max_position_embeddings"])
            low_freq_wavelen = old_ctx / lo
            high_freq_wavelen = old_ctx / hi
            wavelen = 2 * math.pi / inv_freq
            # long wavelengths (low frequencies): divided by factor; short: unchanged
            scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
            smooth = (old_ctx / wavelen - lo) / (hi - lo)
            smoothed = (1 - smooth) * scaled / factor + smooth * scaled
            medium = (wavelen >= high_freq_wavelen) & (wavelen <= low_freq_wavelen)
            inv_freq = torch.where(medium, smoothed, scaled)
        elif kind in (None, "default"):
            pass
        else:
            raise ValueError("rope_scaling type %r not supported by this reference" % kind)
    return inv_freq.to(dtype)


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def rms_norm(x, weight, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(var + eps))


def forward(cfg, w, input_ids, dtype=torch.float64, hidden=False):
    """w: name -> tensor (any float dtype; upcast to `dtype`). Returns logits [B, T, V], or with
    `hidden` the final hidden states [B, T, H] (after the last norm)."""
    w = {k: v.to(dtype) for k, v in w.items()}
    B, T = input_ids.shape
    H = cfg["hidden_size"]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
    n_rep = nh // nkv
    eps = float(cfg["rms_norm_eps"])
    bias = has_qkv_bias(cfg)

    pos = torch.arange(T, dtype=dtype)
    freqs = pos[:, None] * rope_inv_freq(cfg, dtype)[None, :]      # [T, hd/2]
    emb = torch.cat((freqs, freqs), dim=-1)                          # [T, hd]
    cos, sin = emb.cos(), emb.sin()
    causal = torch.ones(T, T, dtype=torch.bool).tril()

    def linear(x, name, with_bias=False):
        y = x @ w[name + ".weight"].t()
        if with_bias:
            y = y + w[name + ".bias"]
        return y

    h = w["model.embed_tokens.weight"][input_ids]                   # [B, T, H]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        a = rms_norm(h, w[p + "input_layernorm.weight"], eps)
        q = linear(a, p + "self_attn.q_proj", bias).view(B, T, nh, hd).transpose(1, 2)
        k = linear(a, p + "self_attn.k_proj", bias).view(B, T, nkv, hd).transpose(1, 2)
        v = linear(a, p + "self_attn.v_proj", bias).view(B, T, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # repeat_kv: [B, nkv, T, hd] -> [B, nkv * n_rep, T, hd], kv head j serves heads j*n_rep..
        k = k[:, :, None].expand(B, nkv, n_rep, T, hd).reshape(B, nh, T, hd)
        v = v[:, :, None].expand(B, nkv, n_rep, T, hd).reshape(B, nh, T, hd)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        scores = scores.masked_fill(~causal, float("-inf"))
        attn = torch.softmax(scores, dim=-1) @ v                     # [B, nh, T, hd]
        attn = attn.transpose(1, 2).reshape(B, T, nh * hd)
        h = h + linear(attn, p + "self_attn.o_proj", has_o_bias(cfg))
        m = rms_norm(h, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(m, p + "mlp.gate_proj")
        up = linear(m, p + "mlp.up_proj")
        h = h + linear(torch.nn.functional.silu(gate) * up, p + "mlp.down_proj")
    h = rms_norm(h, w["model.norm.weight"], eps)
    if hidden:
        return h
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return h @ head.t()


def round_floats(x, digits=8):
    if isinstance(x, list):
        return [round_floats(y, digits) for y in x]
    return float("%.*g" % (digits, x))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--dtype", default="f32", choices=sorted(DTYPES))
    ap.add_argument("--sharded", action="store_true")
    ap.add_argument("--compute", default="f64", choices=("f64", "f32"))
    ap.add_argument("--num-labels", type=int, default=0,
                    help="write a *ForSequenceClassification folder with this many labels instead")
    args = ap.parse_args(argv)
    assert sys.byteorder == "little"
    if args.num_labels > 0:
        return write_classifier(args)

    os.makedirs(args.out, exist_ok=True)
    cfg = make_config(args.variant, args.dtype)
    tdtype, st_dtype, _ = DTYPES[args.dtype]
    stored = OrderedDict((k, v.to(tdtype)) for k, v in init_weights(cfg).items())

    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_checkpoint(args.out, cfg, stored, st_dtype, args.sharded)

    ids = make_input_ids(cfg["vocab_size"])
    cdtype = torch.float64 if args.compute == "f64" else torch.float32
    with torch.no_grad():
        logits = forward(cfg, {k: v.float() for k, v in stored.items()}, ids, cdtype)
    ref = OrderedDict()
    ref["variant"] = args.variant
    ref["dtype"] = args.dtype
    ref["compute"] = "float64" if args.compute == "f64" else "float32"
    ref["input_ids"] = ids.tolist()
    ref["logits"] = round_floats(logits.double().tolist())
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: variant=%s dtype=%s sharded=%s logits %s |max| %.4g" % (
        args.out, args.variant, args.dtype, args.sharded, tuple(logits.shape),
        logits.abs().max().item()))


PAD_ID = 0


def write_classifier(args):
    """A *ForSequenceClassification folder and what transformers computes for it.

    transformers' LlamaForSequenceClassification / Qwen2ForSequenceClassification: the decoder's final
    hidden states, then score = Linear(hidden, num_labels, bias=False) at every position, read at the
    last token that is not config.pad_token_id (the rightmost such token of each row). The reward is
    sigmoid(logit) for one label and softmax(logits)[-1] otherwise. The rows of input_ids are right-
    padded with PAD_ID to different lengths."""
    os.makedirs(args.out, exist_ok=True)
    cfg = make_config(args.variant, args.dtype)
    cfg["architectures"] = [cfg["architectures"][0].replace("ForCausalLM", "ForSequenceClassification")]
    cfg["id2label"] = OrderedDict((str(i), "LABEL_%d" % i) for i in range(args.num_labels))
    cfg["label2id"] = OrderedDict(("LABEL_%d" % i, i) for i in range(args.num_labels))
    cfg["pad_token_id"] = PAD_ID
    tdtype, st_dtype, _ = DTYPES[args.dtype]
    weights = init_weights(cfg)
    weights.pop("lm_head.weight", None)  # a classifier has no language-model head
    g = torch.Generator().manual_seed(SEED + 1)
    # Large enough that the rewards spread over (0, 1) rather than sitting at 0.5.
    weights["score.weight"] = torch.randn(args.num_labels, cfg["hidden_size"], generator=g) * 0.2
    stored = OrderedDict((k, v.to(tdtype)) for k, v in weights.items())
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    write_checkpoint(args.out, cfg, stored, st_dtype, args.sharded)

    ids = make_input_ids(cfg["vocab_size"])
    lengths = [ids.shape[1], ids.shape[1] - 4]
    ids[1, lengths[1]:] = PAD_ID
    cdtype = torch.float64 if args.compute == "f64" else torch.float32
    with torch.no_grad():
        h = forward(cfg, {k: v.float() for k, v in stored.items()}, ids, cdtype, hidden=True)
        logits_all = h @ stored["score.weight"].to(cdtype).t()              # [B, T, L]
        non_pad = (ids != PAD_ID).long() * torch.arange(ids.shape[1])
        last = non_pad.argmax(-1)                                           # rightmost non-pad token
        logits = logits_all[torch.arange(ids.shape[0]), last]                # [B, L]
        if args.num_labels == 1:
            rewards = torch.sigmoid(logits[:, 0])
        else:
            rewards = torch.softmax(logits, dim=-1)[:, -1]
    ref = OrderedDict()
    ref["variant"] = args.variant
    ref["num_labels"] = args.num_labels
    ref["sequences"] = [ids[b, :lengths[b]].tolist() for b in range(ids.shape[0])]
    ref["logits"] = round_floats(logits.double().tolist())
    ref["rewards"] = round_floats(rewards.double().tolist())
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %s with %d labels, rewards %s" % (args.out, cfg["architectures"][0], args.num_labels,
                                                     ref["rewards"]))


if __name__ == "__main__":
    main()
