#include "train/decision_schedule.hpp"

#include "util/error.hpp"

namespace dataflex {

DecisionSchedule::DecisionSchedule(int64_t warmup_step, int64_t update_step, int64_t update_times,
                                   int64_t total_steps)
    : warmup_step_(warmup_step), update_step_(update_step), update_times_(update_times), total_steps_(total_steps) {
  if (warmup_step < 0) throw Error("dataflex.warmup_step must be >= 0");
  if (update_step < 1) throw Error("dataflex.update_step must be >= 1");
}

int64_t DecisionSchedule::decision_index(int64_t step) const {
  if (step < warmup_step_ || step >= total_steps_) return -1;
  if ((step - warmup_step_) % update_step_ != 0) return -1;
  const int64_t index = (step - warmup_step_) / update_step_;
  if (update_times_ > 0 && index >= update_times_) return -1;
  return index;
}

bool DecisionSchedule::is_decision_step(int64_t step) const { return decision_index(step) >= 0; }

std::vector<int64_t> DecisionSchedule::decision_steps() const {
  std::vector<int64_t> out;
  for (int64_t s = warmup_step_; s < total_steps_; s += update_step_) {
    if (update_times_ > 0 && int64_t(out.size()) >= update_times_) break;
    out.push_back(s);
  }
  return out;
}

}  // namespace dataflex

namespace dataflex {
namespace {

// splitmix64's finaliser (Steele, Lea & Flood 2014): distinct inputs give well-spread outputs.
uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t plugin_seed(uint64_t run_seed) { return mix64(run_seed ^ 0x706C7567696E0000ull); }

uint64_t decision_seed(uint64_t run_seed, int64_t decision_index) {
  return mix64(mix64(run_seed) + static_cast<uint64_t>(decision_index));
}

}  // namespace dataflex
