#include "train/fused_adamw.hpp"

#include <torch/types.h>

#include <c10/util/string_utils.h>

#include <memory>

#include "model/fused_ops.hpp"

namespace dataflex {

torch::Tensor FusedAdamW::step(LossClosure closure) {
  // Any parameter the kernel does not take (not float32 CPU contiguous, amsgrad): LibTorch's step for all.
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto it = state_.find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      const auto* st =
          it == state_.end() ? nullptr : static_cast<const torch::optim::AdamWParamState*>(it->second.get());
      if (o.amsgrad() || !adamw_fusable(p, p.grad(), st ? st->exp_avg() : p, st ? st->exp_avg_sq() : p))
        return torch::optim::AdamW::step(std::move(closure));
    }
  }
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;  // frozen, or another rank's share (ZeRO-1)
      // The state as AdamW keeps it, under AdamW's key, created as AdamW creates it.
      auto& slot = state_[c10::guts::to_string(p.unsafeGetTensorImpl())];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*slot);
      st.step(st.step() + 1);
      fused_adamw_update(p, p.grad(), st.exp_avg(), st.exp_avg_sq(),
                         {o.lr(), beta1, beta2, o.eps(), o.weight_decay(), st.step()});
    }
  }
  return loss;
}

}  // namespace dataflex
