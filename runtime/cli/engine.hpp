// engine.hpp -- the commands that need LibTorch (train, eval, features) live in libdataflex_engine.so, which
// dataflex-run opens only when one of them runs: the other commands (plugins, config keys, version,
// --dry-run, tokenize) start without loading LibTorch's ~1 s of shared libraries.
//
// Both sides are built from one tree in one build, so the table below passes C++ types; the engine
// library checks kEngineApiVersion and no exception crosses (errors come back as text).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/plugin_registry.hpp"

namespace dataflex::cli {

struct TrainRequest {
  std::string config;
  std::vector<std::string> overrides;
  PluginSearchPath plugins;
};

struct EvalOptions {
  std::string config;  // run config: model and data keys
  std::vector<std::string> overrides;
  std::string model;  // overrides model.model_name_or_path when set
  std::string adapter;
  std::string split = "eval";   // eval | train | all
  std::string multiple_choice;  // MMLU-style JSONL: question, choices, answer
  std::string output_dir = "eval_output";
  int64_t batch_size = 8;
};

// dataflex-run features: gradient features or embeddings of a split, into an .npy / safetensors file.
struct FeaturesOptions {
  std::string config;  // run config: model, fine-tuning and data keys
  std::vector<std::string> overrides;
  std::string out;                     // FILE.npy or FILE.safetensors
  std::string checkpoint;              // a checkpoint-N folder: its weights and optimizer moments
  std::string split = "train";         // train | eval
  std::string kind = "gradients";      // gradients | embeddings
  std::string preconditioner = "sgd";  // sgd | adam (needs checkpoint)
  std::string projection = "factored";
  int64_t proj_dim = 8192;
  uint64_t seed = 0;
  std::string parameter_filter;
  int32_t layer = -1;  // embeddings
  std::string pooling = "mean";
  bool normalize = true;
  int64_t chunk = 64;  // samples per service call (progress granularity)
};

// Changes whenever the table or the structs above change.
constexpr uint32_t kEngineApiVersion = 2;
// A run stopped by SIGTERM or SIGUSR1 after writing a checkpoint (EX_TEMPFAIL: try again to resume).
constexpr int kPreemptedExit = 75;

struct EngineApi {
  uint32_t api_version;
  // Each returns the process exit code (0, 1 for a user's error, 70 for an internal one) and, when
  // it is not 0, sets *error to a one-line message.
  int (*train)(const TrainRequest& request, std::string* error);
  int (*evaluate)(const EvalOptions& options, std::string* error);
  int (*features)(const FeaturesOptions& options, std::string* error);
  const char* (*libtorch_version)();
};

// The engine library beside this executable (lib/dataflex/libdataflex_engine.so), loaded once; throws
// dataflex::Error naming the file when it is missing or from another build.
const EngineApi& open_engine();

// An engine command's exit code, with its error printed as dataflex-run's own.
int report_engine_result(int code, const std::string& error);

}  // namespace dataflex::cli

// The one symbol the engine library exports.
extern "C" const dataflex::cli::EngineApi* dataflex_engine_api();
