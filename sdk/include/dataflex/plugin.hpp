// plugin.hpp -- optional header-only C++17 layer for plugin authors.
//
// Everything here compiles INTO the plugin; nothing of it crosses the C ABI. It gives:
//   - dataflex::Error, thrown by plugin code and turned into a dfx_status + message at the boundary
//     (std::invalid_argument becomes DFX_ERR_INVALID_ARGUMENT with its message, any other exception
//     DFX_ERR_INTERNAL);
//   - dataflex::HostServices, the host table with std::vector results: a failing service throws
//     dataflex::HostServiceError, and the host's own message is what the user reads (the boundary
//     never overwrites it);
//   - dataflex::Params, typed access to the validated parameters;
//   - Selector / Mixer / Weighter base classes and DATAFLEX_PLUGIN(...), which defines the static
//     table and the one exported entry point.
#ifndef DATAFLEX_PLUGIN_HPP
#define DATAFLEX_PLUGIN_HPP

#include <dataflex/dataflex_plugin.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex {

// An error with the status it maps to at the ABI boundary.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, dfx_status status = DFX_ERR_INVALID_ARGUMENT)
      : std::runtime_error(message), status_(status) {}
  dfx_status status() const noexcept { return status_; }

 private:
  dfx_status status_;
};

// A host service returned `status`. The host recorded its own message before returning (what the user
// needs: "no reference model (set dataflex.reference_model)"); the boundary passes the status on and
// keeps that message. Catch it to recover (try another model, skip a signal); a plugin that throws an
// Error of its own instead replaces the host's message with its own.
class HostServiceError : public Error {
 public:
  HostServiceError(const std::string& service, dfx_status status)
      : Error("host service '" + service + "' failed", status), service_(service) {}
  const std::string& service() const noexcept { return service_; }

 private:
  std::string service_;
};

// The host's services. Borrowed from the host; valid for the instance's lifetime.
class HostServices {
 public:
  explicit HostServices(const dfx_host_api* api) : api_(api) {}

  void log(dfx_log_level level, const std::string& message) const { api_->log(api_->host, level, message.c_str()); }
  void metric(const std::string& name, double value) const { api_->record_metric(api_->host, name.c_str(), value); }

  // Samples and domains of a dataset.
  dfx_dataset_info_args dataset_info(dfx_dataset dataset) const {
    dfx_dataset_info_args a;
    dfx_dataset_info_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    check(api_->dataset_info(&a), "dataset_info");
    return a;
  }

  std::vector<int32_t> sample_domains(dfx_dataset dataset, const std::vector<int64_t>& ids) const {
    std::vector<int32_t> out(ids.size());
    dfx_sample_domains_args a;
    dfx_sample_domains_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    a.domains_out = out.data();
    check(api_->sample_domains(&a), "sample_domains");
    return out;
  }

  std::vector<float> sample_losses(dfx_dataset dataset, const std::vector<int64_t>& ids,
                                   dfx_model model = DFX_MODEL_CURRENT) const {
    std::vector<float> out(ids.size());
    dfx_sample_losses_args a;
    dfx_sample_losses_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.model = model;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    a.losses_out = out.data();
    check(api_->sample_losses(&a), "sample_losses");
    return out;
  }

  struct TokenLosses {
    std::vector<float> losses;     // all tokens, concatenated
    std::vector<int64_t> offsets;  // num_samples + 1
    std::vector<int32_t> domains;  // num_samples
  };
  TokenLosses token_losses(dfx_dataset dataset, const std::vector<int64_t>& ids,
                           dfx_model model = DFX_MODEL_CURRENT) const {
    dfx_token_losses_args a;
    dfx_token_losses_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.model = model;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    check(api_->token_losses(&a), "token_losses");  // size query
    TokenLosses t;
    t.losses.resize(a.num_tokens);
    t.offsets.resize(ids.size() + 1);
    t.domains.resize(ids.size());
    a.token_losses_out = t.losses.data();
    a.token_capacity = t.losses.size();
    a.offsets_out = t.offsets.data();
    a.domains_out = t.domains.data();
    check(api_->token_losses(&a), "token_losses");
    return t;
  }

