#include "signals/model_host.hpp"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <regex>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "model/llama_model.hpp"
#include "model/padded_batch.hpp"
#include "model/safetensors.hpp"
#include "signals/per_sample_gradients.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

enum ServiceId : uint32_t { kLosses = 1, kTokenLosses, kDomainLosses, kFeatures, kEmbeddings };

// An .npy file of float32 [rows, cols] (C order), or a safetensors file with one 2-D F32 tensor.
std::vector<float> read_embedding_file(const std::string& path, int64_t& rows, int64_t& cols) {
  if (path.size() > 5 && path.substr(path.size() - 4) == ".npy") {
    const std::string bytes = read_file(path);
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw Error(path + ": not an .npy file");
    const int major = static_cast<unsigned char>(bytes[6]);
    const std::size_t len_size = major == 1 ? 2 : 4;
    std::size_t header_len = 0;
    for (std::size_t i = 0; i < len_size; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    const std::size_t data_start = 8 + len_size + header_len;
    if (data_start > bytes.size()) throw Error(path + ": .npy header runs past the end of the file");
    const std::string header = bytes.substr(8 + len_size, header_len);
    if (header.find("'descr': '<f4'") == std::string::npos)
      throw Error(path + ": expected float32 ('<f4') embeddings, header " + one_line(header));
    if (header.find("'fortran_order': False") == std::string::npos) throw Error(path + ": expected C-order data");
    std::smatch m;
    if (!std::regex_search(header, m, std::regex("'shape': \\((\\d+), (\\d+)\\)")))
      throw Error(path + ": expected a 2-D shape (rows, dim)");
    rows = std::stoll(m[1]);
    cols = std::stoll(m[2]);
    const std::size_t need = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) * 4;
    if (bytes.size() - data_start != need)
      throw Error(path + ": " + std::to_string(bytes.size() - data_start) + " data bytes, expected " + std::to_string(need));
    std::vector<float> out(static_cast<std::size_t>(rows * cols));
    std::memcpy(out.data(), bytes.data() + data_start, need);
    return out;
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

ModelHost::ModelHost(const Corpus& corpus, const Tokenizer& tokenizer, const LlamaModel& model, ModelHostOptions options)
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
void ModelHost::set_weights_changed() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  fingerprint_stale_ = true;
}

const std::vector<Sample>& ModelHost::split(int32_t dataset) const {
  if (dataset == DFX_DATASET_TRAIN) return corpus_.train;
  if (dataset == DFX_DATASET_EVAL) return corpus_.eval;
  throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "dataset " + std::to_string(dataset) + ": expected TRAIN (0) or EVAL (1)");
}

std::vector<const Sample*> ModelHost::lookup(int32_t dataset, const int64_t* ids, std::size_t n) const {
  const auto& s = split(dataset);
  std::vector<const Sample*> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= static_cast<int64_t>(s.size()))
      throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "sample id " + std::to_string(ids[i]) + " is outside the " +
                                                   (dataset == DFX_DATASET_TRAIN ? "training pool" : "eval set") + " of " +
                                                   std::to_string(s.size()) + " samples");
    out.push_back(&s[static_cast<std::size_t>(ids[i])]);
  }
  return out;
}

const LlamaModel& ModelHost::model_for(int32_t which, const char* service) const {
  if (which == DFX_MODEL_CURRENT) return model_;
  if (which == DFX_MODEL_REFERENCE) {
    if (!reference_)
      throw ServiceError(DFX_ERR_UNIMPLEMENTED, std::string(service) + ": no reference model (set dataflex.reference_model)");
    return *reference_;
  }
  if (which == DFX_MODEL_EMBEDDING) {
    if (!embedding_)
      throw ServiceError(DFX_ERR_UNIMPLEMENTED, std::string(service) + ": no embedding model (set dataflex.embedding_model)");
    return *embedding_;
  }
  throw ServiceError(DFX_ERR_INVALID_ARGUMENT, std::string(service) + ": unknown model " + std::to_string(which));
}

uint64_t ModelHost::fingerprint(int32_t which) {
  if (which != DFX_MODEL_CURRENT) return 0x5245464552454E43ull + static_cast<uint64_t>(which);  // frozen models
  if (fingerprint_stale_) {
    // A hash of the trainable weights (the rest never changes during a run) and the config.
    KeyBuilder k;
    k.add(model_.config().to_json());
    for (const auto& p : model_.trainable_named_parameters()) {
      at::Tensor t = p.tensor.detach().to(at::kCPU).contiguous();
      k.add(p.name).add(t.data_ptr(), static_cast<std::size_t>(t.nbytes()));
    }
    fingerprint_ = k.digest();
    fingerprint_stale_ = false;
  }
  return fingerprint_;
}

