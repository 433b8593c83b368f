// run_plan.hpp -- what a run config will do, checked before anything is trained: the plugin (its kind
// against the train type, its parameters, its library, one instance created) and the run's length and
// decision schedule. `--dry-run` prints it; a training run prints it and trains. No LibTorch here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/run_config.hpp"
#include "plugins/decision_schedule.hpp"
#include "plugins/plugin_registry.hpp"
#include "train/data_policy.hpp"

namespace dataflex {

struct RunPlan {
  TrainType train_type = TrainType::Static;
  PluginSetup plugin;              // no library: full data
  std::vector<std::string> notes;  // from loading the plugin (a newer ABI minor, ...)
  int64_t total_steps = 0;         // optimizer steps; 0 when not counted yet
  bool steps_from_data = false;    // the length depends on the data (max_steps <= 0)
  // With count_steps (--dry-run): every dataset read as the run will, one line per domain with its
  // sample counts.
  std::vector<std::string> data_lines;
  DecisionSchedule schedule = DecisionSchedule::for_run(TrainType::Static, std::nullopt, 0, 1, -1, 0);
};

// Throws dataflex::Error (naming the config key, the manifest or the parameter) on the first problem.
// With `count_steps` (--dry-run), every dataset is read and tokenized as the run will (no model is
// loaded): a dataset the run could not read fails here, and the length is counted when it depends on
// the data (max_steps <= 0). Without, both are left for the trainer, which loads the data anyway.
RunPlan plan_run(const RunConfig& config, const PluginSearchPath& plugins, bool count_steps);

// The plan as a person reads it: config, model, data, training, trainer and plugin, schedule.
std::string describe_plan(const RunConfig& config, const RunPlan& plan);

// run_config.toml, written into the output folder when a run starts: every key's effective value
// (defaults included) and the plugin's resolved parameters; the report shows it.
std::string effective_config_toml(const RunConfig& config, const RunPlan& plan);

}  // namespace dataflex
