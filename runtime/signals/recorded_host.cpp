#include "signals/recorded_host.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

namespace dataflex {

using json = nlohmann::json;

struct RecordedHost::Data {
  std::string file;
  json datasets;
  json services;
  json call_services;  // null when the current call adds nothing
  std::mutex mutex;
};

namespace {

const char* dataset_key(int32_t d) {
  if (d == DFX_DATASET_TRAIN) return "train";
  if (d == DFX_DATASET_EVAL) return "eval";
  throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "unknown dataset " + std::to_string(d));
}

// "sample_losses" for the current model, "reference_losses" for the reference, and so on.
std::string model_key(const char* current, const char* reference, const char* embedding, int32_t model) {
  if (model == DFX_MODEL_CURRENT) return current;
  if (model == DFX_MODEL_REFERENCE && reference) return reference;
  if (model == DFX_MODEL_EMBEDDING && embedding) return embedding;
  throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "model " + std::to_string(model) + " is not valid here");
}

float to_float(const json& v) {
  if (v.is_null()) return std::numeric_limits<float>::quiet_NaN();
  return v.get<float>();
}

}  // namespace

RecordedHost::RecordedHost(std::string file, const json& recording) : data_(std::make_unique<Data>()) {
  data_->file = std::move(file);
  data_->datasets = recording.value("datasets", json::object());
  data_->services = recording.value("services", json::object());
  if (!data_->datasets.is_object()) throw Error(data_->file + ": 'datasets' must be an object");
  if (!data_->services.is_object()) throw Error(data_->file + ": 'services' must be an object");
}

RecordedHost::~RecordedHost() = default;

std::string RecordedHost::description() const { return "recorded host " + data_->file; }

void RecordedHost::set_call_services(const json* services) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  data_->call_services = services ? *services : json();
}

namespace {

// The recorded answer services[service][dataset], the current call's taking precedence.
const json& lookup(const RecordedHost::Data& d, const std::string& service, const char* dataset) {
  for (const json* layer : {&d.call_services, &d.services}) {
    if (layer->is_object() && layer->contains(service)) {
      const json& s = (*layer)[service];
      if (s.is_object() && s.contains(dataset)) return s[dataset];
    }
  }
  throw ServiceError(DFX_ERR_FAILED_PRECONDITION, d.file + ": the recording has no 'services." + service + "." +
                                                      dataset + "' to answer the plugin's " + service + " call");
}

const json& row_of(const RecordedHost::Data& d, const json& table, const std::string& what, int64_t id) {
  if (!table.is_array())
    throw ServiceError(DFX_ERR_INTERNAL, d.file + ": '" + what + "' must be an array indexed by sample id");
  if (id < 0 || static_cast<size_t>(id) >= table.size())
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, d.file + ": '" + what + "' has " + std::to_string(table.size()) +
                                                     " entries; the plugin asked for sample id " + std::to_string(id));
  return table[static_cast<size_t>(id)];
}

void require(bool ok, const char* what) {
  if (!ok) throw ServiceError(DFX_ERR_INVALID_ARGUMENT, std::string(what));
}

}  // namespace

size_t RecordedHost::train_size() const {
  const json& t = data_->datasets.value("train", json::object());
  if (t.contains("size")) return t["size"].get<size_t>();
  if (t.contains("domains")) return t["domains"].size();
  return 0;
}

std::vector<std::string> RecordedHost::domain_names() const {
  const json& t = data_->datasets.value("train", json::object());
  if (t.contains("domain_names")) return t["domain_names"].get<std::vector<std::string>>();
  int64_t k = 0;
  if (t.contains("domains"))
    for (const auto& d : t["domains"]) k = std::max<int64_t>(k, d.get<int64_t>() + 1);
  std::vector<std::string> names;
  for (int64_t i = 0; i < k; ++i) names.push_back("domain_" + std::to_string(i));
  return names;
}

