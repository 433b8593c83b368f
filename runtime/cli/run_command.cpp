// dataflex-run CONFIG.toml: check the config and its plugin, print the plan, and train (in the engine
// library) unless --dry-run.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/engine.hpp"
#include "config/run_config.hpp"
#include "config/yaml_config.hpp"
#include "train/launch_env.hpp"
#include "train/run_plan.hpp"
#include "util/error.hpp"

namespace dataflex::cli {

int run_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
               const std::vector<std::string>& overrides, bool dry_run) {
  const RunConfig cfg = RunConfig::load(config_path, overrides);
  const PluginSearchPath plugins = plugin_search_path(plugin_dirs);
  // Everything is checked before anything is printed: an invalid config prints only its error.
  const RunPlan plan = plan_run(cfg, plugins, /*count_steps=*/dry_run);
  // Rank 0 speaks for a distributed run.
  const LaunchEnv env = launch_env_from_environment();
  if (env.rank == 0) {
    for (const auto& n : cfg.notes()) spdlog::info("{}", n);
    for (const auto& n : plan.notes) spdlog::info("{}", n);
    std::cout << describe_plan(cfg, plan);
    if (env.distributed())
      std::cout << fmt::format("ranks:     {} ({}; the batch above is per rank)\n", env.world_size, env.launcher);
  }
  if (dry_run) {
    std::cout << "validated: the config" << (plan.plugin.manifest ? " and the plugin" : "")
              << " are valid (--dry-run: nothing was trained).\n";
    return 0;
  }
  std::cout << std::flush;
  const EngineApi& engine = open_engine();
  std::string error;
  return report_engine_result(engine.train(TrainRequest{config_path, overrides, plugins}, &error), error);
}

void check_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
                  const std::vector<std::string>& overrides) {
  const RunConfig cfg = RunConfig::load(config_path, overrides);
  plan_run(cfg, plugin_search_path(plugin_dirs), /*count_steps=*/false);
}

int migrate_config(const std::string& yaml_path, const std::vector<std::string>& overrides) {
  if (!is_yaml_config(yaml_path)) throw Error(yaml_path + ": migrate reads a YAML config (.yaml or .yml)");
  const TranslatedConfig tr = translate_yaml_config(yaml_path, overrides);
  for (const auto& n : tr.notes) spdlog::info("{}", n);
  std::cout << tr.toml_text;
  return 0;
}

int config_keys() {
  for (const auto& k : config_schema()) {
    std::string line =
        fmt::format("{:<42} {:<11} default {}", k.dotted(), to_string(k.type), k.default_value.to_string());
    std::cout << line << "\n    " << k.help << "\n";
  }
  std::cout << fmt::format("{:<42} {:<11} checked against the plugin's manifest\n", "dataflex.params.*", "table");
  return 0;
}

}  // namespace dataflex::cli
