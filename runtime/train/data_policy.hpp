// data_policy.hpp -- where a trainer's data decision enters the one training loop.
//
// The loop asks the policy for the sample ids of each micro-batch, for loss weights, and tells it the
// training losses it observed; the policy takes the plugin's decisions on the DecisionSchedule:
//   full data   every sample, shuffled epochs (no plugin)
//   Select      warm-up: uniform over the pool; at each decision the selector picks select_count ids
//               and the sampler trains on them until the next decision
//   Mix         warm-up: initial proportions (uniform); at each decision the mixer gets the domain
//               losses observed since its last call and returns proportions, which drive the sampler
//               (apply = sampling) or weight each domain's token losses (apply = loss_weight)
//   Weight      from warmup_step on, at every step, the weighter turns each micro-batch's per-sample
//               losses into weights; before it, weights are uniform
//   static      with a selector or a mixer: one decision before the first step, kept for the run
// Steps are optimizer steps. Every decision is a line of decisions.jsonl. No LibTorch here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/run_config.hpp"
#include "plugins/param_value.hpp"
#include "train/data_samplers.hpp"
#include "train/decision_schedule.hpp"
#include "train/sampler.hpp"

namespace dataflex {

struct Corpus;
class HostServiceProvider;
class PluginInstance;
class PluginLibrary;
struct RecordedMetric;

struct DataPolicyOptions {
  TrainType train_type = TrainType::Static;
  std::string component;             // plugin name; empty = full data
  int64_t warmup_step = 0, update_step = 1, update_times = -1;
  int64_t total_steps = 1;
  uint64_t seed = 42;
  int64_t global_batch = 8;          // samples per optimizer step
  int64_t select_count = 0;          // 0: global_batch x update_step
  bool select_with_replacement = false;
  std::string mixture_unit = "samples";  // samples | tokens
  std::string mix_apply = "sampling";    // sampling | loss_weight
  std::string output_dir;
};

class DataPolicy {
 public:
  // `library` is null for full data. `host` answers the plugin's service calls.
  DataPolicy(const DataPolicyOptions& options, const Corpus& corpus, std::shared_ptr<PluginLibrary> library,
             const std::vector<NamedParam>& params, HostServiceProvider& host);
  ~DataPolicy();

  // Before optimizer step `step` + 1 is computed (`step` steps done): takes the scheduled decision.
  void begin_step(int64_t step);
  // Sample ids of the next micro-batch.
  std::vector<int64_t> next(int64_t n);
  // Samples drawn / training-set size (whatever sampler drew them).
  double epoch() const { return static_cast<double>(drawn_) / static_cast<double>(std::max<std::size_t>(1, pool_size_)); }

  // Mix with apply = loss_weight: the weight of each domain's tokens (K p_d, so uniform = 1); else empty.
  std::vector<double> domain_loss_weights() const;
  // Weight trainer: weights of the samples of a micro-batch (uniform before warmup_step); else empty.
  bool weights_samples() const { return weighter_; }
  std::vector<double> sample_weights(int64_t step, const std::vector<int64_t>& ids, const std::vector<int32_t>& domains,
                                     const std::vector<float>& losses);
  // Only a mixer uses the observed training losses.
  bool observes_losses() const { return mixer_; }
  // Training losses of one micro-batch's samples, for the mixer's observed domain losses.
  void observe(int32_t domain, double loss_sum, int64_t tokens);

  // Plugin metrics recorded since the last call (with the step of the decision that recorded them).
  std::vector<RecordedMetric> take_metrics();
  std::string describe() const;

  // The data state for a checkpoint, and the plugin's own state.
  nlohmann::json state() const;
  std::vector<uint8_t> plugin_state();
  void load_state(const nlohmann::json& state, const std::vector<uint8_t>& plugin_state, const std::string& where);
  // Keeps only the decisions taken before `step` in decisions.jsonl (a resumed run takes the rest again).
  static void truncate_decisions(const std::string& output_dir, int64_t step);

 private:
  void decide(int64_t step, int64_t index);
  void append_decision(const nlohmann::ordered_json& line);

  DataPolicyOptions options_;
  const Corpus& corpus_;
  DecisionSchedule schedule_;
  std::unique_ptr<PluginInstance> plugin_;
  bool selector_ = false, mixer_ = false, weighter_ = false;
  EpochSampler base_;
  std::optional<SubsetSampler> subset_;
  std::optional<DomainSampler> domains_;
  std::vector<double> proportions_;            // current mixture (Mix)
  std::vector<double> observed_loss_, observed_tokens_;  // since the mixer's last call
  int64_t decisions_taken_ = 0;
  int64_t weight_calls_ = 0;
  int64_t drawn_ = 0;
  std::size_t pool_size_ = 0;
  std::vector<int64_t> domain_sizes_;
  int64_t last_weighted_step_ = -1;
};

}  // namespace dataflex