void RecordedHost::dataset_info(dfx_dataset_info_args& a) {
  const char* ds = dataset_key(a.dataset);
  if (!data_->datasets.contains(ds))
    throw ServiceError(DFX_ERR_FAILED_PRECONDITION, data_->file + ": the recording has no 'datasets." + ds + "'");
  const json& t = data_->datasets[ds];
  a.num_samples = t.contains("size") ? t["size"].get<size_t>() : t.value("domains", json::array()).size();
  int64_t k = 0;
  for (const auto& d : t.value("domains", json::array())) k = std::max<int64_t>(k, d.get<int64_t>() + 1);
  if (t.contains("domain_names")) k = std::max<int64_t>(k, int64_t(t["domain_names"].size()));
  a.num_domains = static_cast<size_t>(k);
}

void RecordedHost::sample_domains(dfx_sample_domains_args& a) {
  require(a.sample_ids || a.num_samples == 0, "sample_domains: sample_ids is NULL");
  require(a.domains_out || a.num_samples == 0, "sample_domains: domains_out is NULL");
  const char* ds = dataset_key(a.dataset);
  const json& domains = data_->datasets.value(ds, json::object()).value("domains", json());
  if (domains.is_null())
    throw ServiceError(DFX_ERR_FAILED_PRECONDITION, data_->file + ": the recording has no 'datasets." +
                                                        std::string(ds) + ".domains'");
  std::vector<int32_t> out(a.num_samples);
  for (size_t i = 0; i < a.num_samples; ++i)
    out[i] = row_of(*data_, domains, std::string("datasets.") + ds + ".domains", a.sample_ids[i]).get<int32_t>();
  std::memcpy(a.domains_out, out.data(), out.size() * sizeof(int32_t));
}

void RecordedHost::sample_losses(dfx_sample_losses_args& a) {
  require(a.sample_ids || a.num_samples == 0, "sample_losses: sample_ids is NULL");
  require(a.losses_out || a.num_samples == 0, "sample_losses: losses_out is NULL");
  const std::string service = model_key("sample_losses", "reference_losses", nullptr, a.model);
  const char* ds = dataset_key(a.dataset);
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, ds);
  std::vector<float> out(a.num_samples);
  for (size_t i = 0; i < a.num_samples; ++i)
    out[i] = to_float(row_of(*data_, table, "services." + service + "." + ds, a.sample_ids[i]));
  std::memcpy(a.losses_out, out.data(), out.size() * sizeof(float));
}

void RecordedHost::token_losses(dfx_token_losses_args& a) {
  require(a.sample_ids || a.num_samples == 0, "token_losses: sample_ids is NULL");
  const std::string service = model_key("token_losses", "reference_token_losses", nullptr, a.model);
  const char* ds = dataset_key(a.dataset);
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, ds);
  std::vector<float> losses;
  std::vector<int64_t> offsets{0};
  for (size_t i = 0; i < a.num_samples; ++i) {
    const json& row = row_of(*data_, table, "services." + service + "." + ds, a.sample_ids[i]);
    for (const auto& v : row) losses.push_back(to_float(v));
    offsets.push_back(int64_t(losses.size()));
  }
  if (a.token_losses_out == nullptr) {
    a.num_tokens = losses.size();
    return;
  }
  if (a.token_capacity < losses.size())
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "token_losses: capacity " + std::to_string(a.token_capacity) +
                                                     " < " + std::to_string(losses.size()) + " tokens");
  std::vector<int32_t> domains(a.num_samples, -1);
  if (a.domains_out) {
    dfx_sample_domains_args d{};
    d.struct_size = sizeof d;
    d.dataset = a.dataset;
    d.sample_ids = a.sample_ids;
    d.num_samples = a.num_samples;
    d.domains_out = domains.data();
    sample_domains(d);
  }
  std::memcpy(a.token_losses_out, losses.data(), losses.size() * sizeof(float));
  if (a.offsets_out) std::memcpy(a.offsets_out, offsets.data(), offsets.size() * sizeof(int64_t));
  if (a.domains_out) std::memcpy(a.domains_out, domains.data(), domains.size() * sizeof(int32_t));
  a.num_tokens = losses.size();
}

