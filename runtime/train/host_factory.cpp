#include "train/host_factory.hpp"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/optim/adamw.h>

#include <filesystem>

#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "model/model_loading.hpp"
#include "model/sequence_classifier.hpp"
#include "signals/per_sample_gradients.hpp"
#include "train/optimizer_state_key.hpp"
#include "util/error.hpp"

namespace dataflex {

std::shared_ptr<AdamMoments> adam_moments_of(torch::optim::AdamW& optimizer, double beta1, double beta2) {
  auto m = std::make_shared<AdamMoments>();
  m->beta1 = beta1;
  m->beta2 = beta2;
  m->lookup = [&optimizer](const at::Tensor& p) -> std::pair<at::Tensor, at::Tensor> {
    auto& state = optimizer.state();
    auto it = state.find(optimizer_state_key(p));
    if (it == state.end()) return {};
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    return {s.exp_avg(), s.exp_avg_sq()};
  };
  return m;
}

std::unique_ptr<ModelHost> make_model_host(const TrainingOptions& o, const Corpus& corpus, const Tokenizer& tokenizer,
                                           const LlamaModel& model, torch::optim::AdamW* optimizer) {
  ModelHostOptions ho;
  ho.batch_size = o.signal_batch_size;
  ho.cache_mb = o.signal_cache_mb;
  ho.embeddings_file = o.embeddings_file;
  ho.reward_template = o.reward_template;
  ho.bf16_matmuls = o.signal_precision == "bfloat16";
  if (ho.bf16_matmuls && model.device().is_cpu() && !cpu_has_native_bf16())
    spdlog::warn(
        "dataflex.signal_precision = \"bfloat16\": this CPU has no native bfloat16 multiplication (AVX512-BF16); "
        "signals will be slower than in float32");
  auto host = std::make_unique<ModelHost>(corpus, tokenizer, model, ho);
  auto load_frozen = [&](const std::string& path, const char* key) {
    auto m = load_model_for(path, tokenizer, o.seed, model.device().str(), std::string("dataflex.") + key);
    for (const auto& p : m->parameters()) p.tensor.set_requires_grad(false);
    m->set_training(false);
    return m;
  };
  if (!o.reference_model.empty()) host->set_reference_model(load_frozen(o.reference_model, "reference_model"));
  if (!o.embedding_model.empty()) host->set_embedding_model(load_frozen(o.embedding_model, "embedding_model"));
  if (!o.policy_model.empty()) host->set_policy_model(load_frozen(o.policy_model, "policy_model"));
  if (!o.reward_model.empty()) {
    auto classifier = SequenceClassifier::load(o.reward_model, model.device().str(), "dataflex.reward_model");
    // Its own tokenizer when the folder has one; else the run's, which must cover the same ids.
    std::unique_ptr<Tokenizer> encoder;
    if (std::filesystem::exists(std::filesystem::path(o.reward_model) / "tokenizer.json"))
      encoder = Tokenizer::load(o.reward_model);
    else if (classifier->vocab_size() < tokenizer.vocab_size())
      throw Error("dataflex.reward_model: \"" + o.reward_model + "\" has no tokenizer.json and vocab_size " +
                  std::to_string(classifier->vocab_size()) + ", fewer ids than the run's tokenizer's " +
                  std::to_string(tokenizer.vocab_size()));
    host->set_reward_model(std::move(classifier), std::move(encoder));
  }
  if (optimizer) host->set_adam_moments(adam_moments_of(*optimizer, o.adam_beta1, o.adam_beta2));
  return host;
}

}  // namespace dataflex
