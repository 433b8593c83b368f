// dataflex-run: the command line users live in.
//
//   dataflex-run [--plugin-dir DIR]... CONFIG.toml [--set KEY=VALUE]...
//   dataflex-run plugins list | info NAME | run NAME --host FILE.json
//   dataflex-run config keys
//   dataflex-run version
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.hpp"
#include "util/error.hpp"

int main(int argc, char** argv) {
  using namespace dataflex;
  auto logger = spdlog::stderr_color_mt("dataflex");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$: %v");

  CLI::App app{"DataFlex: data-centric dynamic training of decoder-only language models", "dataflex-run"};
  app.set_version_flag("--version", [] { return cli::build_info(); });
  std::vector<std::string> plugin_dirs;
  app.add_option("--plugin-dir", plugin_dirs, "folder searched for plugins (repeatable; searched first)")
      ->type_name("DIR");
  std::string config_path;
  std::vector<std::string> overrides;
  app.add_option("config", config_path, "run config (TOML)")->type_name("CONFIG.toml");
  app.add_option("--set", overrides, "override a config key: dotted.key=value (repeatable)")->type_name("KEY=VALUE");
  app.add_flag("--verbose,-v", [](int64_t) { spdlog::set_level(spdlog::level::debug); }, "debug logging");
  app.require_subcommand(0, 1);

  auto* plugins = app.add_subcommand("plugins", "list, inspect and try plugins");
  plugins->require_subcommand(1);
  auto* list = plugins->add_subcommand("list", "every plugin found, one line each, with its status");
  bool as_json = false;
  list->add_flag("--json", as_json, "print JSON instead of a table");
  auto* info = plugins->add_subcommand("info", "a plugin's manifest and parameters");
  std::string info_name;
  info->add_option("name", info_name, "plugin name")->required();
  auto* run = plugins->add_subcommand("run", "decisions of one plugin against a recorded host (JSON)");
  std::string run_name, recording;
  std::vector<std::string> param_sets;
  std::optional<uint64_t> seed;
  run->add_option("name", run_name, "plugin name")->required();
  run->add_option("--host", recording, "recorded host answers (docs/recorded-host.md)")
      ->required()
      ->type_name("FILE.json");
  run->add_option("--set", param_sets, "plugin parameter name=value (repeatable)")->type_name("NAME=VALUE");
  run->add_option("--seed", seed, "run seed (overrides the recording's)");
  for (auto* sub : {plugins, list, info, run})
    sub->add_option("--plugin-dir", plugin_dirs, "folder searched for plugins (repeatable)")->type_name("DIR");

  auto* config = app.add_subcommand("config", "about run configs");
  config->require_subcommand(1);
  auto* keys = config->add_subcommand("keys", "every config key with its type, default and help");
  auto* version = app.add_subcommand("version", "versions of the runtime, the SDK ABI and LibTorch");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*list) return cli::plugins_list(plugin_dirs, as_json);
    if (*info) return cli::plugins_info(plugin_dirs, info_name);
    if (*run) return cli::plugins_run(plugin_dirs, run_name, recording, param_sets, seed);
    if (*keys) return cli::config_keys();
    if (*version) {
      std::cout << cli::build_info() << "\n";
      return 0;
    }
    if (config_path.empty()) {
      std::cerr << app.help();
      return 2;
    }
    return cli::run_config(plugin_dirs, config_path, overrides);
  } catch (const Error& e) {
    std::cerr << "dataflex-run: error: " << one_line(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dataflex-run: internal error: " << one_line(e.what()) << "\n";
    return 70;
  }
}
