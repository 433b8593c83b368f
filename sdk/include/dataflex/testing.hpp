// testing.hpp -- unit-testing a plugin without a model (header-only, C++17, any test framework).
//
//   dataflex::testing::MockHost host;                       // answers set in the test, by sample id
//   host.train_domains({0, 0, 1, 1}).sample_losses(dataflex::host::Dataset::Train, {2.0f, 0.5f, 3.0f, 1.0f});
//   dataflex::testing::PluginUnderTest plugin(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), host,
//                                             {{"temperature", 1.0}}, /*seed=*/7);
//   auto chosen = plugin.select(/*pool_size=*/4, /*num_select=*/2).ids;
//
// The plugin is driven exactly as the runtime drives it: the same host table and C protocol
// (host/bridge.hpp: argument checks, size queries, capacities, error text) and the same rules for
// every answer (host/decision_rules.hpp). A failing plugin call, or an answer the runtime would
// refuse, throws dataflex::host::PluginCallError with the status and the message the user would read.
// A service the test did not record fails like an unserved service of a real host, naming what to set.
#ifndef DATAFLEX_TESTING_HPP
#define DATAFLEX_TESTING_HPP

#include <dataflex/dataflex_plugin.h>
#include <dataflex/host/bridge.hpp>
#include <dataflex/host/decision_rules.hpp>
#include <dataflex/host/instance.hpp>
#include <dataflex/host/services.hpp>

#include <dlfcn.h>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dataflex::testing {

using host::Dataset;
using host::Model;

// A host whose answers are set in code. Rows and values are indexed by sample id. Thread-safe.
class MockHost : public host::ServiceProvider {
 public:
  explicit MockHost(std::string name = "mock host") : name_(std::move(name)) {}

  // The domain of every sample of a dataset (its size is the number of entries); `num_domains` 0
  // means max + 1.
  MockHost& domains(Dataset d, std::vector<int32_t> by_id, std::size_t num_domains = 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    int32_t k = 0;
    for (int32_t x : by_id) k = std::max(k, x + 1);
    datasets_[d] = {std::move(by_id), std::max<std::size_t>(num_domains, static_cast<std::size_t>(k))};
    return *this;
  }
  MockHost& train_domains(std::vector<int32_t> by_id, std::size_t num_domains = 0) {
    return domains(Dataset::Train, std::move(by_id), num_domains);
  }
  MockHost& sample_losses(Dataset d, std::vector<float> by_id, Model m = Model::Current) {
    return put(losses_, {d, m}, std::move(by_id));
  }
  MockHost& token_losses(Dataset d, std::vector<std::vector<float>> by_id, Model m = Model::Current) {
    return put(token_losses_, {d, m}, std::move(by_id));
  }
  MockHost& domain_losses(Dataset d, std::vector<double> by_domain, Model m = Model::Current) {
    return put(domain_losses_, {d, m}, std::move(by_domain));
  }
  // Answers every request (any preconditioner, projection and filter) with these rows; a projected
  // request must ask for projection_dim = the row length.
  MockHost& gradient_features(Dataset d, std::vector<std::vector<float>> rows) {
    return put(features_, {d, Model::Current}, std::move(rows));
  }
  // Rows are L2-normalised when the plugin asks for it.
  MockHost& embeddings(Dataset d, std::vector<std::vector<float>> rows, Model m = Model::Current) {
    return put(embeddings_, {d, m}, std::move(rows));
  }
  // `trained` empty: every token but each sample's first is trained.
  MockHost& sample_tokens(Dataset d, std::vector<std::vector<int32_t>> ids,
                          std::vector<std::vector<uint8_t>> trained = {}) {
    if (trained.empty())
      for (const auto& row : ids) {
        trained.emplace_back(row.size(), 1);
        if (!row.empty()) trained.back()[0] = 0;
      }
    std::lock_guard<std::mutex> lock(mutex_);
    tokens_[d] = {std::move(ids), std::move(trained)};
    return *this;
  }

