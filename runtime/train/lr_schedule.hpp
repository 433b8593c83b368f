// lr_schedule.hpp -- learning rate per optimizer step, as transformers' get_scheduler does it.
#pragma once

#include <cstdint>
#include <string>

namespace dataflex {

struct LrSchedule {
  std::string type = "linear";  // linear | cosine | constant | constant_with_warmup
  double peak = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  // The rate applied by optimizer step `step` (0-based): linear warmup from 0 over warmup_steps,
  // then linear decay to 0 at total_steps, half a cosine to 0, or constant.
  double at(int64_t step) const;
};

}  // namespace dataflex
