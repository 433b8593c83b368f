#include "train/fused_adamw.hpp"

#include <torch/types.h>

#include <c10/util/string_utils.h>

#include <cmath>
#include <memory>

#include "model/fused_ops.hpp"

namespace dataflex {

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(group.options());
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;  // frozen, or another rank's share (ZeRO-1)
      // The state as AdamW keeps it, under AdamW's key.
      const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        if (o.amsgrad()) fresh->max_exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        state_[key] = std::move(fresh);
        it = state_.find(key);
      }
      auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
      st.step(st.step() + 1);
      const at::Tensor& grad = p.grad();
      if (!o.amsgrad() && adamw_fusable(p, grad, st.exp_avg(), st.exp_avg_sq())) {
        fused_adamw_update(p, grad, st.exp_avg(), st.exp_avg_sq(),
                           {o.lr(), beta1, beta2, o.eps(), o.weight_decay(), st.step()});
        continue;
      }
      // AdamW's own ops (LibTorch 1.13's AdamW::step).
      if (o.weight_decay() != 0) p.mul_(1 - o.lr() * o.weight_decay());
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(st.step()));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(st.step()));
      st.exp_avg().mul_(beta1).add_(grad, 1 - beta1);
      st.exp_avg_sq().mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      at::Tensor denom;
      if (o.amsgrad()) {
        at::maximum_out(st.max_exp_avg_sq(), st.max_exp_avg_sq(), st.exp_avg_sq());
        denom = (st.max_exp_avg_sq().sqrt() / std::sqrt(bias_correction2)).add_(o.eps());
      } else {
        denom = (st.exp_avg_sq().sqrt() / std::sqrt(bias_correction2)).add_(o.eps());
      }
      p.addcdiv_(st.exp_avg(), denom, -o.lr() / bias_correction1);
    }
  }
  return loss;
}

}  // namespace dataflex