  // [1.3] Each sample's possible responses (token ids): generate() answers sample i's first num_return
  // of them, so a test sets at least as many as the plugin asks for. reward() and
  // response_gradient_features() find a response among its sample's by its tokens.
  MockHost& responses(Dataset d, std::vector<std::vector<std::vector<int32_t>>> by_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    responses_[d] = std::move(by_id);
    return *this;
  }
  // [1.3] One reward per response set with responses(), in its order, for any reward kind.
  MockHost& rewards(Dataset d, std::vector<std::vector<float>> by_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    rewards_[d] = std::move(by_id);
    return *this;
  }
  // [1.3] One feature row per response set with responses(): the projected gradient of that response's
  // summed NLL. The service answers each group's weighted mean of them, as the runtime does.
  MockHost& response_gradients(Dataset d, std::vector<std::vector<std::vector<float>>> by_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    response_features_[d] = std::move(by_id);
    return *this;
  }

  // How many times the plugin called a service ("sample_losses", ...), e.g. to test a cache.
  std::size_t calls(const std::string& service) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = calls_.find(service);
    return it == calls_.end() ? 0 : it->second;
  }

  std::string description() const override { return name_; }

  host::DatasetInfo dataset_info(Dataset d) override {
    const auto& ds = dataset(d, "dataset_info");
    return {ds.first.size(), ds.second};
  }
  std::vector<int32_t> sample_domains(Dataset d, const host::SampleIds& ids) override {
    const auto& ds = dataset(d, "sample_domains");
    std::vector<int32_t> out;
    for (int64_t id : ids) out.push_back(ds.first[index(id, ds.first.size(), "domains", d)]);
    return out;
  }
  std::vector<float> sample_losses(Dataset d, Model m, const host::SampleIds& ids) override {
    const auto& table = get(losses_, {d, m}, "sample_losses");
    std::vector<float> out;
    for (int64_t id : ids) out.push_back(table[index(id, table.size(), "sample_losses", d)]);
    return out;
  }
  std::size_t token_count(Dataset d, Model m, const host::SampleIds& ids) override {
    return token_losses(d, m, ids).losses.size();
  }
  host::TokenLosses token_losses(Dataset d, Model m, const host::SampleIds& ids) override {
    const auto& table = get(token_losses_, {d, m}, "token_losses");
    host::TokenLosses t;
    t.offsets.push_back(0);
    const auto* ds = find_dataset(d);
    for (int64_t id : ids) {
      const auto& row = table[index(id, table.size(), "token_losses", d)];
      t.losses.insert(t.losses.end(), row.begin(), row.end());
      t.offsets.push_back(static_cast<int64_t>(t.losses.size()));
      t.domains.push_back(
          ds && static_cast<std::size_t>(id) < ds->first.size() ? ds->first[static_cast<std::size_t>(id)] : 0);
    }
    return t;
  }
  std::vector<double> domain_losses(Dataset d, Model m) override {
    return get(domain_losses_, {d, m}, "domain_losses");
  }
  std::size_t gradient_feature_dim(const host::GradientRequest& r) override {
    const auto& rows = get(features_, {r.dataset, Model::Current}, "gradient_features");
    const std::size_t width = rows.empty() ? 0 : rows[0].size();
    if (r.projection != DFX_PROJECTION_NONE && r.projection_dim != width)
      throw host::ServiceError(DFX_ERR_INVALID_ARGUMENT, "the mock's gradient features have " + std::to_string(width) +
                                                             " columns but the plugin asked for projection_dim " +
                                                             std::to_string(r.projection_dim));
    return width;
  }
  std::vector<float> gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) override {
    return matrix(get(features_, {r.dataset, Model::Current}, "gradient_features"), ids, r.dataset, false,
                  "gradient_features");
  }
  std::size_t embedding_dim(const host::EmbeddingRequest& r) override {
    const auto& rows = get(embeddings_, {r.dataset, r.model}, "embeddings");
    return rows.empty() ? 0 : rows[0].size();
  }
  std::vector<float> embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) override {
    return matrix(get(embeddings_, {r.dataset, r.model}, "embeddings"), ids, r.dataset, r.normalize, "embeddings");
  }
  host::SampleTokens sample_tokens(Dataset d, const host::SampleIds& ids) override {
    count("sample_tokens");
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = tokens_.find(d);
    if (it == tokens_.end()) missing("sample_tokens", d);
    host::SampleTokens t;
    t.offsets.push_back(0);
    for (int64_t id : ids) {
      const std::size_t i = index(id, it->second.first.size(), "sample_tokens", d);
      t.token_ids.insert(t.token_ids.end(), it->second.first[i].begin(), it->second.first[i].end());
      t.trained.insert(t.trained.end(), it->second.second[i].begin(), it->second.second[i].end());
      t.offsets.push_back(static_cast<int64_t>(t.token_ids.size()));
    }
    return t;
  }
  host::Responses generate(const host::GenerateRequest& r, const host::SampleIds& ids) override {
    count("generate");
    const auto& table = by_dataset(responses_, r.dataset, "responses");
    host::Responses out;
    out.offsets.push_back(0);
    for (int64_t id : ids) {
      const auto& recorded = table[index(id, table.size(), "responses", r.dataset)];
      if (recorded.size() < r.num_return)
        throw host::ServiceError(DFX_ERR_FAILED_PRECONDITION,
                                 name_ + " has " + std::to_string(recorded.size()) + " responses for sample " +
                                     std::to_string(id) + "; the plugin asked for " + std::to_string(r.num_return));
      for (uint32_t j = 0; j < r.num_return; ++j) {
        if (recorded[j].size() > r.max_new_tokens)
          throw host::ServiceError(DFX_ERR_FAILED_PRECONDITION,
                                   name_ + ": response " + std::to_string(j) + " of sample " + std::to_string(id) +
                                       " is longer than the max_new_tokens " + std::to_string(r.max_new_tokens) +
                                       " the plugin asked for");
        out.tokens.insert(out.tokens.end(), recorded[j].begin(), recorded[j].end());
        out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
      }
    }
    return out;
  }
  std::vector<float> reward(Dataset d, dfx_reward, const host::SampleIds& ids,
                            const host::Responses& responses) override {
    count("reward");
    const auto& table = by_dataset(rewards_, d, "rewards");
    std::vector<float> out;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const std::size_t j = response_index(d, ids[i], responses, i);
      const auto& row = table[index(ids[i], table.size(), "rewards", d)];
      if (j >= row.size())
        throw host::ServiceError(
            DFX_ERR_FAILED_PRECONDITION,
            name_ + " has no reward for response " + std::to_string(j) + " of sample " + std::to_string(ids[i]));
      out.push_back(row[j]);
    }
    return out;
  }
  std::size_t response_feature_dim(const host::ResponseFeatureRequest& r) override {
    const auto& table = by_dataset(response_features_, r.dataset, "response_gradients");
    std::size_t width = 0;
    for (const auto& sample : table)
      if (!sample.empty()) {
        width = sample[0].size();
        break;
      }
    if (r.projection != DFX_PROJECTION_NONE && r.projection_dim != width)
      throw host::ServiceError(DFX_ERR_INVALID_ARGUMENT, "the mock's response gradients have " + std::to_string(width) +
                                                             " columns but the plugin asked for projection_dim " +
                                                             std::to_string(r.projection_dim));
    return width;
  }
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& r, const host::SampleIds& ids,
                                                const host::Responses& responses) override {
    count("response_gradient_features");
    const std::size_t width = response_feature_dim(r);
    const auto& table = by_dataset(response_features_, r.dataset, "response_gradients");
    std::vector<double> acc(ids.size() / r.group_size * width, 0.0);
    for (std::size_t m = 0; m < ids.size(); ++m) {
      const std::size_t j = response_index(r.dataset, ids[m], responses, m);
      const auto& rows = table[index(ids[m], table.size(), "response_gradients", r.dataset)];
      if (j >= rows.size() || rows[j].size() != width)
        throw host::ServiceError(DFX_ERR_FAILED_PRECONDITION, name_ + " has no " + std::to_string(width) +
                                                                  "-column gradient for response " + std::to_string(j) +
                                                                  " of sample " + std::to_string(ids[m]));
      const double w = (r.weights.empty() ? 1.0 : r.weights[m]) / static_cast<double>(r.group_size);
      for (std::size_t c = 0; c < width; ++c) acc[m / r.group_size * width + c] += w * rows[j][c];
    }
    return std::vector<float>(acc.begin(), acc.end());
  }

 private:
  using Key = std::pair<Dataset, Model>;
  template <class T>
  const T& by_dataset(const std::map<Dataset, T>& table, Dataset d, const char* setter) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = table.find(d);
    if (it == table.end()) missing(setter, d);
    return it->second;  // entries are never erased: the reference stays valid
  }
  // Which of sample `id`'s responses (set with responses()) response i of `responses` is.
  std::size_t response_index(Dataset d, int64_t id, const host::Responses& responses, std::size_t i) {
    const auto& table = by_dataset(responses_, d, "responses");
    const auto& recorded = table[index(id, table.size(), "responses", d)];
    const std::vector<int32_t> tokens(responses.tokens.begin() + responses.offsets[i],
                                      responses.tokens.begin() + responses.offsets[i + 1]);
    for (std::size_t j = 0; j < recorded.size(); ++j)
      if (recorded[j] == tokens) return j;
    throw host::ServiceError(DFX_ERR_INVALID_ARGUMENT, "response " + std::to_string(i) + " is none of the responses " +
                                                           name_ + " has for sample " + std::to_string(id));
  }
  template <class T>
  MockHost& put(std::map<Key, T>& table, Key key, T value) {
    std::lock_guard<std::mutex> lock(mutex_);
    table[key] = std::move(value);
    return *this;
  }
  template <class T>
  const T& get(const std::map<Key, T>& table, Key key, const char* service) {
    count(service);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = table.find(key);
    if (it == table.end()) missing(service, key.first, key.second);
    return it->second;  // entries are never erased: the reference stays valid
  }
  const std::pair<std::vector<int32_t>, std::size_t>* find_dataset(Dataset d) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = datasets_.find(d);
    return it == datasets_.end() ? nullptr : &it->second;
  }
  const std::pair<std::vector<int32_t>, std::size_t>& dataset(Dataset d, const char* service) {
    count(service);
    if (const auto* ds = find_dataset(d)) return *ds;
    throw host::ServiceError(DFX_ERR_FAILED_PRECONDITION, name_ + " has no " + host::to_string(d) +
                                                              " set: call MockHost::domains(Dataset::" +
                                                              (d == Dataset::Train ? "Train" : "Eval") + ", ...)");
  }
  void count(const char* service) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_[service];
  }
  [[noreturn]] void missing(const char* service, Dataset d, Model m = Model::Current) const {
    throw host::ServiceError(
        DFX_ERR_FAILED_PRECONDITION,
        name_ + " has no " + service + " answer for the " + host::to_string(d) + " set" +
            (m == Model::Current ? std::string() : std::string(" under the ") + host::to_string(m) + " model") +
            ": set one with MockHost::" + service + "(...)");
  }
  std::size_t index(int64_t id, std::size_t size, const char* what, Dataset d) const {
    if (id < 0 || static_cast<std::size_t>(id) >= size)
      throw host::ServiceError(DFX_ERR_INVALID_ARGUMENT, "sample id " + std::to_string(id) + " is outside the " +
                                                             std::to_string(size) + " " + what + " entries of the " +
                                                             host::to_string(d) + " set");
    return static_cast<std::size_t>(id);
  }
  std::vector<float> matrix(const std::vector<std::vector<float>>& rows, const host::SampleIds& ids, Dataset d,
                            bool normalize, const char* what) const {
    std::vector<float> out;
    const std::size_t width = rows.empty() ? 0 : rows[0].size();
    for (int64_t id : ids) {
      const auto& row = rows[index(id, rows.size(), what, d)];
      if (row.size() != width)
        throw host::ServiceError(DFX_ERR_INTERNAL, std::string("the mock's ") + what + " rows have different lengths");
      double norm = 0;
      for (float x : row) norm += static_cast<double>(x) * x;
      const double scale = normalize && norm > 0 ? 1.0 / std::sqrt(norm) : 1.0;
      for (float x : row) out.push_back(static_cast<float>(x * scale));
    }
    return out;
  }

  std::string name_;
  mutable std::mutex mutex_;
  std::map<Dataset, std::pair<std::vector<int32_t>, std::size_t>> datasets_;  // domains by id, domain count
  std::map<Key, std::vector<float>> losses_;
  std::map<Key, std::vector<std::vector<float>>> token_losses_;
  std::map<Key, std::vector<double>> domain_losses_;
  std::map<Key, std::vector<std::vector<float>>> features_;
  std::map<Key, std::vector<std::vector<float>>> embeddings_;
  std::map<Dataset, std::pair<std::vector<std::vector<int32_t>>, std::vector<std::vector<uint8_t>>>> tokens_;
  std::map<Dataset, std::vector<std::vector<std::vector<int32_t>>>> responses_;
  std::map<Dataset, std::vector<std::vector<float>>> rewards_;
  std::map<Dataset, std::vector<std::vector<std::vector<float>>>> response_features_;
  std::map<std::string, std::size_t> calls_;
};

