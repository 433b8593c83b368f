// sequence_classifier.hpp -- a Hugging Face *ForSequenceClassification folder used as a reward model
// (NICE's reward): the decoder, then a bias-free `score` head [num_labels, hidden] read at the last
// non-padding token of each sequence. The reward is the sigmoid of the one logit of a one-label
// head, or the softmax probability of the last class otherwise (the original project's convention).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dataflex {

class LlamaModel;

class SequenceClassifier {
 public:
  // DIR/config.json (architectures *ForSequenceClassification of a LLaMA-family model) and its
  // safetensors, whose `score.weight` is the head. Throws dataflex::Error naming the file and what
  // was expected. `key` names the config key in errors ("dataflex.reward_model").
  static std::unique_ptr<SequenceClassifier> load(const std::string& dir, const std::string& device,
                                                  const std::string& key);
  ~SequenceClassifier();

  // Logits [n, num_labels], row-major, of token sequences (each non-empty), `batch_size` per forward.
  std::vector<float> logits(const std::vector<std::vector<int32_t>>& sequences, int64_t batch_size) const;
  // One reward per sequence, from logits().
  std::vector<float> rewards(const std::vector<std::vector<int32_t>>& sequences, int64_t batch_size) const;
  // The reward of one row of logits.
  static float reward_of(const float* logits, int64_t num_labels);

  int64_t num_labels() const { return num_labels_; }
  int64_t vocab_size() const;
  // Config.json's pad_token_id (-1 when none): the padding a batch is filled with.
  int64_t pad_token_id() const { return pad_token_id_; }

 private:
  SequenceClassifier() = default;
  std::unique_ptr<LlamaModel> model_;
  std::vector<float> score_;  // [num_labels, hidden]
  int64_t num_labels_ = 0, hidden_ = 0, pad_token_id_ = -1;
};

}  // namespace dataflex
