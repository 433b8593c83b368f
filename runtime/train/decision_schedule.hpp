// decision_schedule.hpp -- when the plugin decides: the warmup_step / update_step / update_times rule.
//
// Steps count optimizer steps (not micro-batches). A decision "at step s" is taken when s optimizer
// steps have completed, before step s+1 is computed; so warmup_step = 0 decides before any training.
// Decisions fall on warmup_step, warmup_step + update_step, ... while the step is below total_steps
// and, when update_times > 0, at most update_times times (update_times <= 0: until training ends).
#pragma once

#include <cstdint>
#include <vector>

namespace dataflex {

class DecisionSchedule {
 public:
  DecisionSchedule(int64_t warmup_step, int64_t update_step, int64_t update_times, int64_t total_steps);

  bool is_decision_step(int64_t step) const;
  // 0-based index of the decision taken at `step`; -1 when `step` is not a decision step.
  int64_t decision_index(int64_t step) const;
  std::vector<int64_t> decision_steps() const;
  // update_times when bounded, -1 otherwise (what plugins see as max_decisions).
  int64_t max_decisions() const { return update_times_ > 0 ? update_times_ : -1; }

 private:
  int64_t warmup_step_, update_step_, update_times_, total_steps_;
};

}  // namespace dataflex

namespace dataflex {

// The seed a plugin is created with, and the seed of its decision number `decision_index`: both
// derived from the run seed (splitmix64 mixing), so runs with one seed decide identically.
uint64_t plugin_seed(uint64_t run_seed);
uint64_t decision_seed(uint64_t run_seed, int64_t decision_index);

}  // namespace dataflex