  std::vector<double> domain_losses(dfx_dataset dataset, dfx_model model = DFX_MODEL_CURRENT) const {
    const size_t k = dataset_info(dataset).num_domains;
    std::vector<double> out(k);
    dfx_domain_losses_args a;
    dfx_domain_losses_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.model = model;
    a.losses_out = out.data();
    a.capacity = out.size();
    check(api_->domain_losses(&a), "domain_losses");
    out.resize(a.num_domains);
    return out;
  }

  // Row-major num_samples x feature_dim.
  struct Matrix {
    std::vector<float> data;
    size_t rows = 0, cols = 0;
    const float* row(size_t i) const { return data.data() + i * cols; }
  };
  struct GradientOptions {
    dfx_preconditioner preconditioner = DFX_PRECONDITIONER_SGD;
    dfx_projection projection = DFX_PROJECTION_DENSE;
    uint32_t projection_dim = 8192;
    uint64_t projection_seed = 0;
    std::string parameter_filter;
  };
  Matrix gradient_features(dfx_dataset dataset, const std::vector<int64_t>& ids, const GradientOptions& o) const {
    dfx_gradient_features_args a;
    dfx_gradient_features_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    a.preconditioner = o.preconditioner;
    a.projection = o.projection;
    a.projection_dim = o.projection_dim;
    a.projection_seed = o.projection_seed;
    a.parameter_filter = o.parameter_filter.c_str();
    check(api_->gradient_features(&a), "gradient_features");  // size query
    Matrix m;
    m.rows = ids.size();
    m.cols = a.feature_dim;
    m.data.resize(m.rows * m.cols);
    a.features_out = m.data.data();
    a.capacity = m.data.size();
    check(api_->gradient_features(&a), "gradient_features");
    return m;
  }

  // The pooling a plugin parameter names: "mean", "last", "first" or "position_weighted" (1.4).
  static dfx_pooling pooling_named(const std::string& name) {
    if (name == "mean") return DFX_POOLING_MEAN;
    if (name == "last") return DFX_POOLING_LAST_TOKEN;
    if (name == "first") return DFX_POOLING_FIRST_TOKEN;
    if (name == "position_weighted") return DFX_POOLING_POSITION_WEIGHTED;
    throw std::invalid_argument("pooling must be mean, last, first or position_weighted, got \"" + name + "\"");
  }
  struct EmbeddingOptions {
    dfx_model model = DFX_MODEL_CURRENT;
    int32_t layer = -1;
    dfx_pooling pooling = DFX_POOLING_MEAN;
    bool normalize = true;
  };
  Matrix embeddings(dfx_dataset dataset, const std::vector<int64_t>& ids, const EmbeddingOptions& o) const {
    dfx_embeddings_args a;
    dfx_embeddings_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.model = o.model;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    a.layer = o.layer;
    a.pooling = o.pooling;
    a.normalize = o.normalize ? 1 : 0;
    check(api_->embeddings(&a), "embeddings");  // size query
    Matrix m;
    m.rows = ids.size();
    m.cols = a.embedding_dim;
    m.data.resize(m.rows * m.cols);
    a.embeddings_out = m.data.data();
    a.capacity = m.data.size();
    check(api_->embeddings(&a), "embeddings");
    return m;
  }
  // Embeddings of samples first .. first + n - 1, asked for `chunk` samples at a time so that the
  // host's activations stay bounded however large the range; the rows are concatenated in order.
  Matrix embeddings_range(dfx_dataset dataset, size_t first, size_t n, const EmbeddingOptions& o, size_t chunk) const {
    Matrix out;
    out.rows = n;
    if (chunk == 0) chunk = 1;
    for (size_t begin = first; begin < first + n; begin += chunk) {
      std::vector<int64_t> ids(std::min(first + n, begin + chunk) - begin);
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(begin + i);
      Matrix e = embeddings(dataset, ids, o);
      out.cols = e.cols;
      out.data.insert(out.data.end(), e.data.begin(), e.data.end());
    }
    return out;
  }

