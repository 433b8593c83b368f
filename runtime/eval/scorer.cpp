#include "eval/scorer.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "data/corpus.hpp"
#include "model/llama_model.hpp"
#include "model/padded_batch.hpp"
#include "util/shared_batches.hpp"

namespace dataflex {

std::vector<SampleScore> score_samples(const LlamaModel& model, const std::vector<const Sample*>& samples,
                                       int32_t pad_id, int64_t batch_size, bool per_token, bool bf16_matmuls) {
  TrainingModeScope eval_mode(model, false);
  std::vector<SampleScore> out(samples.size());
  const auto bs = static_cast<std::size_t>(std::max<int64_t>(1, batch_size));
  const auto batches = static_cast<int64_t>((samples.size() + bs - 1) / bs);
  // Each batch writes only its own samples' scores: a waiting thread may take some (util/shared_batches).
  run_shared_batches(batches, [&](int64_t index) {
    at::NoGradGuard no_grad;
    Bf16Matmuls precision(bf16_matmuls);  // thread-local too: whichever thread computes the batch
    const std::size_t first = static_cast<std::size_t>(index) * bs, last = std::min(samples.size(), first + bs);
    const PaddedBatch b = pad_batch({samples.begin() + first, samples.begin() + last}, pad_id);
    // [B, T-1], zero where the shifted label is masked, so a row's sum is the sample's NLL.
    const at::Tensor losses = model.token_losses(b.input_ids.to(model.device()), b.labels, b.lengths).to(at::kCPU);
    const at::Tensor sums = losses.to(at::kDouble).sum(1);
    const at::Tensor counts = (b.labels.narrow(1, 1, b.labels.size(1) - 1) != kIgnoreIndex).sum(1);
    const auto sa = sums.accessor<double, 1>();
    const auto ca = counts.accessor<int64_t, 1>();
    for (std::size_t i = first; i < last; ++i) {
      const auto row = static_cast<int64_t>(i - first);
      out[i].nll_sum = sa[row];
      out[i].tokens = ca[row];
    }
    if (!per_token) return;
    const at::Tensor contiguous = losses.contiguous();
    const auto la = contiguous.accessor<float, 2>();
    for (std::size_t i = first; i < last; ++i) {
      const Sample& s = *samples[i];
      for (std::size_t t = 1; t < s.labels.size(); ++t)
        if (s.labels[t] != kIgnoreIndex)
          out[i].token_losses.push_back(la[static_cast<int64_t>(i - first)][static_cast<int64_t>(t - 1)]);
    }
  });
  return out;
}

double DomainScores::loss(std::size_t d) const {
  return tokens[d] > 0 ? nll[d] / static_cast<double>(tokens[d]) : std::numeric_limits<double>::quiet_NaN();
}

double DomainScores::overall_loss() const {
  double total_nll = 0, total_tokens = 0;
  for (std::size_t d = 0; d < nll.size(); ++d) {
    total_nll += nll[d];
    total_tokens += static_cast<double>(tokens[d]);
  }
  return total_tokens > 0 ? total_nll / total_tokens : 0.0;
}

DomainScores sum_by_domain(const std::vector<const Sample*>& samples, const std::vector<SampleScore>& scores,
                           std::size_t num_domains) {
  DomainScores s;
  s.nll.assign(num_domains, 0.0);
  s.tokens.assign(num_domains, 0);
  s.samples.assign(num_domains, 0);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto d = static_cast<std::size_t>(samples[i]->domain);
    s.nll[d] += scores[i].nll_sum;
    s.tokens[d] += scores[i].tokens;
    ++s.samples[d];
  }
  return s;
}

}  // namespace dataflex
