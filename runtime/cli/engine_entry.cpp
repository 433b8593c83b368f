// The engine library's side of engine.hpp: training and evaluation, each guarded so that no exception
// crosses back into dataflex-run.
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/engine.hpp"
#include "config/run_config.hpp"
#include "plugins/decision_plugin.hpp"
#include "plugins/plugin_guard.hpp"
#include "train/run_plan.hpp"
#include "train/trainer.hpp"
#include "train/training_log.hpp"
#include "util/error.hpp"

namespace dataflex::cli {
namespace {

template <class Body>
int guarded(std::string* error, Body&& body) {
  try {
    return body();
  } catch (const Preempted& e) {
    *error = e.what();
    return kPreemptedExit;
  } catch (const PluginFailure& e) {
    *error = one_line(e.what());
    // An isolated plugin's crash, exit or hang ends the run as an in-process one does (plugin_guard).
    if (e.process_failed()) return kPluginFaultExit;
  } catch (const Error& e) {
    *error = one_line(e.what());
  } catch (const nlohmann::json::exception& e) {
    // A JSON file of ours edited or cut short (a checkpoint's state, a log): say what the parser saw.
    *error = "malformed JSON: " + one_line(e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    // Disk full, permissions, a file where a folder should be: the user's environment, not a bug.
    *error = one_line(e.what());
  } catch (const c10::Error& e) {
    *error = "LibTorch: " + one_line(e.what_without_backtrace());
  } catch (const std::exception& e) {
    *error = "internal error: " + one_line(e.what());
    return 70;
  }
  return 1;
}

int train(const TrainRequest& request, std::string* error) {
  return guarded(error, [&] {
    const RunConfig cfg = RunConfig::load(request.config, request.overrides);
    const RunPlan plan = plan_run(cfg, request.plugins, /*count_steps=*/false);
    for (const auto& n : plan.notes) spdlog::info("{}", n);
    TrainingOptions options = TrainingOptions::from_config(cfg);
    Trainer trainer(options, plan.plugin);
    trainer.set_run_config(effective_config_toml(cfg, plan));  // written when training starts
    spdlog::info("{}", trainer.describe());
    const TrainResult r = trainer.train();
    if (!trainer.is_root()) return 0;  // rank 0 speaks for a distributed run
    std::cout << fmt::format("trained:   {} steps{} in {}, train_loss {:.4f}", r.global_step,
                             r.resumed_from > 0 ? fmt::format(" (resumed at step {})", r.resumed_from) : std::string(),
                             format_duration(r.train_runtime_s), r.train_loss);
    if (r.eval.count("eval_loss")) std::cout << fmt::format(", eval_loss {:.4f}", r.eval.at("eval_loss"));
    std::cout << "\noutput:    " << options.output_dir << "\n";
    return 0;
  });
}

int evaluate(const EvalOptions& options, std::string* error) {
  return guarded(error, [&] {
    for (const auto& line : run_evaluation(options)) std::cout << line << "\n";
    return 0;
  });
}

int features(const FeaturesOptions& options, std::string* error) {
  return guarded(error, [&] {
    std::cout << extract_features(options) << "\n";
    return 0;
  });
}

const char* libtorch_version() { return TORCH_VERSION; }

const EngineApi kApi = {kEngineApiVersion, &train, &evaluate, &features, &libtorch_version};

}  // namespace
}  // namespace dataflex::cli

extern "C" __attribute__((visibility("default"))) const dataflex::cli::EngineApi* dataflex_engine_api() {
  return &dataflex::cli::kApi;
}