void RecordedHost::domain_losses(dfx_domain_losses_args& a) {
  const std::string service = model_key("domain_losses", "reference_domain_losses", nullptr, a.model);
  const char* ds = dataset_key(a.dataset);
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, ds);
  require(table.is_array(), "domain_losses: the recording must be an array");
  if (a.losses_out == nullptr || a.capacity < table.size())
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "domain_losses: capacity " + std::to_string(a.capacity) + " < " +
                                                     std::to_string(table.size()) + " domains");
  for (size_t i = 0; i < table.size(); ++i)
    a.losses_out[i] = table[i].is_null() ? std::numeric_limits<double>::quiet_NaN() : table[i].get<double>();
  a.num_domains = table.size();
}

namespace {

// Copies recorded rows (a matrix by sample id) into a caller buffer, or answers the width.
void serve_matrix(const RecordedHost::Data& d, const json& table, const std::string& what,
                  const int64_t* ids, size_t n, float* out, size_t capacity, size_t* width_out) {
  require(ids || n == 0, "sample_ids is NULL");
  size_t width = 0;
  if (n > 0) width = row_of(d, table, what, ids[0]).size();
  else if (table.is_array() && !table.empty()) width = table[0].size();
  if (out == nullptr) {
    *width_out = width;
    return;
  }
  if (capacity < n * width)
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, what + ": capacity " + std::to_string(capacity) + " < " +
                                                     std::to_string(n * width));
  std::vector<float> buf(n * width);
  for (size_t i = 0; i < n; ++i) {
    const json& row = row_of(d, table, what, ids[i]);
    if (row.size() != width)
      throw ServiceError(DFX_ERR_INTERNAL, d.file + ": rows of '" + what + "' have different lengths");
    for (size_t j = 0; j < width; ++j) buf[i * width + j] = to_float(row[j]);
  }
  std::memcpy(out, buf.data(), buf.size() * sizeof(float));
  *width_out = width;
}

}  // namespace

void RecordedHost::gradient_features(dfx_gradient_features_args& a) {
  const char* ds = dataset_key(a.dataset);
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "gradient_features", ds);
  size_t width = 0;
  serve_matrix(*data_, table, std::string("services.gradient_features.") + ds, a.sample_ids, a.num_samples,
               nullptr, 0, &width);
  if (a.projection != DFX_PROJECTION_NONE && a.projection_dim != width)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT,
                       data_->file + ": recorded gradient features have " + std::to_string(width) +
                           " columns but the plugin asked for projection_dim " + std::to_string(a.projection_dim));
  serve_matrix(*data_, table, std::string("services.gradient_features.") + ds, a.sample_ids, a.num_samples,
               a.features_out, a.capacity, &a.feature_dim);
}

void RecordedHost::embeddings(dfx_embeddings_args& a) {
  const std::string service = model_key("embeddings", nullptr, "embedding_model_embeddings", a.model);
  const char* ds = dataset_key(a.dataset);
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, ds);
  serve_matrix(*data_, table, "services." + service + "." + ds, a.sample_ids, a.num_samples, a.embeddings_out,
               a.capacity, &a.embedding_dim);
  if (a.embeddings_out && a.normalize) {
    for (size_t i = 0; i < a.num_samples; ++i) {
      float* row = a.embeddings_out + i * a.embedding_dim;
      double norm = 0;
      for (size_t j = 0; j < a.embedding_dim; ++j) norm += double(row[j]) * row[j];
      norm = std::sqrt(norm);
      if (norm > 0)
        for (size_t j = 0; j < a.embedding_dim; ++j) row[j] = float(row[j] / norm);
    }
  }
}

}  // namespace dataflex