// One instance of a plugin, with its own host table over `host`, called as the runtime calls it.
class PluginUnderTest {
 public:
  // `api`: the plugin's table, e.g. dataflex_plugin_get_api(DATAFLEX_ABI_VERSION) when the plugin's
  // source is compiled into the test, or open_library(path). `host_abi_minor` makes the table pose as
  // an older host's (0: a 1.0 host, whose table lacks the services added since).
  PluginUnderTest(const dfx_plugin_api* api, host::ServiceProvider& services, std::vector<host::Param> params = {},
                  uint64_t seed = 0, uint32_t host_abi_minor = DATAFLEX_ABI_VERSION_MINOR)
      : bridge_(std::make_unique<host::HostBridge>(
            services, api ? (api->name ? api->name : "?") : "?",
            [this](int32_t, const std::string& line) { log_lines_.push_back(line); }, host_abi_minor)) {
    if (api == nullptr) throw std::invalid_argument("PluginUnderTest: the plugin's table is NULL");
    instance_ = std::make_unique<host::Instance>(*api, *bridge_, params, seed);
  }

  // The table of a built plugin library (dlopen; the library stays loaded until the process ends).
  static const dfx_plugin_api* open_library(const std::string& path) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) throw std::runtime_error(path + ": " + dlerror());
    auto entry = reinterpret_cast<dfx_plugin_get_api_fn>(dlsym(lib, DATAFLEX_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error(path + ": no entry symbol " DATAFLEX_PLUGIN_ENTRY_SYMBOL);
    return entry(DATAFLEX_ABI_VERSION);
  }

  // The context of decision `index` at `step` (seed = index + 1 unless given).
  static host::DecisionContext context(int64_t step = 0, int64_t index = 0, int64_t total_steps = 1000,
                                       int64_t max_decisions = -1) {
    return {step, total_steps, index, max_decisions, static_cast<uint64_t>(index + 1)};
  }

  // `pool_sample_ids`: empty, or the training-set id of each pool position (a candidate pool).
  host::Selection select(std::size_t pool_size, std::size_t num_select, host::DecisionContext ctx = context(),
                         bool allow_duplicates = false, const std::vector<int64_t>& pool_sample_ids = {}) {
    return instance_->select(ctx, pool_size, num_select, allow_duplicates, pool_sample_ids);
  }
  std::vector<double> mix(const host::MixInput& in, host::DecisionContext ctx = context()) {
    return instance_->mix(ctx, in);
  }
  host::Weights weight(const host::WeightInput& in, host::DecisionContext ctx = context()) {
    return instance_->weight(ctx, in);
  }
  std::vector<uint8_t> save_state() { return instance_->save_state(); }
  void load_state(const std::vector<uint8_t>& blob) { instance_->load_state(blob); }

  // Metrics recorded since the last call, each with the step of the decision that recorded it.
  std::vector<host::Metric> take_metrics() { return bridge_->take_metrics(); }
  // The value last recorded under `name` since take_metrics; NaN when none.
  double metric(const std::string& name) const {
    double v = std::nan("");
    for (const auto& m : bridge_->metrics())
      if (m.name == name) v = m.value;
    return v;
  }
  const std::vector<std::string>& log_lines() const { return log_lines_; }
  const dfx_host_api* host_api() const { return bridge_->api(); }

 private:
  std::vector<std::string> log_lines_;
  std::unique_ptr<host::HostBridge> bridge_;
  std::unique_ptr<host::Instance> instance_;
};

}  // namespace dataflex::testing

#endif  // DATAFLEX_TESTING_HPP
