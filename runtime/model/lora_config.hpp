// lora_config.hpp -- LoRA hyper-parameters (PEFT's names), without LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dataflex {

struct LoraConfig {
  int64_t rank = 8;
  double alpha = 16.0;              // scaling = alpha / rank
  double dropout = 0.0;             // on the adapter's input, training only
  std::vector<std::string> target;  // module names (q_proj, ..., down_proj); {"all"} = every linear
};

}  // namespace dataflex
