// The host services NICE needs (SDK 1.3), on the live model: responses sampled for the prompts of
// samples, their rewards (a reward model or a metric against the sample's answer), and the
// reward-weighted gradients of their log-likelihood. Part of ModelHost (model_host.hpp).
#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "eval/text_metrics.hpp"
#include "model/generation.hpp"
#include "model/llama_model.hpp"
#include "model/sequence_classifier.hpp"
#include "signals/model_host.hpp"
#include "signals/per_sample_gradients.hpp"
#include "util/splitmix.hpp"

namespace dataflex {
namespace {

using host::Dataset;
using host::ServiceError;

// Where a sample's answer starts: its first trained token (a token whose label counts).
std::size_t answer_start(const Sample& s) {
  for (std::size_t t = 1; t < s.labels.size(); ++t)
    if (s.labels[t] != kIgnoreIndex) return t;
  throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "sample " + std::to_string(s.id) + " (" + s.source +
                                                   ") has no answer tokens to take a prompt from");
}

std::vector<int32_t> prompt_of(const Sample& s) {
  return {s.input_ids.begin(), s.input_ids.begin() + static_cast<std::ptrdiff_t>(answer_start(s))};
}

std::vector<int32_t> answer_of(const Sample& s) {
  std::vector<int32_t> out;
  for (std::size_t t = answer_start(s); t < s.labels.size(); ++t)
    if (s.labels[t] != kIgnoreIndex) out.push_back(s.input_ids[t]);
  return out;
}

std::vector<int32_t> response_tokens(const host::Responses& r, std::size_t i) {
  return {r.tokens.begin() + r.offsets[i], r.tokens.begin() + r.offsets[i + 1]};
}

// Replaces every {name} of `text` by its value.
std::string fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [name, value] : values) {
    const std::string key = "{" + name + "}";
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  }
  return text;
}

// The plain-gradient request the responses' features are extracted as.
host::GradientRequest sgd_request_of(const host::ResponseFeatureRequest& r) {
  host::GradientRequest g;
  g.dataset = r.dataset;
  g.preconditioner = DFX_PRECONDITIONER_SGD;
  g.projection = r.projection;
  g.projection_dim = r.projection_dim;
  g.projection_seed = r.projection_seed;
  g.parameter_filter = r.parameter_filter;
  return g;
}

}  // namespace

host::Responses ModelHost::generate(const host::GenerateRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(r.dataset, ids);
  const LlamaModel& model = model_for(r.model);
  const int32_t pad = tokenizer_.pad_id().value_or(0);
  std::vector<std::vector<int32_t>> prompts;
  std::vector<uint64_t> seeds;
  std::vector<std::vector<int32_t>> stops;
  for (const Sample* s : samples) {
    std::vector<int32_t> prompt = prompt_of(*s);
    if (static_cast<int64_t>(*std::max_element(prompt.begin(), prompt.end())) >= model.config().vocab_size)
      throw ServiceError(DFX_ERR_INVALID_ARGUMENT,
                         "sample " + std::to_string(s->id) + " has a token outside the policy model's vocabulary");
    // A response ends where an answer ends: the end-of-sequence token, or the token the chat template
    // closes this sample's answer with when that token is a special one (it decodes to nothing).
    std::vector<int32_t> stop;
    if (tokenizer_.eos_id()) stop.push_back(*tokenizer_.eos_id());
    const std::vector<int32_t> answer = answer_of(*s);
    if (!answer.empty() && tokenizer_.decode({answer.back()}, true).empty()) stop.push_back(answer.back());
    for (uint32_t j = 0; j < r.num_return; ++j) {
      prompts.push_back(prompt);
      // The draw depends on the request's seed, the sample and j only: the same in any batch.
      seeds.push_back(mix64(mix64(r.seed ^ mix64(static_cast<uint64_t>(s->id))) + j));
      stops.push_back(stop);
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  host::Responses out;
  out.offsets.push_back(0);
  const auto bs = static_cast<std::size_t>(std::max<int64_t>(1, options_.batch_size));
  for (std::size_t first = 0; first < prompts.size();) {
    // A batch shares its stop tokens: a prompt whose template ends answers otherwise starts a new one.
    std::size_t end = first + 1;
    while (end < prompts.size() && end - first < bs && stops[end] == stops[first]) ++end;
    GenerationOptions o;
    o.max_new_tokens = r.max_new_tokens;
    o.temperature = r.temperature;
    o.top_p = r.top_p;
    o.top_k = r.top_k;
    o.stop_ids = stops[first];
    const auto responses = dataflex::generate(model, {prompts.begin() + first, prompts.begin() + end}, o,
                                              {seeds.begin() + first, seeds.begin() + end}, pad);
    for (const auto& resp : responses) {
      out.tokens.insert(out.tokens.end(), resp.begin(), resp.end());
      out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
    }
    first = end;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::debug("generate: {} responses, {} tokens in {:.2f} s", prompts.size(), out.tokens.size(), secs);
  return out;
}

std::vector<float> ModelHost::reward(Dataset d, dfx_reward kind, const host::SampleIds& ids,
                                     const host::Responses& responses) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(d, ids);
  std::vector<float> out;
  if (kind != DFX_REWARD_MODEL) {
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const std::string response = tokenizer_.decode(response_tokens(responses, i), true);
      const std::string reference = tokenizer_.decode(answer_of(*samples[i]), true);
      const double r = kind == DFX_REWARD_EXACT_MATCH ? exact_match(response, reference)
                       : kind == DFX_REWARD_TOKEN_F1  ? token_f1(response, reference)
                                                      : rouge_l(response, reference);
      out.push_back(static_cast<float>(r));
    }
    return out;
  }
  if (!reward_model_) throw ServiceError(DFX_ERR_UNIMPLEMENTED, "no reward model (set dataflex.reward_model)");
  const Tokenizer& encoder = reward_tokenizer_ ? *reward_tokenizer_ : tokenizer_;
  std::vector<std::vector<int32_t>> inputs;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const std::string text =
        fill(options_.reward_template, {{"prompt", tokenizer_.decode(prompt_of(*samples[i]), true)},
                                        {"reference", tokenizer_.decode(answer_of(*samples[i]), true)},
                                        {"response", tokenizer_.decode(response_tokens(responses, i), true)}});
    inputs.push_back(encoder.encode(text, true));
    if (inputs.back().empty()) inputs.back().push_back(encoder.pad_id().value_or(0));
  }
  return reward_model_->rewards(inputs, options_.batch_size);
}

