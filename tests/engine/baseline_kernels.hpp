// The fused CPU kernels (model/fused_ops.hpp) as one set of functions, so a test runs each check on
// the set the loader dispatches (AVX2 where the CPU has it) and on the baseline x86-64 build of the
// same source (baseline_kernels.cpp), which an AVX2 machine never dispatches to.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace dataflex {

struct KernelSet {
  const char* name;
  at::Tensor (*rms_norm)(const at::Tensor& x, const at::Tensor& weight, double eps);
  at::Tensor (*silu_mul)(const at::Tensor& gate, const at::Tensor& up);
  at::Tensor (*silu_mul_packed)(const at::Tensor& gate_up);
  at::Tensor (*rope)(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);
  at::Tensor (*causal_softmax)(const at::Tensor& scores, double scale);
  // One AdamW update (fused_adamw_update) with betas (0.9, 0.95), eps 1e-6.
  void (*adamw)(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double lr,
                double weight_decay, int64_t step);
};

KernelSet baseline_kernels();

}  // namespace dataflex
