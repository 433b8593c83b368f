// candidate_view.hpp -- a selector shown a random subset of the training pool as if it were the pool
// (dataflex.candidates: online batch selection's practice, so that scoring cost stops growing with
// the pool).
//
// The view sits between the plugin and the trainer's ServiceProvider. While candidates are shown,
// training-set sample id i of the plugin is pool id candidates[i] for every service that takes ids,
// and dataset_info(train) reports the candidates' count; everything else passes through. The trainer
// maps the selection back. No plugin needs to know.
#pragma once

#include <dataflex/host/services.hpp>

#include <cstdint>
#include <vector>

namespace dataflex {

class CandidateView final : public host::ServiceProvider {
 public:
  explicit CandidateView(host::ServiceProvider& host) : host_(host) {}

  // `candidates`: pool ids, in the order the plugin sees them. Empty: the whole pool.
  void show(std::vector<int64_t> candidates) { candidates_ = std::move(candidates); }
  void show_all() { candidates_.clear(); }
  const std::vector<int64_t>& candidates() const { return candidates_; }

  std::string description() const override { return host_.description(); }
  host::DatasetInfo dataset_info(host::Dataset d) override;
  std::vector<int32_t> sample_domains(host::Dataset d, const host::SampleIds& ids) override;
  std::vector<float> sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  std::size_t token_count(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  host::TokenLosses token_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  std::vector<double> domain_losses(host::Dataset d, host::Model m) override { return host_.domain_losses(d, m); }
  std::size_t gradient_feature_dim(const host::GradientRequest& r) override { return host_.gradient_feature_dim(r); }
  std::vector<float> gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) override;
  std::size_t embedding_dim(const host::EmbeddingRequest& r) override { return host_.embedding_dim(r); }
  std::vector<float> embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) override;
  host::SampleTokens sample_tokens(host::Dataset d, const host::SampleIds& ids) override;
  host::Responses generate(const host::GenerateRequest& r, const host::SampleIds& ids) override;
  std::vector<float> reward(host::Dataset d, dfx_reward kind, const host::SampleIds& ids,
                            const host::Responses& responses) override;
  std::size_t response_feature_dim(const host::ResponseFeatureRequest& r) override {
    return host_.response_feature_dim(r);
  }
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& r, const host::SampleIds& ids,
                                                const host::Responses& responses) override;

 private:
  // The pool ids of the plugin's ids (training set only; the eval set is never narrowed).
  host::SampleIds pool_ids(host::Dataset d, const host::SampleIds& ids) const;

  host::ServiceProvider& host_;
  std::vector<int64_t> candidates_;
};

// `count` distinct ids of [0, pool_size), drawn uniformly with `seed`, ascending.
std::vector<int64_t> draw_candidates(std::size_t pool_size, std::size_t count, uint64_t seed);

}  // namespace dataflex
