// generation.hpp -- sampling responses from the model: batched, with a KV cache, deterministic for a
// seed (NICE draws its Monte-Carlo responses here).
//
// Prompts of different lengths are left-padded; padding is masked and rotary positions start at each
// prompt's first token, so a prompt's response does not depend on the others in its batch. Each draw
// uses only its own prompt's seed and the step (splitmix64), never a shared generator: the same
// prompt and seed give the same response in any batch, on any machine.
#pragma once

#include <cstdint>
#include <vector>

namespace dataflex {

class LlamaModel;

struct GenerationOptions {
  int64_t max_new_tokens = 64;
  double temperature = 0.0;       // 0: greedy (the most likely token; the lower id on a tie)
  double top_p = 1.0;             // nucleus: the smallest set of most likely tokens whose mass reaches top_p
  int64_t top_k = 0;              // 0: no limit
  std::vector<int32_t> stop_ids;  // a response ends with the first of these it produces (kept)
};

// One response per prompt (the prompt not included). `seeds`: one per prompt. `pad_id` fills the
// padding (never attended to). Throws dataflex::Error for an empty prompt or mismatched sizes.
std::vector<std::vector<int32_t>> generate(const LlamaModel& model, const std::vector<std::vector<int32_t>>& prompts,
                                           const GenerationOptions& options, const std::vector<uint64_t>& seeds,
                                           int32_t pad_id);

// The token chosen from one row of logits: greedy at temperature 0, else a draw with uniform `u` in
// [0, 1) from the tempered, top-k and top-p filtered distribution (inverse CDF over tokens sorted by
// probability, then id). Exposed for tests.
int32_t choose_token(const float* logits, int64_t vocab, const GenerationOptions& options, double u);

}  // namespace dataflex
