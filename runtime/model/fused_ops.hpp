// fused_ops.hpp -- the decoder's memory-bound steps as single passes on the CPU: RMSNorm, SiLU(gate) * up,
// the rotary position embedding and the causal softmax of the attention scores, each an autograd
// function with its own backward.
//
// Unfused, each is a chain of ATen ops (RMSNorm: pow, mean, add, rsqrt, mul, mul; the softmax: scale, add
// the mask, softmax), every one a pass over the activations, with its intermediates kept for the backward.
// The fused kernels read and write each tensor once and keep only what the backward needs; the causal
// softmax touches only the keys a query sees. float32 CPU tensors only: `fusable` says whether a tensor
// qualifies, and callers keep the unfused composition (the reference the tests compare with) otherwise.
#pragma once

#include <ATen/core/Tensor.h>

namespace dataflex {

bool fusable(const at::Tensor& t);  // float32, on the CPU

// weight * x / sqrt(mean(x^2, last dim) + eps).
at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);
// silu(gate) * up, elementwise (same shapes).
at::Tensor fused_silu_mul(const at::Tensor& gate, const at::Tensor& up);
// The same for gate and up side by side in the last dimension of `gate_up` [..., 2I] (the output of one
// GEMM with both weights): [..., I].
at::Tensor fused_silu_mul_packed(const at::Tensor& gate_up);
// RoPE of queries or keys x [B, T, heads, D] (the projection's layout; the last dimension contiguous)
// with cos, sin [T, D]: x * cos + rotate_half(x) * sin, returned as [B, heads, T, D] (contiguous), the
// layout attention reads. rope_fusable says whether the shapes qualify (per-sequence positions do not).
bool rope_fusable(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);
at::Tensor fused_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);
// softmax over the last dimension of scale * scores [..., T, S], query i (of the T) seeing keys 0 .. i + S - T
// only (the causal mask; S > T when cached keys come first); the keys it does not see get probability 0.
at::Tensor fused_causal_softmax(const at::Tensor& scores, double scale);

// Linears stored side by side (q/k/v, gate/up: LlamaModel keeps their weights in one buffer, each
// parameter its own rows of it). stored_adjacent: each part begins where the one before ends in one
// storage, all contiguous with the same trailing sizes. adjacent_linear: x [..., in] times the weights'
// rows as one matrix [sum of rows, in] (+ the biases, stored the same way, or none): [..., sum of rows]
// from one GEMM with no copy of the weights; backward gives each weight its rows of one gradient GEMM.
bool stored_adjacent(at::TensorList parts);
at::Tensor adjacent_linear(const at::Tensor& x, at::TensorList weights, at::TensorList biases);

// One AdamW update of a parameter in place, in one pass over p, its gradient g and moments m, v (all
// float32, contiguous, same size: adamw_fusable), the arithmetic of LibTorch's AdamW step in its order
// (decoupled weight decay, bias-corrected moments). `step` counts from 1. No autograd: call under no_grad.
struct AdamWStep {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;
};
bool adamw_fusable(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v);
void fused_adamw_update(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v,
                        const AdamWStep& s);

}  // namespace dataflex