void ModelHost::score(const LlamaModel& model, const std::vector<const Sample*>& samples, std::vector<double>& nll,
                      std::vector<int64_t>& tokens, std::vector<std::vector<float>>* per_token) {
  at::NoGradGuard no_grad;
  TrainingModeScope eval_mode(model, false);
  const int32_t pad = tokenizer_.pad_id().value_or(0);
  nll.assign(samples.size(), 0.0);
  tokens.assign(samples.size(), 0);
  if (per_token) per_token->assign(samples.size(), {});
  const std::size_t bs = static_cast<std::size_t>(options_.batch_size);
  for (std::size_t first = 0; first < samples.size(); first += bs) {
    const std::size_t last = std::min(samples.size(), first + bs);
    const PaddedBatch batch = pad_batch({samples.begin() + first, samples.begin() + last}, pad);
    const at::Tensor losses = model.token_losses(batch.input_ids, batch.labels).to(at::kCPU).contiguous();  // [B, len-1]
    auto lo = losses.accessor<float, 2>();
    for (std::size_t i = first; i < last; ++i) {
      const auto& s = *samples[i];
      for (std::size_t t = 1; t < s.labels.size(); ++t) {
        if (s.labels[t] == kIgnoreIndex) continue;
        const float l = lo[static_cast<int64_t>(i - first)][static_cast<int64_t>(t - 1)];
        nll[i] += l;
        ++tokens[i];
        if (per_token) (*per_token)[i].push_back(l);
      }
    }
  }
}

void ModelHost::dataset_info(dfx_dataset_info_args& a) {
  a.num_samples = split(a.dataset).size();
  a.num_domains = corpus_.domains.size();
}

void ModelHost::sample_domains(dfx_sample_domains_args& a) {
  const auto samples = lookup(a.dataset, a.sample_ids, a.num_samples);
  for (std::size_t i = 0; i < samples.size(); ++i) a.domains_out[i] = samples[i]->domain;
}

void ModelHost::sample_losses(dfx_sample_losses_args& a) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(a.dataset, a.sample_ids, a.num_samples);
  const LlamaModel& m = model_for(a.model, "sample_losses");
  KeyBuilder k;
  k.add_value(kLosses).add_value(a.dataset).add_value(fingerprint(a.model)).add(a.sample_ids, a.num_samples * sizeof(int64_t));
  std::vector<float> out;
  if (!cache_.get(k.digest(), out)) {
    std::vector<double> nll;
    std::vector<int64_t> tokens;
    score(m, samples, nll, tokens, nullptr);
    out.resize(samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i)
      out[i] = tokens[i] > 0 ? static_cast<float>(nll[i] / static_cast<double>(tokens[i])) : 0.0f;
    cache_.put(k.digest(), out);
  }
  std::copy(out.begin(), out.end(), a.losses_out);
}

void ModelHost::token_losses(dfx_token_losses_args& a) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const auto samples = lookup(a.dataset, a.sample_ids, a.num_samples);
  std::size_t total = 0;
  for (const Sample* s : samples)
    for (std::size_t t = 1; t < s->labels.size(); ++t) total += s->labels[t] != kIgnoreIndex;
  a.num_tokens = total;  // one loss per trained (labelled) token, in order
  if (!a.token_losses_out) return;
  if (a.token_capacity < total)
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "token_losses: " + std::to_string(total) + " tokens, capacity " +
                                                     std::to_string(a.token_capacity));
  const LlamaModel& m = model_for(a.model, "token_losses");
  KeyBuilder k;
  k.add_value(kTokenLosses).add_value(a.dataset).add_value(fingerprint(a.model)).add(a.sample_ids, a.num_samples * sizeof(int64_t));
  std::vector<float> flat;
  if (!cache_.get(k.digest(), flat)) {
    std::vector<double> nll;
    std::vector<int64_t> tokens;
    std::vector<std::vector<float>> per_token;
    score(m, samples, nll, tokens, &per_token);
    for (const auto& v : per_token) flat.insert(flat.end(), v.begin(), v.end());
    cache_.put(k.digest(), flat);
  }
  std::copy(flat.begin(), flat.end(), a.token_losses_out);
  int64_t offset = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (a.offsets_out) a.offsets_out[i] = offset;
    if (a.domains_out) a.domains_out[i] = samples[i]->domain;
    for (std::size_t t = 1; t < samples[i]->labels.size(); ++t) offset += samples[i]->labels[t] != kIgnoreIndex;
  }
  if (a.offsets_out) a.offsets_out[samples.size()] = offset;
}

