// Generation with the KV cache against the plain definition: a greedy loop that reruns the whole
// sequence through forward() for every token, prompt by prompt.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "model/generation.hpp"
#include "model/llama_model.hpp"

namespace dataflex {
namespace {

ModelConfig tiny(int64_t vocab) {
  ModelConfig c = ModelConfig::builtin_tiny(vocab);
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;  // grouped-query attention, as Qwen2 / Mistral
  c.head_dim = 8;
  c.tie_word_embeddings = false;
  return c;
}

// The definition: no cache, no padding, one prompt at a time, argmax of the last position.
std::vector<int32_t> greedy_without_cache(const LlamaModel& model, std::vector<int32_t> seq, int64_t max_new,
                                          int32_t stop) {
  at::NoGradGuard no_grad;
  std::vector<int32_t> out;
  for (int64_t i = 0; i < max_new; ++i) {
    at::Tensor ids = at::tensor(std::vector<int64_t>(seq.begin(), seq.end())).unsqueeze(0);
    at::Tensor last = model.forward(ids).select(1, ids.size(1) - 1)[0];
    const auto next = static_cast<int32_t>(last.argmax().item<int64_t>());
    out.push_back(next);
    seq.push_back(next);
    if (next == stop) break;
  }
  return out;
}

TEST(Generation, GreedyWithTheCacheEqualsTheLoopWithoutItTokenForToken) {
  LlamaModel model(tiny(64), 11);
  model.set_training(false);
  const std::vector<std::vector<int32_t>> prompts = {{5, 9, 2, 33, 17, 1, 8}, {40}, {3, 3, 60, 12}};
  GenerationOptions o;
  o.max_new_tokens = 24;
  o.stop_ids = {63};
  // Batch of three prompts of different lengths (left padding), and each prompt alone.
  const auto batched = generate(model, prompts, o, {1, 2, 3}, 0);
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    const auto want = greedy_without_cache(model, prompts[i], o.max_new_tokens, 63);
    EXPECT_EQ(batched[i], want) << "prompt " << i << " in a batch";
    EXPECT_EQ(generate(model, {prompts[i]}, o, {7}, 0)[0], want) << "prompt " << i << " alone";
  }
}

TEST(Generation, AResponseStopsAtItsFirstStopTokenAndKeepsIt) {
  LlamaModel model(tiny(64), 11);
  GenerationOptions o;
  o.max_new_tokens = 24;
  const auto free_run = generate(model, {{5, 9, 2}}, o, {1}, 0)[0];
  ASSERT_GE(free_run.size(), 3u);
  o.stop_ids = {free_run[2]};  // the third token produced: the response must end there
  const auto stopped = generate(model, {{5, 9, 2}}, o, {1}, 0)[0];
  const auto first = std::find(free_run.begin(), free_run.end(), free_run[2]) - free_run.begin();
  EXPECT_EQ(stopped, std::vector<int32_t>(free_run.begin(), free_run.begin() + first + 1));
}

TEST(Generation, SamplingIsFixedByThePromptsSeedWhateverTheBatch) {
  LlamaModel model(tiny(64), 11);
  GenerationOptions o;
  o.max_new_tokens = 16;
  o.temperature = 1.0;
  o.top_p = 0.9;
  o.top_k = 20;
  const std::vector<int32_t> p = {5, 9, 2};
  const auto alone = generate(model, {p}, o, {42}, 0)[0];
  const auto in_batch = generate(model, {{1, 2, 3, 4, 5, 6}, p, {7}}, o, {1, 42, 3}, 0)[1];
  EXPECT_EQ(alone, in_batch);
  EXPECT_NE(generate(model, {p}, o, {43}, 0)[0], alone);  // another seed, another draw (16 tokens)
}

TEST(Generation, ChooseTokenFiltersByTopKAndTopPThenDrawsByTheCdf) {
  // Probabilities at temperature 1: softmax of log(0.5, 0.3, 0.15, 0.05) = 0.5, 0.3, 0.15, 0.05.
  const float logits[4] = {std::log(0.15f), std::log(0.5f), std::log(0.05f), std::log(0.3f)};
  GenerationOptions o;
  EXPECT_EQ(choose_token(logits, 4, o, 0.99), 1);  // greedy ignores u
  o.temperature = 1.0;
  EXPECT_EQ(choose_token(logits, 4, o, 0.10), 1);  // cdf over sorted 1, 3, 0, 2: 0.5, 0.8, 0.95, 1
  EXPECT_EQ(choose_token(logits, 4, o, 0.60), 3);
  EXPECT_EQ(choose_token(logits, 4, o, 0.90), 0);
  EXPECT_EQ(choose_token(logits, 4, o, 0.97), 2);
  o.top_p = 0.8;  // keeps 1 and 3 (mass 0.8): u scales over 0.8
  EXPECT_EQ(choose_token(logits, 4, o, 0.97), 3);
  o.top_p = 1.0;
  o.top_k = 1;
  EXPECT_EQ(choose_token(logits, 4, o, 0.97), 1);
}

}  // namespace
}  // namespace dataflex
