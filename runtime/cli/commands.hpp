// commands.hpp -- the subcommands of dataflex-run, each in its own file. Those marked [engine] run in
// the engine library (engine.hpp); the others never load LibTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/engine.hpp"
#include "plugins/plugin_registry.hpp"

namespace dataflex::cli {

// The search path for this invocation: --plugin-dir..., DATAFLEX_PLUGIN_PATH, the installation's folder.
PluginSearchPath plugin_search_path(const std::vector<std::string>& plugin_dirs);
// --allow-insecure-plugins, for every search path built afterwards.
void set_allow_insecure_plugins(bool allow);

// Reads manifests only, unless `check`: then each library is loaded (its constructors run).
int plugins_list(const std::vector<std::string>& plugin_dirs, bool as_json, bool check);
int plugins_info(const std::vector<std::string>& plugin_dirs, const std::string& name);
int plugins_run(const std::vector<std::string>& plugin_dirs, const std::string& name, const std::string& recording,
                const std::vector<std::string>& param_overrides, std::optional<uint64_t> seed);

// Checks the config and its plugin and prints the plan; then trains [engine], unless dry_run.
int run_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
               const std::vector<std::string>& overrides, bool dry_run);
// Checks the config and its plugin, printing nothing (the --nproc-per-node launcher, before any rank).
void check_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
                  const std::vector<std::string>& overrides);
int config_keys();
// dataflex-run migrate x.yaml [key=value]...: the equivalent TOML config on standard output.
int migrate_config(const std::string& yaml_path, const std::vector<std::string>& overrides);
// dataflex-run report OUTPUT_DIR [-o FILE] and compare DIR... [-o FILE]: the report pages.
int report_run(const std::string& output_dir, const std::string& out_file);
int compare_runs(const std::vector<std::string>& output_dirs, const std::string& out_file);
// dataflex-run doremi: DoReMi's reference, proxy and final runs from the proxy run's config.
int doremi_workflow(const std::vector<std::string>& plugin_dirs, const std::string& recipe_path,
                    const std::vector<std::string>& overrides);

// dataflex-run tokenize: ids of a text as JSON.
int tokenize(const std::string& tokenizer, const std::string& text, bool add_special_tokens, bool show_tokens);

// [engine] dataflex-run eval: per-sample / per-domain loss and perplexity, multiple-choice accuracy.
// Returns the lines to print.
std::vector<std::string> run_evaluation(const EvalOptions& options);

// [engine] dataflex-run features: writes the file and returns the line to print.
std::string extract_features(const FeaturesOptions& options);

// Versions of the runtime, its ABI, LibTorch and the build features, one per line.
std::string build_info();

}  // namespace dataflex::cli