  // [1.1] The token ids of samples and which of them are trained (their losses count).
  struct SampleTokens {
    std::vector<int32_t> token_ids;  // all samples, concatenated
    std::vector<uint8_t> trained;    // one per token: 1 when its loss counts
    std::vector<int64_t> offsets;    // num_samples + 1
  };
  SampleTokens sample_tokens(dfx_dataset dataset, const std::vector<int64_t>& ids) const {
    require("sample_tokens");
    dfx_sample_tokens_args a;
    dfx_sample_tokens_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    check(api_->sample_tokens(&a), "sample_tokens");  // size query
    SampleTokens t;
    t.token_ids.resize(a.num_tokens);
    t.trained.resize(a.num_tokens);
    t.offsets.resize(ids.size() + 1);
    a.token_ids_out = t.token_ids.data();
    a.trained_out = t.trained.data();
    a.capacity = t.token_ids.size();
    a.offsets_out = t.offsets.data();
    check(api_->sample_tokens(&a), "sample_tokens");
    return t;
  }

  // [1.3] Responses, concatenated: response i is tokens[offsets[i] .. offsets[i+1]).
  struct Responses {
    std::vector<int32_t> tokens;
    std::vector<int64_t> offsets;  // size() + 1 entries, from 0
    size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  };
  struct GenerateOptions {
    dfx_model model = DFX_MODEL_CURRENT;  // or DFX_MODEL_POLICY
    uint32_t num_return = 1;
    uint32_t max_new_tokens = 64;
    double temperature = 1.0;
    double top_p = 1.0;
    int32_t top_k = 0;
    uint64_t seed = 0;
  };
  // [1.3] num_return responses per sample; response j of ids[i] is response i * num_return + j.
  Responses generate(dfx_dataset dataset, const std::vector<int64_t>& ids, const GenerateOptions& o) const {
    require("generate");
    dfx_generate_args a;
    dfx_generate_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.model = o.model;
    a.sample_ids = ids.data();
    a.num_samples = ids.size();
    a.num_return = o.num_return;
    a.max_new_tokens = o.max_new_tokens;
    a.temperature = o.temperature;
    a.top_p = o.top_p;
    a.top_k = o.top_k;
    a.seed = o.seed;
    const size_t responses = ids.size() * o.num_return;
    Responses r;
    r.tokens.resize(responses * o.max_new_tokens);
    r.offsets.resize(responses + 1);
    a.token_ids_out = r.tokens.data();
    a.capacity = r.tokens.size();
    a.offsets_out = r.offsets.data();
    check(api_->generate(&a), "generate");
    r.tokens.resize(a.num_tokens);
    return r;
  }
  // [1.3] One reward per response; response i answers sample ids[i] (its reference answer).
  std::vector<float> reward(dfx_dataset dataset, dfx_reward kind, const std::vector<int64_t>& ids,
                            const Responses& responses) const {
    require("reward");
    dfx_reward_args a;
    dfx_reward_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.reward = kind;
    a.sample_ids = ids.data();
    a.num_responses = ids.size();
    a.response_tokens = responses.tokens.data();
    a.response_offsets = responses.offsets.data();
    std::vector<float> out(ids.size());
    a.rewards_out = out.data();
    check(api_->reward(&a), "reward");
    return out;
  }
  // [1.3] Row g = mean over responses g*group_size .. of weight * grad(summed NLL of the response).
  Matrix response_gradient_features(dfx_dataset dataset, const std::vector<int64_t>& ids, const Responses& responses,
                                    const std::vector<float>& weights, size_t group_size,
                                    const GradientOptions& o) const {
    require("response_gradient_features");
    dfx_response_features_args a;
    dfx_response_features_args_init(&a);
    a.host = api_->host;
    a.dataset = dataset;
    a.sample_ids = ids.data();
    a.num_responses = ids.size();
    a.response_tokens = responses.tokens.data();
    a.response_offsets = responses.offsets.data();
    a.weights = weights.empty() ? nullptr : weights.data();
    a.group_size = group_size;
    a.projection = o.projection;
    a.projection_dim = o.projection_dim;
    a.projection_seed = o.projection_seed;
    a.parameter_filter = o.parameter_filter.c_str();
    check(api_->response_gradient_features(&a), "response_gradient_features");  // size query
    Matrix m;
    m.rows = group_size == 0 ? 0 : ids.size() / group_size;
    m.cols = a.feature_dim;
    m.data.resize(m.rows * m.cols);
    a.features_out = m.data.data();
    a.capacity = m.data.size();
    check(api_->response_gradient_features(&a), "response_gradient_features");
    return m;
  }

