// decision_schedule.hpp -- when a run's plugin is asked, and with which seeds: the one rule that
// training, `--dry-run` and `plugins run` all follow.
//
// Steps count optimizer steps (not micro-batches). A decision "at step s" is taken when s optimizer
// steps have completed, before step s+1 is computed; so warmup_step = 0 decides before any training.
//   periodic   (Select, Mix) at warmup_step, warmup_step + update_step, ... below total_steps, at most
//              update_times decisions (update_times <= 0: until training ends);
//   once       (static with a selector or mixer) one decision at step 0, kept for the whole run;
//   every step (Weight) the weighter is called for every micro-batch of the steps from warmup_step
//              on, for update_times x update_step steps when update_times > 0;
//   none       (static without a plugin) full data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <dataflex/host/instance.hpp>

#include "config/run_config.hpp"
#include "plugins/manifest.hpp"

namespace dataflex {

using DecisionContext = host::DecisionContext;

class DecisionSchedule {
 public:
  enum class Kind { None, Once, Periodic, EveryStep };

  // The schedule of a run: its train type, its plugin's kind (none without a plugin), the [dataflex]
  // keys and the run's length. Throws dataflex::Error for warmup_step < 0 or update_step < 1.
  static DecisionSchedule for_run(TrainType train_type, std::optional<PluginKind> plugin, int64_t warmup_step,
                                  int64_t update_step, int64_t update_times, int64_t total_steps);
  // Select and Mix's rule on its own (recordings and tests).
  static DecisionSchedule periodic(int64_t warmup_step, int64_t update_step, int64_t update_times, int64_t total_steps);

  Kind kind() const { return kind_; }
  int64_t total_steps() const { return total_steps_; }
  // The 0-based index of the decision taken at `step`; -1 when none is (always -1 for EveryStep).
  int64_t decision_index(int64_t step) const;
  // EveryStep: whether the weighter weights the micro-batches of step `step`.
  bool weights_at(int64_t step) const;
  // The steps with a decision (EveryStep: the steps whose batches are weighted).
  std::vector<int64_t> decision_steps() const;
  // What plugins see as context.max_decisions: the number of decisions this run takes; -1 for a
  // weighter, whose calls are per micro-batch.
  int64_t max_decisions() const;
  // The context of decision `index` at `step` of a run seeded with `run_seed`.
  DecisionContext context(int64_t step, int64_t index, uint64_t run_seed) const;
  // One line for `--dry-run`: what is decided when.
  std::string describe() const;

 private:
  DecisionSchedule(Kind kind, int64_t warmup_step, int64_t update_step, int64_t update_times, int64_t total_steps);
  Kind kind_;
  int64_t warmup_step_, update_step_, update_times_, total_steps_;
};

// The plugin kind each train type takes: static a selector or a mixer (or none: full data), the
// dynamic types a selector, a mixer or a weighter.
bool plugin_kind_fits(TrainType train_type, PluginKind kind);
const char* plugin_kind_wanted(TrainType train_type);  // "selector", ..., "selector or mixer"

// The seed a plugin is created with, and the seed of its decision number `decision_index`: both
// derived from the run seed, so runs with one seed decide identically.
uint64_t plugin_seed(uint64_t run_seed);
uint64_t decision_seed(uint64_t run_seed, int64_t decision_index);

}  // namespace dataflex
