// policies.hpp -- the four data policies (data_policy.hpp says what each does); built by
// make_data_policy, one source file each.
#pragma once

#include <optional>
#include <vector>

#include "train/data_policy.hpp"

namespace dataflex {

class FullDataPolicy : public DataPolicy {
 public:
  FullDataPolicy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus, DecisionSchedule schedule)
      : DataPolicy(o, total_steps, corpus, nullptr, std::move(schedule)) {}
};

class SelectPolicy : public DataPolicy {
 public:
  SelectPolicy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus,
               std::unique_ptr<DecisionPlugin> plugin, DecisionSchedule schedule,
               std::unique_ptr<CandidateView> candidate_view);

 private:
  Sampler& sampler() override;
  nlohmann::json compute(int64_t step, int64_t index, const nlohmann::json& input) override;
  void apply(int64_t step, int64_t index, const nlohmann::json& input, const nlohmann::json& outcome,
             int64_t applied_at) override;
  void save(nlohmann::json& state) const override;
  void load(const nlohmann::json& state, const std::string& where) override;
  std::size_t selection_size() const;

  std::optional<SubsetSampler> subset_;  // the current selection, after the first decision
};

class MixPolicy : public DataPolicy {
 public:
  MixPolicy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus, std::unique_ptr<DecisionPlugin> plugin,
            DecisionSchedule schedule);
  LossWeights loss_weights(int64_t step, const BatchLosses& batch) override;
  void end_step(const std::vector<BatchLosses>& batches) override;
  bool wants_excess_losses() const override { return wants_excess_; }
  bool weighs_losses() const override { return options_.mix_apply == MixApply::LossWeight; }

 private:
  Sampler& sampler() override;
  nlohmann::json prepare(int64_t step, int64_t index) override;
  nlohmann::json compute(int64_t step, int64_t index, const nlohmann::json& input) override;
  void apply(int64_t step, int64_t index, const nlohmann::json& input, const nlohmann::json& outcome,
             int64_t applied_at) override;
  void save(nlohmann::json& state) const override;
  void load(const nlohmann::json& state, const std::string& where) override;

  std::optional<DomainSampler> domains_;                 // apply = sampling
  std::vector<double> proportions_;                      // the current mixture
  std::vector<double> observed_loss_, observed_tokens_;  // since the mixer's last call
  std::vector<double> observed_excess_;                  // summed clipped excess losses, idem
  bool wants_excess_ = false;                            // the mixer requires observed_excess_losses
  std::vector<int64_t> domain_sizes_;
};

class WeightPolicy : public DataPolicy {
 public:
  WeightPolicy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus,
               std::unique_ptr<DecisionPlugin> plugin, DecisionSchedule schedule)
      : DataPolicy(o, total_steps, corpus, std::move(plugin), std::move(schedule)) {}
  LossWeights loss_weights(int64_t step, const BatchLosses& batch) override;
  bool weighs_losses() const override { return true; }

 private:
  void save(nlohmann::json& state) const override;
  void load(const nlohmann::json& state, const std::string& where) override;

  int64_t weight_calls_ = 0;
  int64_t last_logged_step_ = -1;
};

}  // namespace dataflex
