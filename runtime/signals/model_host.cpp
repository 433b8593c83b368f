#include "signals/model_host.hpp"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <dataflex/npy.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "eval/scorer.hpp"
#include "model/llama_model.hpp"
#include "model/padded_batch.hpp"
#include "model/safetensors.hpp"
#include "model/sequence_classifier.hpp"
#include "signals/per_sample_gradients.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/shared_batches.hpp"

namespace dataflex {
namespace {

enum ServiceId : uint32_t { kLosses = 1, kTokenLosses, kDomainLosses, kFeatures, kEmbeddings };

using host::Dataset;
using host::Model;
using host::ServiceError;

// An .npy file of float32 [rows, cols] (C order), or a safetensors file with one 2-D F32 tensor.
std::vector<float> read_embedding_file(const std::string& path, int64_t& rows, int64_t& cols) {
  if (path.size() > 5 && path.substr(path.size() - 4) == ".npy") {
    npy::Matrix m;
    try {
      m = npy::read(path);
    } catch (const std::invalid_argument& e) {
      throw Error(e.what());
    }
    rows = m.rows;
    cols = m.cols;
    return std::move(m.data);
  }
  auto st = SafetensorsFile::open(path);
  if (st->tensors().size() != 1 || st->tensors()[0].dtype != DType::F32 || st->tensors()[0].shape.size() != 2)
    throw Error(path + ": expected exactly one 2-D F32 tensor [rows, dim]");
  const TensorView& t = st->tensors()[0];
  rows = t.shape[0];
  cols = t.shape[1];
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  std::memcpy(out.data(), t.data, t.nbytes);
  return out;
}

}  // namespace

ModelHost::ModelHost(const Corpus& corpus, const Tokenizer& tokenizer, const LlamaModel& model,
                     ModelHostOptions options)
    : corpus_(corpus),
      tokenizer_(tokenizer),
      model_(model),
      options_(std::move(options)),
      cache_(static_cast<std::size_t>(std::max<int64_t>(0, options_.cache_mb)) << 20) {
  if (!options_.embeddings_file.empty()) {
    int64_t rows = 0;
    file_embeddings_ = read_embedding_file(options_.embeddings_file, rows, file_embedding_dim_);
    if (rows != static_cast<int64_t>(corpus_.train.size()))
      throw Error(options_.embeddings_file + ": " + std::to_string(rows) + " rows, but the training pool has " +
                  std::to_string(corpus_.train.size()) + " samples");
  }
}

ModelHost::~ModelHost() = default;

void ModelHost::set_reference_model(std::unique_ptr<LlamaModel> model) { reference_ = std::move(model); }
void ModelHost::set_embedding_model(std::unique_ptr<LlamaModel> model) { embedding_ = std::move(model); }
void ModelHost::set_adam_moments(std::shared_ptr<AdamMoments> moments) { adam_ = std::move(moments); }
void ModelHost::set_policy_model(std::unique_ptr<LlamaModel> model) { policy_ = std::move(model); }
void ModelHost::set_reward_model(std::unique_ptr<SequenceClassifier> model, std::unique_ptr<Tokenizer> tokenizer) {
  reward_model_ = std::move(model);
  reward_tokenizer_ = std::move(tokenizer);
}
// No lock: a worker deciding on a snapshot may hold the services' lock for a long call while
// training steps go on (the flag is only read for the live model).
void ModelHost::set_weights_changed() { fingerprint_stale_ = true; }

void ModelHost::take_snapshot() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  auto copy = model_.snapshot();
  std::shared_ptr<AdamMoments> moments;
  if (adam_ && snapshot_moments_) {
    // The moments of step d with the weights of step d, looked up by the copy's tensors.
    auto table = std::make_shared<std::map<const void*, std::pair<at::Tensor, at::Tensor>>>();
    for (const auto& p : model_.trainable_named_parameters()) {
      auto [m, v] = adam_->lookup(p.tensor);
      (*table)[copy->parameter(p.name).unsafeGetTensorImpl()] = {m.defined() ? m.detach().clone() : m,
                                                                 v.defined() ? v.detach().clone() : v};
    }
    moments = std::make_shared<AdamMoments>();
    moments->beta1 = adam_->beta1;
    moments->beta2 = adam_->beta2;
    moments->lookup = [table](const at::Tensor& p) -> std::pair<at::Tensor, at::Tensor> {
      auto it = table->find(p.unsafeGetTensorImpl());
      return it == table->end() ? std::pair<at::Tensor, at::Tensor>() : it->second;
    };
  }
  // The copy's fingerprint is the live model's now: what a synchronous decision would have cached under.
  const uint64_t fp = fingerprint(Model::Current);
  snapshot_ = std::move(copy);
  snapshot_adam_ = std::move(moments);
  snapshot_fingerprint_ = fp;
}

