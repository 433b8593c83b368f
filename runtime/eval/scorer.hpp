// scorer.hpp -- how well a model predicts samples: the one scorer of padded batches that the
// trainer's evaluation, `dataflex-run eval` and the host's loss services share.
//
// A sample's score is the summed negative log-likelihood of its trained tokens (labels not masked,
// from the second token on, as training counts them) and their number; with `per_token`, each of
// those tokens' losses too. Computed in eval mode (LoRA dropout off), without gradients, in batches
// of `batch_size` right-padded samples; the per-sample sums are float64. No LibTorch in this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dataflex {

class LlamaModel;
struct Sample;

struct SampleScore {
  double nll_sum = 0.0;             // summed NLL of the trained tokens
  int64_t tokens = 0;               // trained tokens
  std::vector<float> token_losses;  // with per_token: each trained token's loss, in order
  double mean_loss() const { return tokens > 0 ? nll_sum / static_cast<double>(tokens) : 0.0; }
};

// `bf16_matmuls`: the model's linear maps in bfloat16 (Bf16Matmuls, llama_model.hpp): a decision's
// signals may ask for it (dataflex.signal_precision); evaluation never does.
std::vector<SampleScore> score_samples(const LlamaModel& model, const std::vector<const Sample*>& samples,
                                       int32_t pad_id, int64_t batch_size, bool per_token = false,
                                       bool bf16_matmuls = false);

// Scores summed by domain: the mean loss of a domain is its NLL over its tokens (token-weighted).
struct DomainScores {
  std::vector<double> nll;
  std::vector<int64_t> tokens;
  std::vector<int64_t> samples;
  double loss(std::size_t domain) const;  // NaN for a domain without tokens
  double overall_loss() const;            // all domains' NLL over all their tokens; 0 without tokens
};
DomainScores sum_by_domain(const std::vector<const Sample*>& samples, const std::vector<SampleScore>& scores,
                           std::size_t num_domains);

}  // namespace dataflex