  // The host's ABI version, and whether its table offers a service by its manifest name: the 1.0
  // services are in every host's table; a later one ("sample_tokens" 1.1, "generate" 1.3, ...) only
  // in hosts of its minor.
  uint32_t abi_version() const { return api_->abi_version; }
  bool offers(const std::string& service) const {
    if (service == "sample_tokens")
      return DFX_STRUCT_HAS_MEMBER(api_, dfx_host_api, sample_tokens) && api_->sample_tokens != nullptr;
    if (service == "generate") return DFX_STRUCT_HAS_MEMBER(api_, dfx_host_api, generate) && api_->generate != nullptr;
    if (service == "reward") return DFX_STRUCT_HAS_MEMBER(api_, dfx_host_api, reward) && api_->reward != nullptr;
    if (service == "response_gradient_features")
      return DFX_STRUCT_HAS_MEMBER(api_, dfx_host_api, response_gradient_features) &&
             api_->response_gradient_features != nullptr;
    if (service == "observed_excess_losses") return DFX_ABI_VERSION_GET_MINOR(api_->abi_version) >= 4;
    static const char* const v1_0[] = {"log",           "metrics",         "dataset_info",     "sample_domains",
                                       "sample_losses", "token_losses",    "domain_losses",    "reference_losses",
                                       "embeddings",    "embedding_model", "gradient_features"};
    for (const char* name : v1_0)
      if (service == name) return true;
    return false;
  }
  // Throws DFX_ERR_UNIMPLEMENTED naming the service and both versions when the host lacks it: call it
  // in the constructor for every newer service the plugin cannot do without.
  void require(const std::string& service) const {
    if (offers(service)) return;
    const char* since = service == "sample_tokens" ? "1.1"
                        : service == "generate" || service == "reward" || service == "response_gradient_features"
                            ? "1.3"
                        : service == "observed_excess_losses" ? "1.4"
                                                              : nullptr;
    if (since == nullptr) throw Error("no host service is called '" + service + "'");
    throw Error("host service '" + service + "' needs a host of SDK ABI " + since + " or later; this host speaks ABI " +
                    std::to_string(DFX_ABI_VERSION_GET_MAJOR(api_->abi_version)) + "." +
                    std::to_string(DFX_ABI_VERSION_GET_MINOR(api_->abi_version)),
                DFX_ERR_UNIMPLEMENTED);
  }

  const dfx_host_api* raw() const { return api_; }

 private:
  // The host has already recorded its message: carry the status up without a message of our own.
  static void check(dfx_status s, const char* service) {
    if (s != DFX_OK) throw HostServiceError(service, s);
  }
  const dfx_host_api* api_;
};

// The validated parameters, copied at creation.
class Params {
 public:
  Params(const dfx_param* const* params, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const dfx_param* p = params[i];
      Value v;
      v.type = p->type;
      v.b = p->bool_value != 0;
      v.i = p->int_value;
      v.f = p->float_value;
      if (p->string_value) v.s = p->string_value;
      if (p->float_list) v.list.assign(p->float_list, p->float_list + p->float_list_size);
      values_[p->name] = std::move(v);
    }
  }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  bool get_bool(const std::string& name) const { return get(name, DFX_PARAM_BOOL).b; }
  int64_t get_int(const std::string& name) const { return get(name, DFX_PARAM_INT).i; }
  double get_float(const std::string& name) const { return get(name, DFX_PARAM_FLOAT).f; }
  const std::string& get_string(const std::string& name) const { return get(name, DFX_PARAM_STRING).s; }
  const std::vector<double>& get_float_list(const std::string& name) const {
    return get(name, DFX_PARAM_FLOAT_LIST).list;
  }

 private:
  struct Value {
    int32_t type = 0;
    bool b = false;
    int64_t i = 0;
    double f = 0;
    std::string s;
    std::vector<double> list;
  };
  const Value& get(const std::string& name, int32_t type) const {
    auto it = values_.find(name);
    if (it == values_.end()) throw Error("parameter '" + name + "' was not passed by the host");
    if (it->second.type != type) throw Error("parameter '" + name + "' has another type");
    return it->second;
  }
  std::map<std::string, Value> values_;
};

