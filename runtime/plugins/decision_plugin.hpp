// decision_plugin.hpp -- a created plugin as the trainers use it, wherever its code runs.
//
// Two implementations: PluginInstance runs the plugin in the trainer's process (a crash there ends
// the run, attributed by the plugin guard); IsolatedPlugin runs it in a child process that speaks
// the same C ABI over shared memory, so that a crash, exit() or hang of the plugin is a
// PluginFailure the trainer survives (dataflex.plugin_isolation = "process").
#pragma once

#include <dataflex/host/bridge.hpp>
#include <dataflex/host/instance.hpp>

#include <cstdint>
#include <vector>

#include "plugins/manifest.hpp"
#include "util/error.hpp"

namespace dataflex {

using host::DecisionContext;
using host::MixInput;
using host::Selection;
using host::WeightInput;

// A decision call that failed without harming the trainer: the plugin returned an error status or an
// invalid decision, or (isolated) its process crashed, exited or outlived the timeout. The message is
// one line naming the plugin, the call and the step. dataflex.on_plugin_failure decides whether the
// run stops on it or keeps its previous decision.
class PluginFailure : public Error {
 public:
  // `resume_hint` ("the run can resume from ...") is said only when the run stops on the failure.
  explicit PluginFailure(const std::string& message, bool process_failed = false, const std::string& resume_hint = "")
      : Error(resume_hint.empty() ? message : message + "; " + resume_hint),
        detail_(message),
        process_failed_(process_failed) {}
  // The isolated plugin's process crashed, exited or hung (rather than answering with an error).
  bool process_failed() const { return process_failed_; }
  // What failed, without the resume hint.
  const std::string& detail() const { return detail_; }

 private:
  std::string detail_;
  bool process_failed_;
};

class DecisionPlugin {
 public:
  virtual ~DecisionPlugin() = default;
  virtual const PluginManifest& manifest() const = 0;

  // `pool_sample_ids`: empty when pool id i is training sample i; else the training-set id of each
  // pool position (dataflex.candidates), which the plugin keys what it remembers by.
  virtual Selection select(const DecisionContext& ctx, size_t pool_size, size_t num_select, bool allow_duplicates,
                           const std::vector<int64_t>& pool_sample_ids) = 0;
  // Proportions normalised to sum 1.
  virtual std::vector<double> mix(const DecisionContext& ctx, const MixInput& input) = 0;
  virtual host::Weights weight(const DecisionContext& ctx, const WeightInput& input) = 0;

  // Metrics the plugin recorded since the last take.
  virtual std::vector<host::Metric> take_metrics() = 0;

  virtual bool has_state() const = 0;
  virtual std::vector<uint8_t> save_state() = 0;
  virtual void load_state(const std::vector<uint8_t>& blob) = 0;
};

}  // namespace dataflex