void ModelHost::clear_snapshot() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  snapshot_.reset();
  snapshot_adam_.reset();
}

const LlamaModel& ModelHost::current() const { return snapshot_ ? *snapshot_ : model_; }
const AdamMoments* ModelHost::moments() const { return snapshot_ ? snapshot_adam_.get() : adam_.get(); }

const std::vector<Sample>& ModelHost::split(Dataset d) const {
  return d == Dataset::Train ? corpus_.train : corpus_.eval;
}

std::vector<const Sample*> ModelHost::lookup(Dataset d, const host::SampleIds& ids) const {
  const auto& s = split(d);
  std::vector<const Sample*> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0 || id >= static_cast<int64_t>(s.size()))
      throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "sample id " + std::to_string(id) + " is outside the " +
                                                       (d == Dataset::Train ? "training pool" : "eval set") + " of " +
                                                       std::to_string(s.size()) + " samples");
    out.push_back(&s[static_cast<std::size_t>(id)]);
  }
  return out;
}

const LlamaModel& ModelHost::model_for(Model which) const {
  if (which == Model::Reference) {
    if (!reference_) throw ServiceError(DFX_ERR_UNIMPLEMENTED, "no reference model (set dataflex.reference_model)");
    return *reference_;
  }
  if (which == Model::Embedding) {
    if (!embedding_) throw ServiceError(DFX_ERR_UNIMPLEMENTED, "no embedding model (set dataflex.embedding_model)");
    return *embedding_;
  }
  if (which == Model::Policy) {
    if (!policy_) throw ServiceError(DFX_ERR_UNIMPLEMENTED, "no policy model (set dataflex.policy_model)");
    return *policy_;
  }
  return current();
}

uint64_t ModelHost::fingerprint(Model which) {
  if (which != Model::Current) return 0x5245464552454E43ull + static_cast<uint64_t>(which);  // frozen models
  if (snapshot_) return snapshot_fingerprint_;
  if (fingerprint_stale_.exchange(false)) {
    // A hash of the trainable weights (the rest never changes during a run) and the config.
    KeyBuilder k;
    k.add(model_.config().to_json());
    for (const auto& p : model_.trainable_named_parameters()) {
      at::Tensor t = p.tensor.detach().to(at::kCPU).contiguous();
      k.add(p.name).add(t.data_ptr(), static_cast<std::size_t>(t.nbytes()));
    }
    fingerprint_ = k.digest();
  }
  return fingerprint_;
}

std::vector<float> ModelHost::cached(uint32_t service, Dataset d, Model m, const host::SampleIds* ids,
                                     const std::function<std::vector<float>()>& compute) {
  KeyBuilder k;
  k.add_value(service).add_value(static_cast<int32_t>(d)).add_value(fingerprint(m));
  if (ids) k.add(ids->data(), ids->size() * sizeof(int64_t));
  std::vector<float> out;
  if (!cache_.get(k.digest(), out)) {
    out = compute();
    cache_.put(k.digest(), out);
  }
  return out;
}

