// dataflex-run CONFIG.toml: check the config and its plugin, and say what would run.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "config/run_config.hpp"
#include "plugins/plugin_instance.hpp"
#include "train/decision_schedule.hpp"
#include "train/trainer.hpp"
#include "train/training_log.hpp"
#include "util/error.hpp"

namespace dataflex::cli {
namespace {

// What the run host offers before a model is loaded: nothing but logs and metrics. Creating the
// plugin against it checks that the plugin accepts its parameters.
class ValidationHost : public HostServiceProvider {
 public:
  std::string description() const override { return "runtime host (config validation: no model is loaded)"; }
};

const char* kind_wanted(TrainType t) {
  switch (t) {
    case TrainType::DynamicSelect: return "selector";
    case TrainType::DynamicMix: return "mixer";
    case TrainType::DynamicWeight: return "weighter";
    case TrainType::Static: return "selector or mixer";
  }
  return "?";
}

bool kind_fits(TrainType t, PluginKind k) {
  switch (t) {
    case TrainType::DynamicSelect: return k == PluginKind::Selector;
    case TrainType::DynamicMix: return k == PluginKind::Mixer;
    case TrainType::DynamicWeight: return k == PluginKind::Weighter;
    case TrainType::Static: return k == PluginKind::Selector || k == PluginKind::Mixer;
  }
  return false;
}

}  // namespace

int run_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
               const std::vector<std::string>& overrides, bool dry_run) {
  const RunConfig cfg = RunConfig::load(config_path, overrides);
  const TrainType train_type = cfg.train_type();
  const std::string& component = cfg.get_string("dataflex.component_name");
  const int64_t total_steps = cfg.get_int("training.max_steps");  // <= 0: from epochs, known once data is loaded
  const DecisionSchedule schedule(cfg.get_int("dataflex.warmup_step"), cfg.get_int("dataflex.update_step"),
                                  cfg.get_int("dataflex.update_times"), total_steps);

  // Everything is checked before anything is printed: an invalid config prints only its error.
  std::ostringstream report;
  report << "config:    " << cfg.path() << "\n";
  report << "model:     " << cfg.get_string("model.model_name_or_path") << "\n";
  std::string datasets;
  for (const auto& d : cfg.get_string_list("data.dataset")) datasets += (datasets.empty() ? "" : ", ") + d;
  report << "data:      " << cfg.get_string("data.dataset_dir") << " [" << datasets << "]\n";
  report << fmt::format("training:  {}, batch {} x {} accumulation, lr {}, seed {}, output {}\n",
                           total_steps > 0 ? fmt::format("{} steps", total_steps)
                                           : fmt::format("{} epochs", cfg.get_float("training.num_train_epochs")),
                           cfg.get_int("training.per_device_train_batch_size"),
                           cfg.get_int("training.gradient_accumulation_steps"),
                           cfg.get_float("training.learning_rate"), cfg.get_int("training.seed"),
                           cfg.get_string("training.output_dir"));

  PluginSetup plugin_setup;
  if (component.empty()) {
    if (train_type != TrainType::Static)
      throw Error(cfg.origin("dataflex.train_type") + ": train_type \"" + to_string(train_type) +
                  "\" needs dataflex.component_name (a " + kind_wanted(train_type) + " plugin)");
    if (!cfg.plugin_params().empty())
      throw Error(cfg.plugin_params()[0].origin + ": parameters are given but dataflex.component_name is empty");
    report << "trainer:   static, full data (no plugin)\n";
  } else {
    const auto registry = PluginRegistry::discover(plugin_search_path(plugin_dirs));
    const PluginManifest& m = registry.find(component);
    if (!kind_fits(train_type, m.kind))
      throw Error(cfg.origin("dataflex.component_name") + ": plugin '" + m.name + "' is a " + to_string(m.kind) +
                  " but train_type \"" + to_string(train_type) + "\" needs a " + kind_wanted(train_type));
    const auto params = resolve_params(m.params, cfg.plugin_params(), "plugin '" + m.name + "'", m.path);
    std::vector<std::string> notes;
    auto library = PluginLibrary::load(m, &notes);
    for (const auto& n : notes) spdlog::info("{}", n);
    ValidationHost host;
    { PluginInstance check(library, host, params, plugin_seed(uint64_t(cfg.get_int("training.seed")))); }

    plugin_setup.library = library;
    plugin_setup.params = params;
    report << "trainer:   " << to_string(train_type) << " with " << to_string(m.kind) << " '" << m.name << "' "
              << m.version << " (ABI " << m.abi.str() << ", " << m.library_path << ")\n";
    for (const auto& p : params) report << "  param    " << p.name << " = " << p.value.to_string() << "\n";
    const auto steps = schedule.decision_steps();
    std::string list;
    for (size_t i = 0; i < steps.size() && i < 12; ++i) list += (i ? ", " : "") + std::to_string(steps[i]);
    if (steps.size() > 12) list += ", ...";
    report << "schedule:  " << steps.size() << " decision(s) at optimizer step(s) " << (list.empty() ? "-" : list)
              << " of " << total_steps << "\n";
  }
  if (dry_run) {
    std::cout << report.str() << "validated: the config" << (component.empty() ? "" : " and the plugin")
              << " are valid (--dry-run: nothing was trained).\n";
    return 0;
  }
  std::cout << report.str() << std::flush;
  TrainingOptions options = TrainingOptions::from_config(cfg);
  Trainer trainer(options, plugin_setup);
  spdlog::info("{}", trainer.describe());
  const TrainResult r = trainer.train();
  std::cout << fmt::format("trained:   {} steps{} in {}, train_loss {:.4f}", r.global_step,
                           r.resumed_from > 0 ? fmt::format(" (resumed at step {})", r.resumed_from) : std::string(),
                           format_duration(r.train_runtime_s), r.train_loss);
  if (r.eval.count("eval_loss")) std::cout << fmt::format(", eval_loss {:.4f}", r.eval.at("eval_loss"));
  std::cout << "\noutput:    " << options.output_dir << "\n";
  return 0;
}

int config_keys() {
  for (const auto& k : config_schema()) {
    std::string line = fmt::format("{:<42} {:<11} default {}", k.dotted(), to_string(k.type), k.default_value.to_string());
    std::cout << line << "\n    " << k.help << "\n";
  }
  std::cout << fmt::format("{:<42} {:<11} checked against the plugin's manifest\n", "dataflex.params.*", "table");
  return 0;
}

}  // namespace dataflex::cli