// What every plugin instance gets at creation.
struct PluginContext {
  HostServices host;
  Params params;
  uint64_t seed;
};

// Base classes: derive from the one matching the plugin's kind.
class PluginBase {
 public:
  explicit PluginBase(const PluginContext& ctx) : ctx_(ctx) {}
  virtual ~PluginBase() = default;
  // State for checkpoints; the default is a stateless plugin.
  virtual std::string save_state() const { return {}; }
  virtual void load_state(const std::string& /*blob*/) {}
  const HostServices& host() const { return ctx_.host; }
  const Params& params() const { return ctx_.params; }
  uint64_t seed() const { return ctx_.seed; }
  // [1.2] During a decision: the optimizer's learning rate at the next step; negative when the host
  // does not know it (a 1.0/1.1 host, a recording that does not state it).
  double learning_rate() const { return learning_rate_; }
  // Called by the adapter below before each decision (not for plugin code).
  void set_decision_learning_rate(double rate) { learning_rate_ = rate; }

 private:
  PluginContext ctx_;
  double learning_rate_ = -1;
};

namespace detail {
// The learning rate an args struct carries, when the host's struct has the member.
template <class Args>
double learning_rate_of(const Args* a) {
  return DFX_STRUCT_HAS_MEMBER(a, Args, learning_rate) ? a->learning_rate : -1.0;
}
}  // namespace detail

class Selector : public PluginBase {
 public:
  using PluginBase::PluginBase;
  static constexpr dfx_plugin_kind kKind = DFX_KIND_SELECTOR;
  struct Selection {
    std::vector<int64_t> ids;
    std::vector<double> scores;  // optional: empty, or one metric per id
  };
  virtual Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select,
                           bool allow_duplicates) = 0;

  // [1.2] During `select`: the training-set id of pool position `pool_id` -- the key for anything kept
  // across decisions, since with dataflex.candidates pool ids name other samples at each decision.
  // A host that does not say (whole pool, or a 1.0/1.1 host) means pool id = training-set id.
  int64_t sample_id(int64_t pool_id) const {
    return pool_sample_ids_ ? pool_sample_ids_[static_cast<size_t>(pool_id)] : pool_id;
  }
  // Whether this decision's pool is a subset whose ids differ from training-set ids.
  bool pool_is_subset() const { return pool_sample_ids_ != nullptr; }
  // Called by the adapter below before each decision (not for plugin code).
  void set_pool_sample_ids(const int64_t* ids) { pool_sample_ids_ = ids; }

 private:
  const int64_t* pool_sample_ids_ = nullptr;  // the host's, valid during `select` only
};

class Mixer : public PluginBase {
 public:
  using PluginBase::PluginBase;
  static constexpr dfx_plugin_kind kKind = DFX_KIND_MIXER;
  struct DomainObservations {
    std::vector<std::string> names;
    std::vector<double> current_proportions;
    std::vector<double> losses;  // NaN where unobserved
    std::vector<int64_t> tokens;
    // [1.4] Mean per-token max(0, training loss - reference loss) since the previous decision, NaN
    // where unobserved; empty unless the manifest requires "observed_excess_losses" (and the host is 1.4).
    std::vector<double> excess_losses;
  };
  virtual std::vector<double> mix(const dfx_decision_context& ctx, const DomainObservations& obs) = 0;
};

class Weighter : public PluginBase {
 public:
  using PluginBase::PluginBase;
  static constexpr dfx_plugin_kind kKind = DFX_KIND_WEIGHTER;
  struct Batch {
    std::vector<int64_t> sample_ids;
    std::vector<int32_t> domains;
    std::vector<float> losses;
  };
  virtual std::vector<double> weight(const dfx_decision_context& ctx, const Batch& batch) = 0;
  // [1.4] How the host applies the weights: DFX_WEIGHTS_NORMALIZED (sum w l / sum w, the default) or
  // DFX_WEIGHTS_ABSOLUTE (sum w l / B: per-sample learning-rate scales). Asked after every `weight`.
  virtual dfx_weight_form weight_form() const { return DFX_WEIGHTS_NORMALIZED; }
};

