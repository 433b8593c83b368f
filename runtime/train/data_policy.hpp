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
// With dataflex.decision_staleness = s > 0 (Select, Mix), the decision scheduled at step d is computed
// on a worker thread, on a snapshot of step d's weights, while steps d+1 .. d+s train on the previous
// decision; it is applied before step d+s+1. A checkpoint inside that window waits for the worker and
// stores the computed decision, so a resumed run applies the same one at the same step.
// No LibTorch here.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
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

// What a decision computed beside training needs from the trainer (the LibTorch side:
// train/decision_overlap.*). Every call but worker_started comes from the training thread.
class DecisionOverlap {
 public:
  virtual ~DecisionOverlap() = default;
  // Before the worker starts: the host services answer from a copy of the current weights (and Adam
  // moments), so the worker never reads the weights training is changing.
  virtual void take_snapshot() = 0;
  // After the worker is done: the copy is dropped.
  virtual void drop_snapshot() = 0;
  // From a decision's step to the step it is applied at, training runs on its share of the cores
  // (true), then on all of them again (false). Tied to the schedule, not to when the worker finishes,
  // so the thread counts every step sees are the same in a resumed run.
  virtual void split_cores(bool split) = 0;
  // On the worker thread, before it calls the plugin: the worker's share of the cores.
  virtual void worker_started() = 0;
  // On the training thread while it waits for the worker: takes whole batches of the computation the
  // worker is in, at the worker's thread settings (so the result has the same bits), until none are
  // left; false when there was nothing to take.
  virtual bool help_worker() = 0;
};

// A decision taken at `step` and applied at `apply_at`: in flight while `work` is valid, then its
// outcome or error (DataPolicy's, with dataflex.decision_staleness > 0).
struct PendingDecision {
  int64_t step = 0, index = 0, apply_at = 0;
  nlohmann::json input, outcome;
  std::exception_ptr error;
  std::future<nlohmann::json> work;
  std::shared_ptr<double> compute_s = std::make_shared<double>(0.0);  // the worker's time, set by it
  double waited_s = 0;    // how long training waited for the worker (at the decision's step or a checkpoint)
  bool restored = false;  // read from a checkpoint: computed by the run that wrote it
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

  // dataflex.decision_staleness > 0: how decisions run beside training (must outlive the policy's use).
  void set_overlap(DecisionOverlap* overlap) { overlap_ = overlap; }
  // A worker is computing a decision now: the plugin and the weight snapshot are its.
  bool decision_in_flight() const { return pending_ && pending_->work.valid(); }
  // Waits for a decision in flight and keeps its outcome (or its error) until its step comes; the
  // trainer calls it before a checkpoint and before the policy goes away. Never throws.
  void settle();

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
  // A decision in three parts, so that the middle one can run on a worker thread:
  //   prepare  (training thread, at the decision's step) what the decision reads from the policy's
  //            running state (a mixer's observed losses), taken out of it;
  //   compute  (any thread) the plugin call; throws what the call throws. A failure the run survives
  //            (on_plugin_failure = "keep_last_decision") comes back as {"failure": detail};
  //   apply    (training thread, at step `applied_at`) the outcome becomes the current decision and a
  //            line of decisions.jsonl.
  virtual nlohmann::json prepare(int64_t /*step*/, int64_t /*index*/) { return nlohmann::json::object(); }
  virtual nlohmann::json compute(int64_t /*step*/, int64_t /*index*/, const nlohmann::json& /*input*/) {
    return nlohmann::json::object();
  }
  virtual void apply(int64_t /*step*/, int64_t /*index*/, const nlohmann::json& /*input*/,
                     const nlohmann::json& /*outcome*/, int64_t /*applied_at*/) {}
  // The policy's own part of the state.
  virtual void save(nlohmann::json& /*state*/) const {}
  virtual void load(const nlohmann::json& /*state*/, const std::string& /*where*/) {}
  // The context plugins see for decision `index` at `step`: the schedule's, with the learning rate
  // the trainer applies at that step.
  DecisionContext context(int64_t step, int64_t index) const;
  // The first keys of a decisions.jsonl line: the decision's step, or the step it was applied at
  // and its snapshot's step when they differ.
  nlohmann::ordered_json decision_line(int64_t step, int64_t index, int64_t applied_at) const;
  // Whether a failed plugin call leaves the run going (on_plugin_failure = "keep_last_decision"):
  // compute then returns failure_outcome(failure) instead of rethrowing.
  bool survives_failures() const { return options_.keep_last_decision_on_failure; }
  static nlohmann::json failure_outcome(const PluginFailure& failure) { return {{"failure", failure.detail()}}; }
  // apply's part for such an outcome: true (after a warning and a decisions.jsonl line saying
  // `action`) when it is one; the caller keeps its previous decision.
  bool logged_failure(int64_t step, int64_t index, const nlohmann::json& outcome, int64_t applied_at,
                      const char* action);

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
  void decide(int64_t step, int64_t index);
  void launch(int64_t step, int64_t index);
  void apply_pending(int64_t step);

  int64_t drawn_ = 0;
  bool follower_ = false;
  DecisionOverlap* overlap_ = nullptr;
  std::optional<PendingDecision> pending_;
};

// The policy of a run: the train type and the plugin's kind pick it, the schedule follows from both.
// `host` answers the plugin's service calls. Throws dataflex::Error when the plugin's kind does not fit
// the train type.
std::unique_ptr<DataPolicy> make_data_policy(const TrainingOptions& options, int64_t total_steps, const Corpus& corpus,
                                             const PluginSetup& plugin, host::ServiceProvider& host);

}  // namespace dataflex
