// lr_schedule.hpp -- learning rate per optimizer step, as transformers' get_scheduler does it.
#pragma once

#include <cstdint>

namespace dataflex {

enum class LrScheduleType { Linear, Cosine, Constant, ConstantWithWarmup };

struct LrSchedule {
  LrScheduleType type = LrScheduleType::Linear;
  double peak = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  // The rate applied by optimizer step `step` (0-based): linear warmup from 0 over warmup_steps,
  // then linear decay to 0 at total_steps, half a cosine to 0, or constant.
  double at(int64_t step) const;
};

}  // namespace dataflex
