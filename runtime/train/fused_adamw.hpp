// fused_adamw.hpp -- LibTorch's AdamW with the update of each parameter done in one pass
// (model/fused_ops.hpp's fused_adamw_update) instead of eight ATen ops, each a pass over the parameter,
// its gradient or its moments. Everything else is AdamW's own: parameter groups, options, the state
// (AdamWParamState per parameter, so checkpoints, ZeRO sharding and the Adam preconditioner read it
// unchanged), serialisation. When a parameter does not qualify (not float32 CPU, not contiguous,
// amsgrad), the whole step is LibTorch's.
#pragma once

#include <torch/optim/adamw.h>

namespace dataflex {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace dataflex
