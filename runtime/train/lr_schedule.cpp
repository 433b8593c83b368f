#include "train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace dataflex {

double LrSchedule::at(int64_t step) const {
  if (type == LrScheduleType::Constant) return peak;
  if (step < warmup_steps)
    return peak * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  if (type == LrScheduleType::ConstantWithWarmup) return peak;
  const double progress =
      static_cast<double>(step - warmup_steps) / static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  if (type == LrScheduleType::Cosine) return peak * std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
  return peak * std::max(0.0, 1.0 - progress);  // linear
}

}  // namespace dataflex
