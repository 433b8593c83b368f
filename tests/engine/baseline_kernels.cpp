// model/fused_ops.cpp compiled a second time with no target clones (the baseline x86-64 code the
// loader picks on a CPU without AVX2) and in a namespace of its own, so it links beside the engine's.
#define DATAFLEX_KERNEL
#define dataflex dataflex_baseline
#include "model/fused_ops.cpp"
#undef dataflex

#include "baseline_kernels.hpp"

namespace dataflex {
namespace {

template <class Step>
void adamw_with(void (*update)(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&, const Step&),
                const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double lr,
                double weight_decay, int64_t step) {
  Step s{};
  s.lr = lr, s.beta1 = 0.9, s.beta2 = 0.95, s.eps = 1e-6, s.weight_decay = weight_decay, s.step = step;
  update(p, g, m, v, s);
}

}  // namespace

KernelSet baseline_kernels() {
  namespace b = dataflex_baseline;
  return {"baseline",
          &b::fused_rms_norm,
          &b::fused_silu_mul,
          &b::fused_silu_mul_packed,
          &b::fused_rope,
          &b::fused_causal_softmax,
          [](const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double lr, double wd,
             int64_t step) { adamw_with(&b::fused_adamw_update, p, g, m, v, lr, wd, step); }};
}

}  // namespace dataflex