void ModelHost::domain_losses(dfx_domain_losses_args& a) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const std::size_t D = corpus_.domains.size();
  a.num_domains = D;
  if (a.capacity < D)
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "domain_losses: " + std::to_string(D) + " domains, capacity " + std::to_string(a.capacity));
  const LlamaModel& m = model_for(a.model, "domain_losses");
  const auto& all = split(a.dataset);
  std::vector<const Sample*> samples;
  for (const auto& s : all) samples.push_back(&s);
  KeyBuilder k;
  k.add_value(kDomainLosses).add_value(a.dataset).add_value(fingerprint(a.model));
  std::vector<float> out;
  if (!cache_.get(k.digest(), out)) {
    std::vector<double> nll, sum(D, 0.0);
    std::vector<int64_t> tokens, count(D, 0);
    score(m, samples, nll, tokens, nullptr);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      sum[static_cast<std::size_t>(samples[i]->domain)] += nll[i];
      count[static_cast<std::size_t>(samples[i]->domain)] += tokens[i];
    }
    for (std::size_t d = 0; d < D; ++d)
      out.push_back(count[d] > 0 ? static_cast<float>(sum[d] / static_cast<double>(count[d])) : std::numeric_limits<float>::quiet_NaN());
    cache_.put(k.digest(), out);
  }
  for (std::size_t d = 0; d < D; ++d) a.losses_out[d] = out[d];
}

void ModelHost::gradient_features(dfx_gradient_features_args& a) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  GradientFeatureOptions o;
  if (a.preconditioner != DFX_PRECONDITIONER_SGD && a.preconditioner != DFX_PRECONDITIONER_ADAM)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "gradient_features: unknown preconditioner " + std::to_string(a.preconditioner));
  if (a.projection < DFX_PROJECTION_NONE || a.projection > DFX_PROJECTION_FACTORED)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "gradient_features: unknown projection " + std::to_string(a.projection));
  o.preconditioner = a.preconditioner == DFX_PRECONDITIONER_ADAM ? Preconditioner::Adam : Preconditioner::Sgd;
  o.projection = static_cast<Projection>(a.projection);
  o.projection_dim = a.projection_dim;
  o.seed = a.projection_seed;
  const std::string filter = a.parameter_filter ? a.parameter_filter : "";
  for (std::size_t start = 0; start <= filter.size();) {
    const std::size_t comma = std::min(filter.find(',', start), filter.size());
    if (comma > start) o.parameter_filter.push_back(filter.substr(start, comma - start));
    start = comma + 1;
  }
  if (o.projection != Projection::None && o.projection_dim == 0)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "gradient_features: projection_dim must be positive for a projection");
  const auto layout = feature_layout(model_, o.parameter_filter);
  if (layout.empty())
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "gradient_features: no trainable attention/MLP projection matches the filter \"" + filter + "\"");
  const int64_t dim = feature_dim(layout, o);
  a.feature_dim = static_cast<std::size_t>(dim);
  if (!a.features_out) return;
  if (a.capacity < a.num_samples * static_cast<std::size_t>(dim))
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "gradient_features: needs " + std::to_string(a.num_samples * static_cast<std::size_t>(dim)) +
                                                     " floats, capacity " + std::to_string(a.capacity));
  if (o.preconditioner == Preconditioner::Adam && !adam_)
    throw ServiceError(DFX_ERR_FAILED_PRECONDITION, "gradient_features: adam preconditioning needs the trainer's optimizer state");
  const auto samples = lookup(a.dataset, a.sample_ids, a.num_samples);
  KeyBuilder k;
  k.add_value(kFeatures).add_value(a.dataset).add_value(fingerprint(DFX_MODEL_CURRENT)).add_value(a.preconditioner);
  k.add_value(a.projection).add_value(a.projection_dim).add_value(a.projection_seed).add(filter);
  k.add(a.sample_ids, a.num_samples * sizeof(int64_t));
  std::vector<float> out;
  if (!cache_.get(k.digest(), out)) {
    const auto t0 = std::chrono::steady_clock::now();
    int64_t tokens = 0;
    for (const Sample* s : samples) tokens += static_cast<int64_t>(s->input_ids.size());
    int64_t next_report = options_.progress_every;
    auto progress = [&](int64_t done, int64_t total) {
      if (done < next_report && done < total) return;
      next_report = done + options_.progress_every;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (total >= options_.progress_every)
        spdlog::info("gradient features: {}/{} samples, {:.1f} samples/s", done, total, static_cast<double>(done) / std::max(secs, 1e-9));
    };
    const at::Tensor f = per_sample_gradient_features(model_, samples, o, adam_.get(), options_.batch_size,
                                                      tokenizer_.pad_id().value_or(0), progress);
    out.assign(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::debug("gradient features: {} samples x {} in {:.2f} s ({:.0f} tokens/s)", samples.size(), dim, secs,
                  static_cast<double>(tokens) / std::max(secs, 1e-9));
    cache_.put(k.digest(), out);
  }
  std::copy(out.begin(), out.end(), a.features_out);
}