namespace detail {

// The opaque instance: the C++ object and the host table it reports errors through.
struct Instance {
  std::unique_ptr<PluginBase> plugin;
  const dfx_host_api* host_api;
};

inline Instance* as_instance(dfx_instance* p) { return reinterpret_cast<Instance*>(p); }

// Runs `body`, turning any exception into a status and a message for the host.
template <class Body>
dfx_status guarded(const dfx_host_api* host_api, Body&& body) noexcept {
  try {
    body();
    return DFX_OK;
  } catch (const HostServiceError& e) {
    // The host's message stands: setting one here would overwrite it.
    return e.status() == DFX_OK ? DFX_ERR_INTERNAL : e.status();
  } catch (const Error& e) {
    if (host_api) host_api->set_error(host_api->host, e.what());
    return e.status() == DFX_OK ? DFX_ERR_INTERNAL : e.status();
  } catch (const std::bad_alloc&) {
    if (host_api) host_api->set_error(host_api->host, "out of memory");
    return DFX_ERR_OUT_OF_MEMORY;
  } catch (const std::invalid_argument& e) {
    // What the standard library and the plugin's own checks throw for a bad input or parameter.
    if (host_api) host_api->set_error(host_api->host, e.what());
    return DFX_ERR_INVALID_ARGUMENT;
  } catch (const std::exception& e) {
    if (host_api) host_api->set_error(host_api->host, e.what());
    return DFX_ERR_INTERNAL;
  } catch (...) {
    if (host_api) host_api->set_error(host_api->host, "unknown C++ exception");
    return DFX_ERR_INTERNAL;
  }
}

template <class T>
dfx_status create(dfx_create_args* a) {
  return guarded(a->host_api, [&] {
    PluginContext ctx{HostServices(a->host_api), Params(a->params, a->num_params), a->seed};
    auto inst = std::make_unique<Instance>();
    inst->plugin = std::make_unique<T>(ctx);
    inst->host_api = a->host_api;
    a->instance_out = reinterpret_cast<dfx_instance*>(inst.release());
  });
}

inline void destroy(dfx_instance* p) noexcept { delete as_instance(p); }

template <class T>
dfx_status select(dfx_select_args* a) {
  Instance* inst = as_instance(a->instance);
  return guarded(inst->host_api, [&] {
    T& plugin = static_cast<T&>(*inst->plugin);
    plugin.set_decision_learning_rate(learning_rate_of(a));
    plugin.set_pool_sample_ids(DFX_STRUCT_HAS_MEMBER(a, dfx_select_args, pool_sample_ids) ? a->pool_sample_ids
                                                                                          : nullptr);
    struct Forget {  // the pointer is the host's for this call only
      T& p;
      ~Forget() { p.set_pool_sample_ids(nullptr); }
    } forget{plugin};
    auto sel = plugin.select(a->context, a->pool_size, a->num_select, a->allow_duplicates != 0);
    if (sel.ids.size() > a->num_select)
      throw Error("selected " + std::to_string(sel.ids.size()) + " ids but " + std::to_string(a->num_select) +
                  " were asked for");
    std::memcpy(a->selected_out, sel.ids.data(), sel.ids.size() * sizeof(int64_t));
    for (size_t i = 0; i < sel.scores.size() && i < sel.ids.size(); ++i) a->scores_out[i] = sel.scores[i];
    a->num_selected = sel.ids.size();
  });
}

template <class T>
dfx_status mix(dfx_mix_args* a) {
  Instance* inst = as_instance(a->instance);
  return guarded(inst->host_api, [&] {
    Mixer::DomainObservations obs;
    const size_t k = a->num_domains;
    for (size_t i = 0; i < k; ++i) obs.names.emplace_back(a->domain_names[i]);
    obs.current_proportions.assign(a->current_proportions, a->current_proportions + k);
    obs.losses.assign(a->observed_losses, a->observed_losses + k);
    obs.tokens.assign(a->observed_tokens, a->observed_tokens + k);
    if (DFX_STRUCT_HAS_MEMBER(a, dfx_mix_args, observed_excess_losses) && a->observed_excess_losses != nullptr)
      obs.excess_losses.assign(a->observed_excess_losses, a->observed_excess_losses + k);
    inst->plugin->set_decision_learning_rate(learning_rate_of(a));
    auto p = static_cast<T&>(*inst->plugin).mix(a->context, obs);
    if (p.size() != k)
      throw Error("returned " + std::to_string(p.size()) + " proportions for " + std::to_string(k) + " domains");
    std::memcpy(a->proportions_out, p.data(), k * sizeof(double));
  });
}

template <class T>
dfx_status weight(dfx_weight_args* a) {
  Instance* inst = as_instance(a->instance);
  return guarded(inst->host_api, [&] {
    Weighter::Batch b;
    const size_t n = a->batch_size;
    b.sample_ids.assign(a->sample_ids, a->sample_ids + n);
    b.domains.assign(a->domains, a->domains + n);
    b.losses.assign(a->losses, a->losses + n);
    inst->plugin->set_decision_learning_rate(learning_rate_of(a));
    auto w = static_cast<T&>(*inst->plugin).weight(a->context, b);
    if (w.size() != n)
      throw Error("returned " + std::to_string(w.size()) + " weights for a batch of " + std::to_string(n));
    const dfx_weight_form form = static_cast<T&>(*inst->plugin).weight_form();
    if (form != DFX_WEIGHTS_NORMALIZED) {
      if (!DFX_STRUCT_HAS_MEMBER(a, dfx_weight_args, weight_form))
        throw Error("absolute weights need a host of SDK ABI 1.4 or later", DFX_ERR_UNIMPLEMENTED);
      a->weight_form = form;
    }
    std::memcpy(a->weights_out, w.data(), n * sizeof(double));
  });
}

inline dfx_status save_state(dfx_state_args* a) {
  Instance* inst = as_instance(a->instance);
  return guarded(inst->host_api, [&] {
    const std::string blob = inst->plugin->save_state();
    if (a->buffer == nullptr) {
      a->size = blob.size();
      return;
    }
    if (a->capacity < blob.size()) throw Error("state buffer too small", DFX_ERR_BUFFER_TOO_SMALL);
    std::memcpy(a->buffer, blob.data(), blob.size());
    a->size = blob.size();
  });
}

inline dfx_status load_state(dfx_state_args* a) {
  Instance* inst = as_instance(a->instance);
  return guarded(inst->host_api,
                 [&] { inst->plugin->load_state(std::string(static_cast<const char*>(a->buffer), a->capacity)); });
}

template <class T>
const dfx_plugin_api* make_api(const char* name, const char* version) {
  static dfx_plugin_api api = [&] {
    dfx_plugin_api t;
    dfx_plugin_api_init(&t);
    t.name = name;
    t.version = version;
    t.kind = T::kKind;
    t.create = &create<T>;
    t.destroy = &destroy;
    if constexpr (T::kKind == DFX_KIND_SELECTOR) t.select = &detail::select<T>;
    if constexpr (T::kKind == DFX_KIND_MIXER) t.mix = &detail::mix<T>;
    if constexpr (T::kKind == DFX_KIND_WEIGHTER) t.weight = &detail::weight<T>;
    t.save_state = &detail::save_state;
    t.load_state = &detail::load_state;
    return t;
  }();
  return &api;
}

}  // namespace detail
}  // namespace dataflex

// Defines the plugin's one exported symbol for class CLASS (derived from Selector, Mixer or Weighter).
// NAME and VERSION are string literals equal to the manifest's.
#define DATAFLEX_PLUGIN(CLASS, NAME, VERSION)                                                     \
  extern "C" DFX_PLUGIN_EXPORT const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi) { \
    if (DFX_ABI_VERSION_GET_MAJOR(host_abi) != DATAFLEX_ABI_VERSION_MAJOR) return nullptr;        \
    return ::dataflex::detail::make_api<CLASS>(NAME, VERSION);                                    \
  }

#endif  // DATAFLEX_PLUGIN_HPP
