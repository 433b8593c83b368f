#include "signals/recorded_host.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <mutex>

#include "util/error.hpp"

namespace dataflex {

using json = nlohmann::json;
using host::Dataset;
using host::Model;
using host::ServiceError;

struct RecordedHost::Data {
  std::string file;
  json datasets;
  json services;
  json call_services;  // null when the current call adds nothing
  mutable std::mutex mutex;
};

namespace {

// A recorded value of the wrong type (a string where a loss should be, a negative size) is the
// recording's fault: the error names the file and the field, never the plugin.
std::string json_message(const json::exception& e) { return json_error_text(e.what()); }

template <class F>
auto reading(const RecordedHost::Data& d, const std::string& what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const json::exception& e) {
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, d.file + ": '" + what + "': " + json_message(e));
  } catch (const std::domain_error& e) {
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, d.file + ": '" + what + "': " + e.what());
  }
}

template <class F>
auto reading_fact(const RecordedHost::Data& d, const std::string& what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const json::exception& e) {
    throw Error(d.file + ": '" + what + "': " + json_message(e));
  } catch (const std::domain_error& e) {
    throw Error(d.file + ": '" + what + "': " + e.what());
  }
}

size_t size_of(const json& v) {
  if (!v.is_number_unsigned()) throw std::domain_error("'size' must be a non-negative integer, found " + v.dump());
  return v.get<size_t>();
}

float to_float(const json& v) {
  if (v.is_null()) return std::numeric_limits<float>::quiet_NaN();
  return v.get<float>();
}

// The recorded answer services[service][dataset], the current call's taking precedence.
const json& lookup(const RecordedHost::Data& d, const std::string& service, Dataset dataset) {
  const char* ds = host::to_string(dataset);
  for (const json* layer : {&d.call_services, &d.services}) {
    if (layer->is_object() && layer->contains(service)) {
      const json& s = (*layer)[service];
      if (s.is_object() && s.contains(ds)) return s[ds];
    }
  }
  throw ServiceError(DFX_ERR_FAILED_PRECONDITION,
                     d.file + ": the recording has no 'services." + service + "." + ds + "' to answer this call");
}

const json& row_of(const RecordedHost::Data& d, const json& table, const std::string& what, int64_t id) {
  if (!table.is_array())
    throw ServiceError(DFX_ERR_INTERNAL, d.file + ": '" + what + "' must be an array indexed by sample id");
  if (id < 0 || static_cast<size_t>(id) >= table.size())
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, d.file + ": '" + what + "' has " + std::to_string(table.size()) +
                                                     " entries; the plugin asked for sample id " + std::to_string(id));
  return table[static_cast<size_t>(id)];
}

// The recorded key of a service under a model: "sample_losses" for the current model,
// "reference_losses" for the reference, and so on.
std::string keyed(Model m, const char* current, const char* reference, const char* embedding) {
  if (m == Model::Reference) return reference;
  if (m == Model::Embedding) return embedding;
  return current;
}

// Rows of a recorded matrix (one per sample id), concatenated; `width` is the first row's length.
std::vector<float> rows_of(const RecordedHost::Data& d, const json& table, const std::string& what,
                           const host::SampleIds& ids, size_t width, bool normalize) {
  std::vector<float> out;
  out.reserve(ids.size() * width);
  for (int64_t id : ids) {
    const json& row = row_of(d, table, what, id);
    if (row.size() != width)
      throw ServiceError(DFX_ERR_INTERNAL, d.file + ": rows of '" + what + "' have different lengths");
    double norm = 0;
    for (const auto& v : row) norm += static_cast<double>(to_float(v)) * to_float(v);
    norm = std::sqrt(norm);
    for (const auto& v : row)
      out.push_back(normalize && norm > 0 ? static_cast<float>(to_float(v) / norm) : to_float(v));
  }
  return out;
}

