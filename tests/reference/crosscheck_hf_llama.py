#!/usr/bin/python3
"""Cross-check of hf_llama_reference.py by a second, differently written implementation.

Reads what hf_llama_reference.py wrote to DIR (config.json, the safetensors file or shards with
their index, reference.json) with its own safetensors parser (numpy only, no torch), recomputes
the logits with explicit Python loops over batch rows, positions and heads, rotary embeddings as
complex multiplication of the pairs (x_j, x_{j+d/2}) by exp(i * position * inv_freq_j), the
llama3 frequency bands as a per-frequency if/elif, linear scaling as position / factor, and
grouped-query attention by indexing kv head h // (heads / kv_heads). Everything in float64.

Prints the max absolute difference to reference.json's logits and exits non-zero above --tol.

  /usr/bin/python3 tests/reference/crosscheck_hf_llama.py DIR [DIR...] [--tol 1e-6]
"""
import argparse
import cmath
import json
import math
import os
import struct
import sys

import numpy as np


# --- safetensors reader ------------------------------------------------------------------------
def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "header length %d not a multiple of 8" % n
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    assert meta == {"format": "pt"}, meta
    out = {}
    spans = []
    for name, info in header.items():
        b, e = info["data_offsets"]
        spans.append((b, e))
        buf = data[b:e]
        shape = tuple(info["shape"])
        if info["dtype"] == "F32":
            a = np.frombuffer(buf, dtype="<f4")
        elif info["dtype"] == "F16":
            a = np.frombuffer(buf, dtype="<f2")
        elif info["dtype"] == "BF16":
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(info["dtype"])
        assert a.size == int(np.prod(shape)), (name, a.size, shape)
        out[name] = a.astype(np.float64).reshape(shape)
    spans.sort()
    pos = 0
    for b, e in spans:  # the tensors tile the data section exactly
        assert b == pos, (b, pos)
        pos = e
    assert pos == len(data), (pos, len(data))
    return out, {info["dtype"] for info in header.values()}


def load_checkpoint(d):
    index = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            idx = json.load(f)
        weights, dtypes, total = {}, set(), 0
        for fname in sorted(set(idx["weight_map"].values())):
            part, dt = read_safetensors(os.path.join(d, fname))
            for k in part:
                assert idx["weight_map"][k] == fname, k
            weights.update(part)
            dtypes |= dt
            total += sum(v.size for v in part.values()) * (4 if dt == {"F32"} else 2)
        assert set(weights) == set(idx["weight_map"]), "index and shards disagree"
        assert total == idx["metadata"]["total_size"], (total, idx["metadata"]["total_size"])
        return weights, dtypes
    return read_safetensors(os.path.join(d, "model.safetensors"))


