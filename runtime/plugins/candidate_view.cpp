#include "plugins/candidate_view.hpp"

#include <algorithm>
#include <numeric>

#include "util/splitmix.hpp"

namespace dataflex {

host::SampleIds CandidateView::pool_ids(host::Dataset d, const host::SampleIds& ids) const {
  if (d != host::Dataset::Train || candidates_.empty()) return ids;
  host::SampleIds out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= candidates_.size())
      throw host::ServiceError(DFX_ERR_INVALID_ARGUMENT, "sample id " + std::to_string(id) + " is outside the " +
                                                             std::to_string(candidates_.size()) +
                                                             " candidates of this decision (dataflex.candidates)");
    out.push_back(candidates_[static_cast<std::size_t>(id)]);
  }
  return out;
}

host::DatasetInfo CandidateView::dataset_info(host::Dataset d) {
  host::DatasetInfo info = host_.dataset_info(d);
  if (d == host::Dataset::Train && !candidates_.empty()) info.num_samples = candidates_.size();
  return info;
}

std::vector<int32_t> CandidateView::sample_domains(host::Dataset d, const host::SampleIds& ids) {
  return host_.sample_domains(d, pool_ids(d, ids));
}
std::vector<float> CandidateView::sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) {
  return host_.sample_losses(d, m, pool_ids(d, ids));
}
std::size_t CandidateView::token_count(host::Dataset d, host::Model m, const host::SampleIds& ids) {
  return host_.token_count(d, m, pool_ids(d, ids));
}
host::TokenLosses CandidateView::token_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) {
  return host_.token_losses(d, m, pool_ids(d, ids));
}
std::vector<float> CandidateView::gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) {
  return host_.gradient_features(r, pool_ids(r.dataset, ids));
}
std::vector<float> CandidateView::embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) {
  return host_.embeddings(r, pool_ids(r.dataset, ids));
}
host::SampleTokens CandidateView::sample_tokens(host::Dataset d, const host::SampleIds& ids) {
  return host_.sample_tokens(d, pool_ids(d, ids));
}
host::Responses CandidateView::generate(const host::GenerateRequest& r, const host::SampleIds& ids) {
  return host_.generate(r, pool_ids(r.dataset, ids));
}
std::vector<float> CandidateView::reward(host::Dataset d, dfx_reward kind, const host::SampleIds& ids,
                                         const host::Responses& responses) {
  return host_.reward(d, kind, pool_ids(d, ids), responses);
}
std::vector<float> CandidateView::response_gradient_features(const host::ResponseFeatureRequest& r,
                                                             const host::SampleIds& ids,
                                                             const host::Responses& responses) {
  return host_.response_gradient_features(r, pool_ids(r.dataset, ids), responses);
}

std::vector<int64_t> draw_candidates(std::size_t pool_size, std::size_t count, uint64_t seed) {
  count = std::min(count, pool_size);
  std::vector<int64_t> ids(pool_size);
  std::iota(ids.begin(), ids.end(), int64_t{0});
  SplitMix64 rng{seed};
  for (std::size_t i = 0; i < count; ++i)  // a partial Fisher-Yates shuffle: the first `count` are the draw
    std::swap(ids[i], ids[i + rng.below(pool_size - i)]);
  ids.resize(count);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace dataflex
