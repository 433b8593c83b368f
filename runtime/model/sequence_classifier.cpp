#include "model/sequence_classifier.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "model/llama_model.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

SequenceClassifier::~SequenceClassifier() = default;

std::unique_ptr<SequenceClassifier> SequenceClassifier::load(const std::string& dir, const std::string& device,
                                                             const std::string& key) {
  if (!fs::is_directory(dir)) throw Error(key + ": \"" + dir + "\" is not a folder (nothing is downloaded here)");
  const std::string config_path = (fs::path(dir) / "config.json").string();
  ModelConfig c = ModelConfig::load(config_path);
  const std::string suffix = "ForSequenceClassification";
  if (c.architecture.size() < suffix.size() ||
      c.architecture.compare(c.architecture.size() - suffix.size(), suffix.size(), suffix) != 0)
    throw Error(config_path + ": architectures: expected a *ForSequenceClassification model for " + key + ", found \"" +
                c.architecture + "\"");
  int64_t pad = -1, declared_labels = -1;
  try {
    const auto j = nlohmann::json::parse(read_file(config_path));
    if (j.contains("pad_token_id") && j["pad_token_id"].is_number_integer()) pad = j["pad_token_id"].get<int64_t>();
    if (j.contains("id2label") && j["id2label"].is_object())
      declared_labels = static_cast<int64_t>(j["id2label"].size());
    if (j.contains("num_labels") && j["num_labels"].is_number_integer())
      declared_labels = j["num_labels"].get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(config_path + ": not valid JSON: " + one_line(e.what()));
  }
  // A classifier has no language-model head: build the decoder tied so that none is expected.
  c.tie_word_embeddings = true;
  auto out = std::unique_ptr<SequenceClassifier>(new SequenceClassifier());
  at::Tensor score;
  out->model_ = load_model_folder(dir, c, /*seed=*/0, device, [&](const std::string& name, const at::Tensor& t) {
    if (name != "score.weight") return false;
    score = t;
    return true;
  });
  if (!score.defined()) throw Error(dir + ": checkpoint lacks tensor 'score.weight' (the classification head)");
  if (score.dim() != 2 || score.size(1) != c.hidden_size || score.size(0) < 1)
    throw Error(dir + ": score.weight has shape " + c10::str(score.sizes()) + ", expected [num_labels, " +
                std::to_string(c.hidden_size) + "]");
  if (declared_labels > 0 && declared_labels != score.size(0))
    throw Error(config_path + ": num_labels / id2label say " + std::to_string(declared_labels) +
                " labels, but score.weight has " + std::to_string(score.size(0)) + " rows");
  out->num_labels_ = score.size(0);
  out->hidden_ = c.hidden_size;
  out->pad_token_id_ = pad;
  const at::Tensor s = score.to(at::kFloat).contiguous();
  out->score_.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
  for (const auto& p : out->model_->parameters()) p.tensor.set_requires_grad(false);
  out->model_->set_training(false);
  return out;
}

int64_t SequenceClassifier::vocab_size() const { return model_->config().vocab_size; }

std::vector<float> SequenceClassifier::logits(const std::vector<std::vector<int32_t>>& sequences,
                                              int64_t batch_size) const {
  at::NoGradGuard no_grad;
  const int64_t pad = std::max<int64_t>(pad_token_id_, 0);
  std::vector<float> out;
  out.reserve(sequences.size() * static_cast<std::size_t>(num_labels_));
  const auto bs = static_cast<std::size_t>(std::max<int64_t>(1, batch_size));
  for (std::size_t first = 0; first < sequences.size(); first += bs) {
    const std::size_t last = std::min(sequences.size(), first + bs);
    std::size_t len = 1;
    for (std::size_t i = first; i < last; ++i) {
      if (sequences[i].empty()) throw Error("reward model: sequence " + std::to_string(i) + " is empty");
      len = std::max(len, sequences[i].size());
    }
    // Right padding: a causal model's last real token never sees the padding after it.
    at::Tensor ids = at::full({static_cast<int64_t>(last - first), static_cast<int64_t>(len)}, pad, at::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    for (std::size_t i = first; i < last; ++i)
      for (std::size_t t = 0; t < sequences[i].size(); ++t) {
        if (sequences[i][t] < 0 || sequences[i][t] >= vocab_size())
          throw Error("reward model: token id " + std::to_string(sequences[i][t]) + " is outside its vocabulary of " +
                      std::to_string(vocab_size()));
        acc[static_cast<int64_t>(i - first)][static_cast<int64_t>(t)] = sequences[i][t];
      }
    std::vector<int64_t> lengths;
    for (std::size_t i = first; i < last; ++i) lengths.push_back(static_cast<int64_t>(sequences[i].size()));
    const at::Tensor h =
        model_->hidden_states(ids.to(model_->device()), -1, lengths).to(at::kCPU).to(at::kFloat).contiguous();
    for (std::size_t i = first; i < last; ++i) {
      const float* row = h[static_cast<int64_t>(i - first)][static_cast<int64_t>(sequences[i].size() - 1)]
                             .contiguous()
                             .data_ptr<float>();
      for (int64_t l = 0; l < num_labels_; ++l) {
        double z = 0;
        const float* w = score_.data() + l * hidden_;
        for (int64_t j = 0; j < hidden_; ++j) z += static_cast<double>(w[j]) * row[j];
        out.push_back(static_cast<float>(z));
      }
    }
  }
  return out;
}

float SequenceClassifier::reward_of(const float* logits, int64_t num_labels) {
  if (num_labels == 1) return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(logits[0]))));
  double top = logits[0];
  for (int64_t l = 1; l < num_labels; ++l) top = std::max(top, static_cast<double>(logits[l]));
  double total = 0;
  for (int64_t l = 0; l < num_labels; ++l) total += std::exp(logits[l] - top);
  return static_cast<float>(std::exp(logits[num_labels - 1] - top) / total);
}

std::vector<float> SequenceClassifier::rewards(const std::vector<std::vector<int32_t>>& sequences,
                                               int64_t batch_size) const {
  const std::vector<float> z = logits(sequences, batch_size);
  std::vector<float> out;
  for (std::size_t i = 0; i < sequences.size(); ++i)
    out.push_back(reward_of(z.data() + i * static_cast<std::size_t>(num_labels_), num_labels_));
  return out;
}

}  // namespace dataflex