host::DatasetInfo ModelHost::dataset_info(Dataset d) {
  return {split(d).size(), (d == Dataset::Train ? corpus_.domains : corpus_.eval_domain_names()).size()};
}

std::vector<int32_t> ModelHost::sample_domains(Dataset d, const host::SampleIds& ids) {
  std::vector<int32_t> out;
  for (const Sample* s : lookup(d, ids)) out.push_back(s->domain);
  return out;
}

std::vector<float> ModelHost::sample_losses(Dataset d, Model m, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(d, ids);
  const LlamaModel& model = model_for(m);
  return cached(kLosses, d, m, &ids, [&] {
    std::vector<float> out;
    for (const SampleScore& s : score_samples(model, samples, tokenizer_.pad_id().value_or(0), options_.batch_size,
                                              false, options_.bf16_matmuls))
      out.push_back(static_cast<float>(s.mean_loss()));
    return out;
  });
}

std::size_t ModelHost::token_count(Dataset d, Model, const host::SampleIds& ids) {
  std::size_t total = 0;
  for (const Sample* s : lookup(d, ids))
    for (std::size_t t = 1; t < s->labels.size(); ++t) total += s->labels[t] != kIgnoreIndex;
  return total;
}

host::TokenLosses ModelHost::token_losses(Dataset d, Model m, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(d, ids);
  const LlamaModel& model = model_for(m);
  host::TokenLosses t;
  t.losses = cached(kTokenLosses, d, m, &ids, [&] {
    std::vector<float> flat;
    for (const SampleScore& s : score_samples(model, samples, tokenizer_.pad_id().value_or(0), options_.batch_size,
                                              true, options_.bf16_matmuls))
      flat.insert(flat.end(), s.token_losses.begin(), s.token_losses.end());
    return flat;
  });
  int64_t offset = 0;
  t.offsets.push_back(0);
  for (const Sample* s : samples) {
    for (std::size_t i = 1; i < s->labels.size(); ++i) offset += s->labels[i] != kIgnoreIndex;
    t.offsets.push_back(offset);
    t.domains.push_back(s->domain);
  }
  return t;
}

std::vector<double> ModelHost::domain_losses(Dataset d, Model m) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const LlamaModel& model = model_for(m);
  std::vector<const Sample*> samples;
  for (const auto& s : split(d)) samples.push_back(&s);
  const std::vector<float> losses = cached(kDomainLosses, d, m, nullptr, [&] {
    const auto scores = score_samples(model, samples, tokenizer_.pad_id().value_or(0), options_.batch_size, false,
                                      options_.bf16_matmuls);
    const std::size_t domains = dataset_info(d).num_domains;
    const DomainScores by_domain = sum_by_domain(samples, scores, domains);
    std::vector<float> out;
    for (std::size_t k = 0; k < domains; ++k) out.push_back(static_cast<float>(by_domain.loss(k)));
    return out;
  });
  return std::vector<double>(losses.begin(), losses.end());
}

GradientFeatureOptions gradient_feature_options(const host::GradientRequest& r) {
  GradientFeatureOptions o;
  o.preconditioner = r.preconditioner == DFX_PRECONDITIONER_ADAM ? Preconditioner::Adam : Preconditioner::Sgd;
  o.projection = static_cast<Projection>(r.projection);
  o.projection_dim = r.projection_dim;
  o.seed = r.projection_seed;
  o.parameter_filter = r.parameter_filter;
  return o;
}

namespace {

std::string joined(const std::vector<std::string>& filter) {
  std::string s;
  for (const auto& f : filter) s += (s.empty() ? "" : ",") + f;
  return s;
}

}  // namespace

std::size_t ModelHost::gradient_feature_dim(const host::GradientRequest& r) {
  const auto layout = feature_layout(current(), r.parameter_filter);
  if (layout.empty())
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "no trainable attention/MLP projection matches the filter \"" +
                                                     joined(r.parameter_filter) + "\"");
  return static_cast<std::size_t>(feature_dim(layout, gradient_feature_options(r)));
}