size_t width_of(const RecordedHost::Data& d, const json& table, const std::string& what, const host::SampleIds& ids) {
  if (!ids.empty()) return row_of(d, table, what, ids[0]).size();
  return table.is_array() && !table.empty() ? table[0].size() : 0;
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

size_t RecordedHost::train_size() const {
  return reading_fact(*data_, "datasets.train", [&]() -> size_t {
    const json& t = data_->datasets.value("train", json::object());
    if (t.contains("size")) return size_of(t["size"]);
    if (t.contains("domains")) return t["domains"].size();
    return 0;
  });
}

std::vector<std::string> RecordedHost::domain_names() const {
  return reading_fact(*data_, "datasets.train", [&] { return domain_names_unchecked(); });
}

std::vector<std::string> RecordedHost::domain_names_unchecked() const {
  const json& t = data_->datasets.value("train", json::object());
  if (t.contains("domain_names")) return t["domain_names"].get<std::vector<std::string>>();
  int64_t k = 0;
  if (t.contains("domains"))
    for (const auto& d : t["domains"]) k = std::max<int64_t>(k, d.get<int64_t>() + 1);
  std::vector<std::string> names;
  for (int64_t i = 0; i < k; ++i) names.push_back("domain_" + std::to_string(i));
  return names;
}

host::DatasetInfo RecordedHost::dataset_info(Dataset dataset) {
  const char* ds = host::to_string(dataset);
  if (!data_->datasets.contains(ds))
    throw ServiceError(DFX_ERR_FAILED_PRECONDITION, data_->file + ": the recording has no 'datasets." + ds + "'");
  return reading(*data_, std::string("datasets.") + ds, [&] {
    const json& t = data_->datasets[ds];
    host::DatasetInfo info;
    info.num_samples = t.contains("size") ? size_of(t["size"]) : t.value("domains", json::array()).size();
    int64_t k = 0;
    for (const auto& d : t.value("domains", json::array())) k = std::max<int64_t>(k, d.get<int64_t>() + 1);
    if (t.contains("domain_names")) k = std::max<int64_t>(k, static_cast<int64_t>(t["domain_names"].size()));
    info.num_domains = static_cast<size_t>(k);
    return info;
  });
}

std::vector<int32_t> RecordedHost::sample_domains(Dataset dataset, const host::SampleIds& ids) {
  const std::string ds = host::to_string(dataset);
  const json& domains = data_->datasets.value(ds, json::object()).value("domains", json());
  if (domains.is_null())
    throw ServiceError(DFX_ERR_FAILED_PRECONDITION,
                       data_->file + ": the recording has no 'datasets." + ds + ".domains'");
  return reading(*data_, "datasets." + ds + ".domains", [&] {
    std::vector<int32_t> out;
    for (int64_t id : ids) out.push_back(row_of(*data_, domains, "datasets." + ds + ".domains", id).get<int32_t>());
    return out;
  });
}

std::vector<float> RecordedHost::sample_losses(Dataset d, Model m, const host::SampleIds& ids) {
  const std::string service = keyed(m, "sample_losses", "reference_losses", "");
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, d);
  const std::string what = "services." + service + "." + host::to_string(d);
  return reading(*data_, what, [&] {
    std::vector<float> out;
    for (int64_t id : ids) out.push_back(to_float(row_of(*data_, table, what, id)));
    return out;
  });
}

host::TokenLosses RecordedHost::token_losses(Dataset d, Model m, const host::SampleIds& ids) {
  const std::string service = keyed(m, "token_losses", "reference_token_losses", "");
  host::TokenLosses t;
  {
    std::lock_guard<std::mutex> lock(data_->mutex);
    const json& table = lookup(*data_, service, d);
    const std::string what = "services." + service + "." + host::to_string(d);
    reading(*data_, what, [&] {
      t.offsets.push_back(0);
      for (int64_t id : ids) {
        for (const auto& v : row_of(*data_, table, what, id)) t.losses.push_back(to_float(v));
        t.offsets.push_back(static_cast<int64_t>(t.losses.size()));
      }
      return 0;
    });
  }
  t.domains = sample_domains(d, ids);
  return t;
}

std::vector<double> RecordedHost::domain_losses(Dataset d, Model m) {
  const std::string service = keyed(m, "domain_losses", "reference_domain_losses", "");
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, d);
  if (!table.is_array())
    throw ServiceError(DFX_ERR_INTERNAL, data_->file + ": 'services." + service + "' must be an array");
  return reading(*data_, "services." + service, [&] {
    std::vector<double> out;
    for (const auto& v : table) out.push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
    return out;
  });
}

