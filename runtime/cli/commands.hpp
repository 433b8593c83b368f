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

// Trains (or, with dry_run, only checks the config and its plugin and prints the plan).
int run_config(const std::vector<std::string>& plugin_dirs, const std::string& config_path,
               const std::vector<std::string>& overrides, bool dry_run);

// dataflex-run tokenize: ids of a text as JSON.
int tokenize(const std::string& tokenizer, const std::string& text, bool add_special_tokens, bool show_tokens);

struct EvalOptions {
  std::string config;                 // run config: model and data keys
  std::vector<std::string> overrides;
  std::string model;                  // overrides model.model_name_or_path when set
  std::string adapter;
  std::string split = "eval";         // eval | train | all
  std::string multiple_choice;        // MMLU-style JSONL: question, choices, answer
  std::string output_dir = "eval_output";
  int64_t batch_size = 8;
};
// dataflex-run eval: per-sample / per-domain loss and perplexity, multiple-choice accuracy.
int evaluate(const EvalOptions& options);
int config_keys();

// Versions of the runtime, its ABI, LibTorch and the build features, one per line.
std::string build_info();

}  // namespace dataflex::cli
