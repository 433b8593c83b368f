// data_policy.hpp -- where a trainer's data decision enters the one training loop.
//
// The loop never asks which trainer it runs. Every step it tells the policy that the step begins
// (the policy takes the decision scheduled there), draws each micro-batch's sample ids from it, asks
// how to weight each micro-batch's loss, and reports the step's observed losses at the end:
//   full data   every sample, shuffled epochs (no plugin)
//   Select      warm-up: uniform over the pool; at each decision the selector picks select_count ids
//               and the sampler trains on them until the next decision
//   Mix         warm-up: uniform proportions; at each decision the mixer gets the domain losses
//               observed since its last call and returns proportions, which drive the sampler
//               (apply = sampling) or weight each domain's token losses (apply = loss_weight)
//   Weight      the weighter turns each micro-batch's per-sample losses into weights on the steps its
//               schedule covers; uniform weights elsewhere
// The plugin is called on the DecisionSchedule; every decision is a line of decisions.jsonl; the
// policy's state (samplers, current decision, the plugin's own state) goes into checkpoints.
// No LibTorch here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/param_value.hpp"
#include "plugins/candidate_view.hpp"
#include "plugins/decision_plugin.hpp"
#include "plugins/decision_schedule.hpp"
#include "plugins/plugin_library.hpp"
#include "train/decision_log.hpp"
#include "train/samplers.hpp"
#include "train/training_options.hpp"

namespace dataflex {

struct Corpus;

// The plugin of a run (none for full data), checked, with its parameters validated. Its library is
// loaded in this process unless the plugin runs isolated: then only its worker process loads it.
struct PluginSetup {
  std::optional<PluginManifest> manifest;  // none: full data
  std::shared_ptr<PluginLibrary> library;  // null when isolated
  std::vector<NamedParam> params;
};

// One micro-batch after its forward pass.
struct BatchLosses {
  std::vector<int64_t> ids;
  std::vector<int32_t> domains;
  std::vector<float> loss_sums;  // each sample's summed trained-token loss
  std::vector<int64_t> tokens;   // each sample's trained tokens
  // Each sample's sum over its trained tokens of max(0, loss - reference loss); filled only when the
  // policy wants_excess_losses().
  std::vector<float> excess_sums;
  // Each sample's mean token loss (what a weighter is given).
  std::vector<float> mean_losses() const;
};

// How the loss of a micro-batch is formed from its token losses.
struct LossWeights {
  enum class Form {
    Tokens,           // sum of token losses / the step's trained tokens (Hugging Face's; weights unused)
    WeightedTokens,   // each sample's token losses times weights[i], / the step's trained tokens
    WeightedSamples,  // sum_i weights[i] * mean_i / sum_i weights[i], averaged over the step's micro-batches
    AbsoluteSamples   // sum_i weights[i] * mean_i / batch size, averaged over the step's micro-batches
  };
  Form form = Form::Tokens;
  std::vector<double> weights;  // one per sample of the micro-batch
};

class DataPolicy {
 public:
  virtual ~DataPolicy();
  DataPolicy(const DataPolicy&) = delete;
  DataPolicy& operator=(const DataPolicy&) = delete;

  // Before optimizer step `step` + 1 is computed (`step` steps done): takes the scheduled decision.
  void begin_step(int64_t step);
  // Sample ids of the next micro-batch.
  std::vector<int64_t> next_batch(int64_t n);
  // How to weight the loss of one micro-batch of step `step` (a weighter decides here).
  virtual LossWeights loss_weights(int64_t step, const BatchLosses& batch);
  // After the optimizer step: the losses every micro-batch of the step observed.
  virtual void end_step(const std::vector<BatchLosses>& batches);
  // Whether loss_weights can return anything but the plain token mean (a distributed run then asks
  // rank 0 for every micro-batch's weights; otherwise no rank needs to).
  virtual bool weighs_losses() const { return false; }
  // Whether end_step needs BatchLosses::excess_sums (the reference model's forward on every batch).
  virtual bool wants_excess_losses() const { return false; }

  // A rank other than 0 of a distributed run: the plugin is never called here; each decision arrives
  // as rank 0's data state (load_state with no plugin state), and loss weights from rank 0.
  void set_follower(bool follower) { follower_ = follower; }
  // Every decisions.jsonl line this policy appends is also shown to `observer`.
  void observe_decisions(std::function<void(const nlohmann::ordered_json&)> observer) {
    log_.observe(std::move(observer));
  }
  bool decides_at(int64_t step) const { return schedule_.decision_index(step) >= 0; }

  // Samples drawn / training-set size (whatever sampler drew them).
  double epoch() const;
  const DecisionSchedule& schedule() const { return schedule_; }
  // Plugin metrics recorded since the last call, with the step of the call that recorded them.
  std::vector<host::Metric> take_metrics();

  // The data state for a checkpoint, and the plugin's own state.
  nlohmann::json state() const;
  std::vector<uint8_t> plugin_state();
  // The build of the plugin this policy runs (its library's SHA-256 recorded when it was loaded, by this
  // process or, for an isolated plugin, before its worker was started); null for full data.
  const PluginManifest* plugin_manifest() const;
  void load_state(const nlohmann::json& state, const std::vector<uint8_t>& plugin_state, const std::string& where);

 protected:
  DataPolicy(const TrainingOptions& options, int64_t total_steps, const Corpus& corpus,
             std::unique_ptr<DecisionPlugin> plugin, DecisionSchedule schedule,
             std::unique_ptr<CandidateView> candidate_view = nullptr);

  // The sampler the next batch comes from.
  virtual Sampler& sampler() { return base_; }
  // The decision number `index`, scheduled at `step`.
  virtual void decide(int64_t /*step*/, int64_t /*index*/) {}
  // The policy's own part of the state.
  virtual void save(nlohmann::json& /*state*/) const {}
  virtual void load(const nlohmann::json& /*state*/, const std::string& /*where*/) {}
  // The context plugins see for decision `index` at `step`: the schedule's, with the learning rate
  // the trainer applies at that step.
  DecisionContext context(int64_t step, int64_t index) const;
  // The first keys of a decisions.jsonl line.
  nlohmann::ordered_json decision_line(int64_t step, int64_t index) const;
  // A decision call failed. Under on_plugin_failure = "keep_last_decision" the failure is logged (a
  // warning and a decisions.jsonl line saying `action`) and true is returned: the caller keeps its
  // previous decision. Otherwise false: the caller rethrows and the run stops.
  bool survive_failure(int64_t step, int64_t index, const PluginFailure& failure, const char* action);

  const TrainingOptions& options_;
  const int64_t total_steps_;
  const Corpus& corpus_;
  std::unique_ptr<CandidateView> candidate_view_;  // the plugin's host when dataflex.candidates is set
  std::unique_ptr<DecisionPlugin> plugin_;         // null for full data
  const DecisionSchedule schedule_;
  const LrSchedule lr_;  // the trainer's, for the decision contexts
  DecisionLog log_;
  EpochSampler base_;
  int64_t decisions_taken_ = 0;

 private:
  int64_t drawn_ = 0;
  bool follower_ = false;
};

// The policy of a run: the train type and the plugin's kind pick it, the schedule follows from both.
// `host` answers the plugin's service calls. Throws dataflex::Error when the plugin's kind does not fit
// the train type.
std::unique_ptr<DataPolicy> make_data_policy(const TrainingOptions& options, int64_t total_steps, const Corpus& corpus,
                                             const PluginSetup& plugin, host::ServiceProvider& host);

}  // namespace dataflex