std::size_t RecordedHost::gradient_feature_dim(const host::GradientRequest& r) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "gradient_features", r.dataset);
  const size_t width = table.is_array() && !table.empty() ? table[0].size() : 0;
  if (r.projection != DFX_PROJECTION_NONE && r.projection_dim != width)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT,
                       data_->file + ": recorded gradient features have " + std::to_string(width) +
                           " columns but the plugin asked for projection_dim " + std::to_string(r.projection_dim));
  return width;
}

std::vector<float> RecordedHost::gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "gradient_features", r.dataset);
  const std::string what = std::string("services.gradient_features.") + host::to_string(r.dataset);
  return reading(*data_, what,
                 [&] { return rows_of(*data_, table, what, ids, width_of(*data_, table, what, {}), false); });
}

std::size_t RecordedHost::embedding_dim(const host::EmbeddingRequest& r) {
  const std::string service = keyed(r.model, "embeddings", "", "embedding_model_embeddings");
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, r.dataset);
  return width_of(*data_, table, "services." + service, {});
}

std::vector<float> RecordedHost::embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) {
  const std::string service = keyed(r.model, "embeddings", "", "embedding_model_embeddings");
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, service, r.dataset);
  const std::string what = "services." + service + "." + host::to_string(r.dataset);
  return reading(*data_, what,
                 [&] { return rows_of(*data_, table, what, ids, width_of(*data_, table, what, {}), r.normalize); });
}

host::SampleTokens RecordedHost::sample_tokens(Dataset d, const host::SampleIds& ids) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "sample_tokens", d);
  const std::string what = std::string("services.sample_tokens.") + host::to_string(d);
  const json* trained = nullptr;
  try {
    trained = &lookup(*data_, "sample_trained", d);
  } catch (const ServiceError&) {
    // Not recorded: every token but a sample's first is trained.
  }
  return reading(*data_, what, [&] { return tokens_of(table, trained, what, ids); });
}

host::SampleTokens RecordedHost::tokens_of(const json& table, const json* trained, const std::string& what,
                                           const host::SampleIds& ids) const {
  host::SampleTokens t;
  t.offsets.push_back(0);
  for (int64_t id : ids) {
    const json& row = row_of(*data_, table, what, id);
    const json* flags = trained ? &row_of(*data_, *trained, "services.sample_trained", id) : nullptr;
    if (flags && flags->size() != row.size())
      throw ServiceError(DFX_ERR_INTERNAL, data_->file + ": sample " + std::to_string(id) +
                                               " has another number of 'sample_trained' flags than tokens");
    for (size_t i = 0; i < row.size(); ++i) {
      t.token_ids.push_back(row[i].get<int32_t>());
      t.trained.push_back(flags ? static_cast<uint8_t>((*flags)[i].get<int>() != 0) : static_cast<uint8_t>(i > 0));
    }
    t.offsets.push_back(static_cast<int64_t>(t.token_ids.size()));
  }
  return t;
}

// --- [1.3] Generation, rewards, response gradients ------------------------------------------------

host::Responses RecordedHost::generate(const host::GenerateRequest& r, const host::SampleIds& ids) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "responses", r.dataset);
  const std::string what = std::string("services.responses.") + host::to_string(r.dataset);
  return reading(*data_, what, [&] {
    host::Responses out;
    out.offsets.push_back(0);
    for (int64_t id : ids) {
      const json& recorded = row_of(*data_, table, what, id);
      if (!recorded.is_array() || recorded.size() < r.num_return)
        throw ServiceError(DFX_ERR_FAILED_PRECONDITION, data_->file + ": '" + what + "' records " +
                                                            std::to_string(recorded.size()) + " responses for sample " +
                                                            std::to_string(id) + "; the plugin asked for " +
                                                            std::to_string(r.num_return));
      for (uint32_t j = 0; j < r.num_return; ++j) {
        const json& tokens = recorded[j];
        if (tokens.size() > r.max_new_tokens)
          throw ServiceError(DFX_ERR_FAILED_PRECONDITION,
                             data_->file + ": '" + what + "' response " + std::to_string(j) + " of sample " +
                                 std::to_string(id) + " has " + std::to_string(tokens.size()) +
                                 " tokens, more than the max_new_tokens " + std::to_string(r.max_new_tokens) +
                                 " the plugin asked for");
        for (const auto& t : tokens) out.tokens.push_back(t.get<int32_t>());
        out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
      }
    }
    return out;
  });
}