void ModelHost::embeddings(dfx_embeddings_args& a) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  const bool from_file = a.model == DFX_MODEL_EMBEDDING && !file_embeddings_.empty();
  if (a.pooling < DFX_POOLING_MEAN || a.pooling > DFX_POOLING_FIRST_TOKEN)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "embeddings: unknown pooling " + std::to_string(a.pooling));
  const LlamaModel* m = from_file ? nullptr : &model_for(a.model, "embeddings");
  const int64_t dim = from_file ? file_embedding_dim_ : m->config().hidden_size;
  a.embedding_dim = static_cast<std::size_t>(dim);
  if (!a.embeddings_out) return;
  if (a.capacity < a.num_samples * static_cast<std::size_t>(dim))
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "embeddings: needs " + std::to_string(a.num_samples * static_cast<std::size_t>(dim)) +
                                                     " floats, capacity " + std::to_string(a.capacity));
  const auto samples = lookup(a.dataset, a.sample_ids, a.num_samples);
  if (from_file) {
    if (a.dataset != DFX_DATASET_TRAIN)
      throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "embeddings: " + options_.embeddings_file + " holds the training pool only");
    for (std::size_t i = 0; i < a.num_samples; ++i) {
      const float* row = file_embeddings_.data() + a.sample_ids[i] * dim;
      double norm = 0;
      for (int64_t j = 0; j < dim; ++j) norm += static_cast<double>(row[j]) * row[j];
      const double scale = a.normalize && norm > 0 ? 1.0 / std::sqrt(norm) : 1.0;
      for (int64_t j = 0; j < dim; ++j) a.embeddings_out[i * static_cast<std::size_t>(dim) + static_cast<std::size_t>(j)] = static_cast<float>(row[j] * scale);
    }
    return;
  }
  KeyBuilder k;
  k.add_value(kEmbeddings).add_value(a.dataset).add_value(fingerprint(a.model)).add_value(a.layer).add_value(a.pooling);
  k.add_value(a.normalize).add(a.sample_ids, a.num_samples * sizeof(int64_t));
  std::vector<float> out;
  if (!cache_.get(k.digest(), out)) {
    at::NoGradGuard no_grad;
    TrainingModeScope eval_mode(*m, false);
    const int32_t pad = tokenizer_.pad_id().value_or(0);
    out.resize(a.num_samples * static_cast<std::size_t>(dim));
    const std::size_t bs = static_cast<std::size_t>(options_.batch_size);
    for (std::size_t first = 0; first < samples.size(); first += bs) {
      const std::size_t last = std::min(samples.size(), first + bs);
      const PaddedBatch batch = pad_batch({samples.begin() + first, samples.begin() + last}, pad, /*min_length=*/1);
      const int64_t B = batch.input_ids.size(0), len = batch.input_ids.size(1);
      const std::vector<int64_t>& lengths = batch.lengths;
      at::Tensor mask = at::zeros({B, len, 1}, at::kFloat);
      for (int64_t i = 0; i < B; ++i) mask[i].narrow(0, 0, lengths[static_cast<std::size_t>(i)]).fill_(1.0f);
      at::Tensor h = m->hidden_states(batch.input_ids, a.layer).to(at::kCPU).to(at::kFloat);  // [B, len, H]
      at::Tensor pooled;
      if (a.pooling == DFX_POOLING_MEAN) {
        pooled = (h * mask).sum(1) / mask.sum(1).clamp_min(1.0f);  // attention-masked mean
      } else {
        std::vector<at::Tensor> rows;
        for (int64_t i = 0; i < B; ++i)
          rows.push_back(h[i][a.pooling == DFX_POOLING_LAST_TOKEN ? std::max<int64_t>(0, lengths[static_cast<std::size_t>(i)] - 1) : 0]);
        pooled = at::stack(rows);
      }
      if (a.normalize) pooled = pooled / pooled.norm(2, {1}, true).clamp_min(1e-12);
      pooled = pooled.contiguous();
      std::memcpy(out.data() + first * static_cast<std::size_t>(dim), pooled.data_ptr<float>(), static_cast<std::size_t>(pooled.numel()) * sizeof(float));
    }
    cache_.put(k.digest(), out);
  }
  std::copy(out.begin(), out.end(), a.embeddings_out);
}

}  // namespace dataflex
