// commands.hpp -- the subcommands of dataflex-run, each in its own file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plugins/plugin_registry.hpp"

namespace dataflex::cli {

// The search path for this invocation: --plugin-dir..., DATAFLEX_PLUGIN_PATH, the installation's folder.
PluginSearchPath plugin_search_path(const std::vector<std::string>& plugin_dirs);

int plugins_list(const std::vector<std::string>& plugin_dirs, bool as_json);
int plugins_info(const std::vector<std::string>& plugin_dirs, const std::string& name);
int plugins_run(const std::vector<std::string>& plugin_dirs, const std::string& name,
                const std::string& recording, const std::vector<std::string>& param_overrides,
                std::optional<uint64_t> seed);

int run_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
               const std::vector<std::string>& overrides);
int config_keys();

// Versions of the runtime, its ABI, LibTorch and the build features, one per line.
std::string build_info();

}  // namespace dataflex::cli