std::size_t RecordedHost::recorded_response(Dataset d, int64_t id, const host::Responses& responses,
                                            std::size_t i) const {
  const json& table = lookup(*data_, "responses", d);
  const std::string what = std::string("services.responses.") + host::to_string(d);
  const json& recorded = row_of(*data_, table, what, id);
  const std::vector<int32_t> tokens(responses.tokens.begin() + responses.offsets[i],
                                    responses.tokens.begin() + responses.offsets[i + 1]);
  for (std::size_t j = 0; j < recorded.size(); ++j)
    if (recorded[j].get<std::vector<int32_t>>() == tokens) return j;
  throw ServiceError(DFX_ERR_INVALID_ARGUMENT, data_->file + ": response " + std::to_string(i) +
                                                   " is none of the responses '" + what + "' records for sample " +
                                                   std::to_string(id));
}

std::vector<float> RecordedHost::reward(Dataset d, dfx_reward kind, const host::SampleIds& ids,
                                        const host::Responses& responses) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "rewards", d);
  const std::string what = std::string("services.rewards.") + host::to_string(d);
  return reading(*data_, what, [&] {
    (void)kind;  // the recording holds the rewards of the one kind the recorded plugin asks for
    std::vector<float> out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const std::size_t j = recorded_response(d, ids[i], responses, i);
      const json& row = row_of(*data_, table, what, ids[i]);
      if (j >= row.size())
        throw ServiceError(DFX_ERR_INTERNAL, data_->file + ": '" + what + "' has no reward for response " +
                                                 std::to_string(j) + " of sample " + std::to_string(ids[i]));
      out.push_back(to_float(row[j]));
    }
    return out;
  });
}

std::size_t RecordedHost::response_feature_dim(const host::ResponseFeatureRequest& r) {
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "response_gradient_features", r.dataset);
  std::size_t width = 0;
  for (const auto& sample : table)
    if (sample.is_array() && !sample.empty()) {
      width = sample[0].size();
      break;
    }
  if (r.projection != DFX_PROJECTION_NONE && r.projection_dim != width)
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT,
                       data_->file + ": recorded response gradient features have " + std::to_string(width) +
                           " columns but the plugin asked for projection_dim " + std::to_string(r.projection_dim));
  return width;
}

std::vector<float> RecordedHost::response_gradient_features(const host::ResponseFeatureRequest& r,
                                                            const host::SampleIds& ids,
                                                            const host::Responses& responses) {
  const std::size_t width = response_feature_dim(r);
  std::lock_guard<std::mutex> lock(data_->mutex);
  const json& table = lookup(*data_, "response_gradient_features", r.dataset);
  const std::string what = std::string("services.response_gradient_features.") + host::to_string(r.dataset);
  return reading(*data_, what, [&] {
    std::vector<double> acc(ids.size() / r.group_size * width, 0.0);
    for (std::size_t m = 0; m < ids.size(); ++m) {
      const std::size_t j = recorded_response(r.dataset, ids[m], responses, m);
      const json& row = row_of(*data_, table, what, ids[m]);
      if (j >= row.size() || row[j].size() != width)
        throw ServiceError(DFX_ERR_INTERNAL, data_->file + ": '" + what + "' has no " + std::to_string(width) +
                                                 "-column feature for response " + std::to_string(j) + " of sample " +
                                                 std::to_string(ids[m]));
      const double w = (r.weights.empty() ? 1.0 : r.weights[m]) / static_cast<double>(r.group_size);
      for (std::size_t c = 0; c < width; ++c) acc[m / r.group_size * width + c] += w * to_float(row[j][c]);
    }
    return std::vector<float>(acc.begin(), acc.end());
  });
}

}  // namespace dataflex