std::vector<float> ModelHost::gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const GradientFeatureOptions o = gradient_feature_options(r);
  if (o.preconditioner == Preconditioner::Adam && !moments())
    throw ServiceError(DFX_ERR_FAILED_PRECONDITION,
                       snapshot_ && adam_
                           ? "adam preconditioning beside training needs the optimizer's moments at the snapshot, "
                             "kept only for a plugin whose manifest lists host service 'gradient_features' (add it "
                             "to [requires] host_services)"
                           : "adam preconditioning needs the trainer's optimizer state");
  const auto samples = lookup(r.dataset, ids);
  KeyBuilder k;
  k.add_value(kFeatures).add_value(static_cast<int32_t>(r.dataset)).add_value(fingerprint(Model::Current));
  k.add_value(static_cast<int32_t>(r.preconditioner)).add_value(static_cast<int32_t>(r.projection));
  k.add_value(r.projection_dim).add_value(r.projection_seed).add(joined(r.parameter_filter));
  k.add(ids.data(), ids.size() * sizeof(int64_t));
  std::vector<float> out;
  if (cache_.get(k.digest(), out)) return out;
  const auto t0 = std::chrono::steady_clock::now();
  int64_t tokens = 0;
  for (const Sample* s : samples) tokens += static_cast<int64_t>(s->input_ids.size());
  int64_t next_report = options_.progress_every;
  auto progress = [&](int64_t done, int64_t total) {
    if (done < next_report && done < total) return;
    next_report = done + options_.progress_every;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (total >= options_.progress_every)
      spdlog::info("gradient features: {}/{} samples, {:.1f} samples/s", done, total,
                   static_cast<double>(done) / std::max(secs, 1e-9));
  };
  GradientTimings parts;
  const at::Tensor f = per_sample_gradient_features(current(), samples, o, moments(), options_.batch_size,
                                                    tokenizer_.pad_id().value_or(0), progress, &parts);
  out.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::debug(
      "gradient features: {} samples x {} in {:.2f} s ({:.0f} tokens/s; forward {:.2f}, backward {:.2f}, per-sample "
      "{:.2f}, projection {:.2f})",
      samples.size(), f.numel() / std::max<int64_t>(1, f.size(0)), secs,
      static_cast<double>(tokens) / std::max(secs, 1e-9), parts.forward, parts.backward, parts.per_sample,
      parts.projection);
  cache_.put(k.digest(), out);
  return out;
}

std::size_t ModelHost::embedding_dim(const host::EmbeddingRequest& r) {
  if (r.model == Model::Embedding && !file_embeddings_.empty()) return static_cast<std::size_t>(file_embedding_dim_);
  return static_cast<std::size_t>(model_for(r.model).config().hidden_size);
}