# --- the model, written out loop by loop -------------------------------------------------------
def inv_freqs(cfg, d):
    theta = float(cfg["rope_theta"])
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type") or rs.get("type") or "default"
    out = []
    for j in range(d // 2):
        f = theta ** (-(2.0 * j) / d)
        if kind == "llama3":
            old = rs["original_max_position_embeddings"]
            factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
            wavelength = 2 * math.pi / f
            if wavelength < old / hi:      # high frequency: kept
                pass
            elif wavelength > old / lo:    # low frequency: interpolated by factor
                f = f / factor
            else:                          # in between: blend
                s = (old / wavelength - lo) / (hi - lo)
                f = (1 - s) * f / factor + s * f
        out.append(f)
    return out, (rs["factor"] if kind == "linear" else 1.0)


def rms(x, w, eps):
    ms = sum(float(v) * float(v) for v in x) / len(x)
    return w * (x / math.sqrt(ms + eps))


def rope(vec, position, freqs):
    half = len(vec) // 2
    out = np.empty_like(vec)
    for j in range(half):
        z = complex(vec[j], vec[j + half]) * cmath.exp(1j * position * freqs[j])
        out[j], out[j + half] = z.real, z.imag
    return out


def logits_for(cfg, W, ids):
    H = cfg["hidden_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim") or H // nh
    group = nh // nkv
    eps = cfg["rms_norm_eps"]
    biased = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    freqs, pos_div = inv_freqs(cfg, d)
    if cfg["tie_word_embeddings"]:
        assert "lm_head.weight" not in W
        head = W["model.embed_tokens.weight"]
    else:
        head = W["lm_head.weight"]

    def proj(name, x):
        y = W[name + ".weight"].dot(x)
        return y + W[name + ".bias"] if biased and name + ".bias" in W else y

    result = []
    for row in ids:
        T = len(row)
        hs = [W["model.embed_tokens.weight"][t].copy() for t in row]
        for L in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % L
            qs, ks, vs = [], [], []
            for t in range(T):
                a = rms(hs[t], W[p + "input_layernorm.weight"], eps)
                q = proj(p + "self_attn.q_proj", a).reshape(nh, d)
                k = proj(p + "self_attn.k_proj", a).reshape(nkv, d)
                v = proj(p + "self_attn.v_proj", a).reshape(nkv, d)
                position = t / pos_div
                qs.append([rope(q[h], position, freqs) for h in range(nh)])
                ks.append([rope(k[g], position, freqs) for g in range(nkv)])
                vs.append(v)
            new_hs = []
            for t in range(T):
                heads_out = []
                for h in range(nh):
                    g = h // group
                    s = [float(np.dot(qs[t][h], ks[u][g])) / math.sqrt(d) for u in range(t + 1)]
                    mx = max(s)
                    e = [math.exp(x - mx) for x in s]
                    z = sum(e)
                    o = np.zeros(d)
                    for u in range(t + 1):
                        o += (e[u] / z) * vs[u][g]
                    heads_out.append(o)
                x = hs[t] + W[p + "self_attn.o_proj.weight"].dot(np.concatenate(heads_out))
                if p + "self_attn.o_proj.bias" in W:
                    x = x + W[p + "self_attn.o_proj.bias"]
                m = rms(x, W[p + "post_attention_layernorm.weight"], eps)
                gate = W[p + "mlp.gate_proj.weight"].dot(m)
                up = W[p + "mlp.up_proj.weight"].dot(m)
                act = np.array([gv / (1.0 + math.exp(-gv)) * uv for gv, uv in zip(gate, up)])
                new_hs.append(x + W[p + "mlp.down_proj.weight"].dot(act))
            hs = new_hs
        result.append([head.dot(rms(x, W["model.norm.weight"], eps)) for x in hs])
    return np.array(result)


def expected_names(cfg):
    names = {"model.embed_tokens.weight", "model.norm.weight"}
    if not cfg["tie_word_embeddings"]:
        names.add("lm_head.weight")
    biased = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    for L in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % L
        for n in ("q", "k", "v", "o"):
            names.add(p + "self_attn.%s_proj.weight" % n)
            if biased and (n != "o" or cfg["model_type"] != "qwen2"):
                names.add(p + "self_attn.%s_proj.bias" % n)
        for n in ("gate", "up", "down"):
            names.add(p + "mlp.%s_proj.weight" % n)
        names.add(p + "input_layernorm.weight")
        names.add(p + "post_attention_layernorm.weight")
    return names


def check(d, tol):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "reference.json")) as f:
        ref = json.load(f)
    W, dtypes = load_checkpoint(d)
    assert set(W) == expected_names(cfg), set(W) ^ expected_names(cfg)
    want_dtype = {"f32": "F32", "f16": "F16", "bf16": "BF16"}[ref["dtype"]]
    assert dtypes == {want_dtype}, (dtypes, want_dtype)
    got = logits_for(cfg, W, ref["input_ids"])
    want = np.array(ref["logits"])
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = float(np.abs(got - want).max())
    ok = diff <= tol
    print("%-40s variant=%-11s dtype=%-4s compute=%s max|diff|=%.3g (max|logit| %.3g) %s" % (
        d, ref["variant"], ref["dtype"], ref.get("compute"), diff, np.abs(want).max(),
        "ok" if ok else "FAIL"))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--tol", type=float, default=1e-6)
    args = ap.parse_args()
    ok = all([check(d, args.tol) for d in args.dirs])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