std::size_t ModelHost::response_feature_dim(const host::ResponseFeatureRequest& r) {
  return gradient_feature_dim(sgd_request_of(r));
}

std::vector<float> ModelHost::response_gradient_features(const host::ResponseFeatureRequest& r,
                                                         const host::SampleIds& ids, const host::Responses& responses) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto prompts = lookup(r.dataset, ids);
  const auto dim = static_cast<std::size_t>(response_feature_dim(r));
  const std::size_t rows = ids.size() / r.group_size;
  // Each response becomes a sample whose trained tokens are the response: the extractor's feature
  // is the gradient of its mean token loss, so n_m times it is the gradient of the summed NLL.
  std::vector<Sample> sequences;
  std::vector<double> scale;  // w_m * n_m / group_size
  std::vector<std::size_t> row_of;
  for (std::size_t m = 0; m < ids.size(); ++m) {
    const std::vector<int32_t> response = response_tokens(responses, m);
    const double w = r.weights.empty() ? 1.0 : r.weights[m];
    if (response.empty() || w == 0.0) continue;  // contributes nothing
    Sample s;
    s.id = prompts[m]->id;
    s.input_ids = prompt_of(*prompts[m]);
    s.labels.assign(s.input_ids.size(), kIgnoreIndex);
    for (int32_t t : response) {
      if (t < 0 || t >= current().config().vocab_size)
        throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "response " + std::to_string(m) + " holds token id " +
                                                         std::to_string(t) + ", outside the model's vocabulary");
      s.input_ids.push_back(t);
      s.labels.push_back(t);
    }
    sequences.push_back(std::move(s));
    scale.push_back(w * static_cast<double>(response.size()) / static_cast<double>(r.group_size));
    row_of.push_back(m / r.group_size);
  }
  std::vector<float> out(rows * dim, 0.0f);
  if (sequences.empty()) return out;
  std::vector<const Sample*> pointers;
  for (const auto& s : sequences) pointers.push_back(&s);
  const at::Tensor f = per_sample_gradient_features(current(), pointers, gradient_feature_options(sgd_request_of(r)),
                                                    nullptr, options_.batch_size, tokenizer_.pad_id().value_or(0));
  const float* data = f.data_ptr<float>();
  std::vector<double> acc(rows * dim, 0.0);
  for (std::size_t k = 0; k < sequences.size(); ++k)
    for (std::size_t j = 0; j < dim; ++j) acc[row_of[k] * dim + j] += scale[k] * data[k * dim + j];
  for (std::size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
  return out;
}

}  // namespace dataflex