std::vector<float> ModelHost::embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(r.dataset, ids);
  const auto dim = static_cast<std::size_t>(embedding_dim(r));
  std::vector<float> out(ids.size() * dim);
  if (r.model == Model::Embedding && !file_embeddings_.empty()) {
    if (r.dataset != Dataset::Train)
      throw ServiceError(DFX_ERR_INVALID_ARGUMENT, options_.embeddings_file + " holds the training pool only");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const float* row = file_embeddings_.data() + static_cast<std::size_t>(ids[i]) * dim;
      double norm = 0;
      for (std::size_t j = 0; j < dim; ++j) norm += static_cast<double>(row[j]) * row[j];
      const double scale = r.normalize && norm > 0 ? 1.0 / std::sqrt(norm) : 1.0;
      for (std::size_t j = 0; j < dim; ++j) out[i * dim + j] = static_cast<float>(row[j] * scale);
    }
    return out;
  }
  const LlamaModel& m = model_for(r.model);
  KeyBuilder k;
  k.add_value(kEmbeddings).add_value(static_cast<int32_t>(r.dataset)).add_value(fingerprint(r.model));
  k.add_value(r.layer).add_value(static_cast<int32_t>(r.pooling)).add_value(static_cast<int32_t>(r.normalize));
  k.add(ids.data(), ids.size() * sizeof(int64_t));
  if (cache_.get(k.digest(), out)) return out;
  TrainingModeScope eval_mode(m, false);
  const auto t0 = std::chrono::steady_clock::now();
  const int32_t pad = tokenizer_.pad_id().value_or(0);
  const auto bs = static_cast<std::size_t>(options_.batch_size);
  const auto batches = static_cast<int64_t>((samples.size() + bs - 1) / bs);
  // Each batch writes only its own rows: a waiting training thread may take some (util/shared_batches).
  run_shared_batches(batches, [&](int64_t index) {
    at::NoGradGuard no_grad;  // the thread's own, whichever thread computes the batch
    Bf16Matmuls precision(options_.bf16_matmuls);
    const std::size_t first = static_cast<std::size_t>(index) * bs, last = std::min(samples.size(), first + bs);
    const PaddedBatch batch = pad_batch({samples.begin() + first, samples.begin() + last}, pad, /*min_length=*/1);
    const int64_t B = batch.input_ids.size(0), len = batch.input_ids.size(1);
    at::Tensor mask = at::zeros({B, len, 1}, at::kFloat);
    for (int64_t i = 0; i < B; ++i) mask[i].narrow(0, 0, batch.lengths[static_cast<std::size_t>(i)]).fill_(1.0f);
    at::Tensor h = m.hidden_states(batch.input_ids, r.layer, batch.lengths).to(at::kCPU).to(at::kFloat);  // [B, len, H]
    at::Tensor pooled;
    if (r.pooling == DFX_POOLING_MEAN) {
      pooled = (h * mask).sum(1) / mask.sum(1).clamp_min(1.0f);  // attention-masked mean
    } else if (r.pooling == DFX_POOLING_POSITION_WEIGHTED) {
      // Token t (1-based) of a sample weighs t: later tokens have seen more of the sample (ADAPT).
      const at::Tensor w = mask * at::arange(1, len + 1, at::kFloat).view({1, len, 1});
      pooled = (h * w).sum(1) / w.sum(1).clamp_min(1.0f);
    } else {
      std::vector<at::Tensor> rows;
      for (int64_t i = 0; i < B; ++i) {
        const int64_t last_token = std::max<int64_t>(0, batch.lengths[static_cast<std::size_t>(i)] - 1);
        rows.push_back(h[i][r.pooling == DFX_POOLING_LAST_TOKEN ? last_token : 0]);
      }
      pooled = at::stack(rows);
    }
    if (r.normalize) pooled = pooled / pooled.norm(2, {1}, true).clamp_min(1e-12);
    pooled = pooled.contiguous();
    std::memcpy(out.data() + first * dim, pooled.data_ptr<float>(),
                static_cast<std::size_t>(pooled.numel()) * sizeof(float));
  });
  spdlog::debug("embeddings: {} samples x {} (layer {}) in {:.2f} s", samples.size(), dim, r.layer,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  cache_.put(k.digest(), out);
  return out;
}

host::SampleTokens ModelHost::sample_tokens(Dataset d, const host::SampleIds& ids) {
  host::SampleTokens t;
  t.offsets.push_back(0);
  for (const Sample* s : lookup(d, ids)) {
    for (std::size_t i = 0; i < s->input_ids.size(); ++i) {
      t.token_ids.push_back(s->input_ids[i]);
      t.trained.push_back(static_cast<uint8_t>(i > 0 && s->labels[i] != kIgnoreIndex));
    }
    t.offsets.push_back(static_cast<int64_t>(t.token_ids.size()));
  }
  return t;
}

}  // namespace dataflex
