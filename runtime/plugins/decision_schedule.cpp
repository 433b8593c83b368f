#include "plugins/decision_schedule.hpp"

#include "util/error.hpp"
#include "util/splitmix.hpp"

namespace dataflex {

DecisionSchedule::DecisionSchedule(Kind kind, int64_t warmup_step, int64_t update_step, int64_t update_times,
                                   int64_t total_steps)
    : kind_(kind),
      warmup_step_(warmup_step),
      update_step_(update_step),
      update_times_(update_times),
      total_steps_(total_steps) {
  if (warmup_step < 0) throw Error("dataflex.warmup_step must be >= 0");
  if (update_step < 1) throw Error("dataflex.update_step must be >= 1");
}

DecisionSchedule DecisionSchedule::for_run(TrainType train_type, std::optional<PluginKind> plugin, int64_t warmup_step,
                                           int64_t update_step, int64_t update_times, int64_t total_steps) {
  if (!plugin) return DecisionSchedule(Kind::None, warmup_step, update_step, update_times, total_steps);
  if (train_type == TrainType::Static) return DecisionSchedule(Kind::Once, 0, 1, 1, total_steps);
  if (*plugin == PluginKind::Weighter)
    return DecisionSchedule(Kind::EveryStep, warmup_step, update_step, update_times, total_steps);
  return DecisionSchedule(Kind::Periodic, warmup_step, update_step, update_times, total_steps);
}

DecisionSchedule DecisionSchedule::periodic(int64_t warmup_step, int64_t update_step, int64_t update_times,
                                            int64_t total_steps) {
  return DecisionSchedule(Kind::Periodic, warmup_step, update_step, update_times, total_steps);
}

int64_t DecisionSchedule::decision_index(int64_t step) const {
  if (kind_ != Kind::Once && kind_ != Kind::Periodic) return -1;
  if (step < warmup_step_ || step >= total_steps_) return -1;
  if ((step - warmup_step_) % update_step_ != 0) return -1;
  const int64_t index = (step - warmup_step_) / update_step_;
  if (update_times_ > 0 && index >= update_times_) return -1;
  return index;
}

bool DecisionSchedule::weights_at(int64_t step) const {
  return kind_ == Kind::EveryStep && step >= warmup_step_ && step < total_steps_ &&
         (update_times_ <= 0 || step < warmup_step_ + update_times_ * update_step_);
}

std::vector<int64_t> DecisionSchedule::decision_steps() const {
  std::vector<int64_t> out;
  if (kind_ == Kind::EveryStep) {
    for (int64_t s = warmup_step_; s < total_steps_; ++s)
      if (weights_at(s)) out.push_back(s);
    return out;
  }
  if (kind_ == Kind::None) return out;
  for (int64_t s = warmup_step_; s < total_steps_; s += update_step_) {
    if (update_times_ > 0 && static_cast<int64_t>(out.size()) >= update_times_) break;
    out.push_back(s);
  }
  return out;
}

int64_t DecisionSchedule::max_decisions() const {
  if (kind_ == Kind::EveryStep) return -1;
  return static_cast<int64_t>(decision_steps().size());
}

DecisionContext DecisionSchedule::context(int64_t step, int64_t index, uint64_t run_seed) const {
  DecisionContext c;
  c.step = step;
  c.total_steps = total_steps_;
  c.decision_index = index;
  c.max_decisions = max_decisions();
  c.seed = decision_seed(run_seed, index);
  return c;
}

std::string DecisionSchedule::describe() const {
  const std::vector<int64_t> steps = decision_steps();
  std::string list;
  for (size_t i = 0; i < steps.size() && i < 12; ++i) list += (i ? ", " : "") + std::to_string(steps[i]);
  if (steps.size() > 12) list += ", ...";
  if (list.empty()) list = "-";
  const std::string of = " of " + std::to_string(total_steps_);
  switch (kind_) {
    case Kind::None: return "full data, no decisions";
    case Kind::Once:
      return std::to_string(steps.size()) + " decision(s) at optimizer step(s) " + list + of +
             " (static: decided once, kept for the whole run)";
    case Kind::Periodic: return std::to_string(steps.size()) + " decision(s) at optimizer step(s) " + list + of;
    case Kind::EveryStep:
      return "weights for every micro-batch of " + std::to_string(steps.size()) + " optimizer step(s) " + list + of;
  }
  return "?";
}

bool plugin_kind_fits(TrainType t, PluginKind k) {
  switch (t) {
    case TrainType::DynamicSelect: return k == PluginKind::Selector;
    case TrainType::DynamicMix: return k == PluginKind::Mixer;
    case TrainType::DynamicWeight: return k == PluginKind::Weighter;
    case TrainType::Static: return k == PluginKind::Selector || k == PluginKind::Mixer;
  }
  return false;
}

const char* plugin_kind_wanted(TrainType t) {
  switch (t) {
    case TrainType::DynamicSelect: return "selector";
    case TrainType::DynamicMix: return "mixer";
    case TrainType::DynamicWeight: return "weighter";
    case TrainType::Static: return "selector or mixer";
  }
  return "?";
}

uint64_t plugin_seed(uint64_t run_seed) { return mix64(run_seed ^ 0x706C7567696E0000ull); }

uint64_t decision_seed(uint64_t run_seed, int64_t decision_index) {
  return mix64(mix64(run_seed) + static_cast<uint64_t>(decision_index));
}

}  // namespace dataflex
