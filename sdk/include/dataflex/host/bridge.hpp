// host/bridge.hpp -- the dfx_host_api table handed to one plugin instance, over a ServiceProvider
// (header-only, C++17).
//
// This is the one implementation of the services' C protocol, used by the runtime and by
// <dataflex/testing.hpp> alike:
//   - every args struct is checked: non-NULL, this host's handle, struct_size covering the members the
//     service reads, known enum values, non-NULL buffers where entries are expected;
//   - a NULL output buffer asks for a size (num_tokens, num_domains, feature_dim, embedding_dim) and
//     is answered without computing the result where the provider can;
//   - a capacity too small is DFX_ERR_BUFFER_TOO_SMALL, with the size needed set, before the result
//     is computed;
//   - the provider's answer is checked for its shape and copied into the plugin's buffers only when
//     the whole call succeeds: on error the buffers are untouched;
//   - a provider's exception becomes a status and a message "host service 'NAME': ..." that the
//     plugin's failure reports.
// It also collects what the plugin reports: its error messages, log lines and metrics.
#ifndef DATAFLEX_HOST_BRIDGE_HPP
#define DATAFLEX_HOST_BRIDGE_HPP

#include <dataflex/dataflex_plugin.h>
#include <dataflex/host/services.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace dataflex::host {
class HostBridge;
}

// The opaque handle behind dfx_host_api.host: it leads back to the bridge.
struct dfx_host {
  dataflex::host::HostBridge* bridge;
};

namespace dataflex::host {

struct Metric {
  int64_t step;
  std::string name;
  double value;
};

// Replaces line breaks, so that a message from outside stays one line in a log or an error.
inline std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

class HostBridge {
 public:
  // Receives the plugin's log lines, already prefixed with "[plugin_name] ".
  using LogSink = std::function<void(int32_t level, const std::string& line)>;

  // `abi_minor` is the minor this host reports: a table of that version (a test can pose as a 1.0
  // host; the services added later are then missing from the table, as in a real 1.0 host).
  HostBridge(ServiceProvider& provider, std::string plugin_name, LogSink log = {},
             uint32_t abi_minor = DATAFLEX_ABI_VERSION_MINOR)
      : provider_(provider), plugin_name_(std::move(plugin_name)), log_(std::move(log)), handle_{this} {
    dfx_host_api_init(&api_);
    api_.abi_version = DFX_MAKE_ABI_VERSION(DATAFLEX_ABI_VERSION_MAJOR, abi_minor);
    api_.struct_size = abi_minor == 0 ? DFX_STRUCT_SIZE(dfx_host_api, extension_start)
                                      : static_cast<std::size_t>(dfx_host_api_STRUCT_SIZE);
    api_.host = &handle_;
    api_.set_error = &set_error_entry;
    api_.log = &log_entry;
    api_.record_metric = &metric_entry;
    api_.dataset_info = &dataset_info_entry;
    api_.sample_domains = &sample_domains_entry;
    api_.sample_losses = &sample_losses_entry;
    api_.token_losses = &token_losses_entry;
    api_.domain_losses = &domain_losses_entry;
    api_.gradient_features = &gradient_features_entry;
    api_.embeddings = &embeddings_entry;
    api_.extension_start = nullptr;
    if (abi_minor >= 1) api_.sample_tokens = &sample_tokens_entry;
    if (abi_minor >= 3) {
      api_.generate = &generate_entry;
      api_.reward = &reward_entry;
      api_.response_gradient_features = &response_features_entry;
    }
    // A host posing as an older minor hands a table that ends where that minor's did.
    if (abi_minor >= 1 && abi_minor < 3) api_.struct_size = DFX_STRUCT_SIZE(dfx_host_api, sample_tokens);
  }
  HostBridge(const HostBridge&) = delete;
  HostBridge& operator=(const HostBridge&) = delete;

  // Valid as long as this bridge lives.
  const dfx_host_api* api() const { return &api_; }
  ServiceProvider& provider() const { return provider_; }
  const std::string& plugin_name() const { return plugin_name_; }

  // The step that metrics recorded from now on belong to.
  void set_step(int64_t step) {
    std::lock_guard<std::mutex> lock(mutex_);
    step_ = step;
  }
  // The last error message recorded since clear_error (by the plugin, or by a failing service).
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_error_;
  }
  void clear_error() {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_.clear();
  }
  // Metrics recorded since the last take_metrics, in order, left in place.
  std::vector<Metric> metrics() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return metrics_;
  }
  // Metrics recorded since the last call, in order.
  std::vector<Metric> take_metrics() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Metric> out;
    out.swap(metrics_);
    return out;
  }

  void record_error(const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = one_line(message);
  }
  void record_log(int32_t level, const std::string& message) {
    if (log_) log_(level, "[" + plugin_name_ + "] " + one_line(message));
  }
  void record_metric(const std::string& name, double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.push_back({step_, name, value});
  }

 private:
  // --- Checks shared by every service --------------------------------------------------------------

  [[noreturn]] static void invalid(const std::string& message) {
    throw ServiceError(DFX_ERR_INVALID_ARGUMENT, message);
  }

  static Dataset dataset_of(int32_t d) {
    if (d == DFX_DATASET_TRAIN) return Dataset::Train;
    if (d == DFX_DATASET_EVAL) return Dataset::Eval;
    invalid("dataset " + std::to_string(d) + ": expected TRAIN (0) or EVAL (1)");
  }
  // `allowed`: the models this service computes with, besides CURRENT.
  static Model model_of(int32_t m, Model allowed) {
    if (m == DFX_MODEL_CURRENT) return Model::Current;
    if (m == static_cast<int32_t>(allowed)) return allowed;
    invalid("model " + std::to_string(m) + ": expected CURRENT (0) or " +
            (allowed == Model::Reference ? "REFERENCE (1)"
             : allowed == Model::Policy  ? "POLICY (3)"
                                         : "EMBEDDING (2)"));
  }
  static SampleIds ids_of(const int64_t* ids, std::size_t n) {
    if (ids == nullptr && n > 0) invalid("sample_ids is NULL for " + std::to_string(n) + " samples");
    return n == 0 ? SampleIds() : SampleIds(ids, ids + n);
  }
  template <class T>
  static void need_buffer(const T* buffer, std::size_t n, const char* what) {
    if (buffer == nullptr && n > 0) invalid(std::string(what) + " is NULL");
  }
  static std::size_t matrix_size(std::size_t rows, std::size_t cols) {
    if (cols != 0 && rows > std::numeric_limits<std::size_t>::max() / cols)
      invalid(std::to_string(rows) + " x " + std::to_string(cols) + " values do not fit in memory");
    return rows * cols;
  }
  [[noreturn]] static void too_small(std::size_t capacity, std::size_t needed, const char* unit) {
    throw ServiceError(DFX_ERR_BUFFER_TOO_SMALL, "capacity " + std::to_string(capacity) + " " + unit +
                                                     ", the answer needs " + std::to_string(needed));
  }
  // A provider that answers with the wrong number of values is a host bug, not the plugin's.
  static void expect_size(std::size_t got, std::size_t want, const char* what) {
    if (got != want)
      throw ServiceError(DFX_ERR_INTERNAL, "the provider returned " + std::to_string(got) + " " + what + ", expected " +
                                               std::to_string(want));
  }
  template <class T>
  static void copy(const std::vector<T>& from, T* to) {
    if (!from.empty()) std::memcpy(to, from.data(), from.size() * sizeof(T));
  }
  // A row-major matrix answer: its width is set; a NULL buffer only asks for it; a buffer too small is
  // refused before `compute` runs; the rows are copied only when they have the promised shape.
  template <class Compute>
  static void matrix_answer(std::size_t rows, std::size_t width, float* out, std::size_t capacity,
                            std::size_t* width_out, const char* what, Compute&& compute) {
    *width_out = width;
    if (out == nullptr) return;
    const std::size_t needed = matrix_size(rows, width);
    if (capacity < needed) too_small(capacity, needed, "floats");
    const std::vector<float> values = compute();
    expect_size(values.size(), needed, what);
    copy(values, out);
  }

  // Runs `body` for one call: checks the args' header, and turns any exception into a status and a
  // recorded message. `min_size` is the struct size through the last member the service reads.
  template <class Args, class Body>
  static dfx_status serve(Args* args, std::size_t min_size, const char* service, Body&& body) noexcept {
    if (args == nullptr || args->host == nullptr || args->host->bridge == nullptr) return DFX_ERR_INVALID_ARGUMENT;
    HostBridge& bridge = *args->host->bridge;
    const std::string prefix = std::string("host service '") + service + "': ";
    if (args->struct_size < min_size) {
      bridge.record_error(prefix + "args.struct_size " + std::to_string(args->struct_size) +
                          " is smaller than the struct this service reads (" + std::to_string(min_size) +
                          " bytes; start from " + service + "_args_init)");
      return DFX_ERR_INVALID_ARGUMENT;
    }
    try {
      body(bridge.provider_, *args);
      return DFX_OK;
    } catch (const ServiceError& e) {
      bridge.record_error(prefix + e.what());
      return e.status() == DFX_OK ? DFX_ERR_INTERNAL : e.status();
    } catch (const std::bad_alloc&) {
      bridge.record_error(prefix + "out of memory");
      return DFX_ERR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
      bridge.record_error(prefix + e.what());
      return DFX_ERR_INTERNAL;
    } catch (...) {
      bridge.record_error(prefix + "unknown exception");
      return DFX_ERR_INTERNAL;
    }
  }

  // --- The services ----------------------------------------------------------------------------------

  static dfx_status dataset_info_entry(dfx_dataset_info_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_dataset_info_args, num_domains), "dataset_info",
                 [](ServiceProvider& p, dfx_dataset_info_args& a) {
                   const DatasetInfo info = p.dataset_info(dataset_of(a.dataset));
                   a.num_samples = info.num_samples;
                   a.num_domains = info.num_domains;
                 });
  }

  static dfx_status sample_domains_entry(dfx_sample_domains_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_sample_domains_args, domains_out), "sample_domains",
                 [](ServiceProvider& p, dfx_sample_domains_args& a) {
                   const Dataset d = dataset_of(a.dataset);
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   need_buffer(a.domains_out, a.num_samples, "domains_out");
                   const std::vector<int32_t> out = p.sample_domains(d, ids);
                   expect_size(out.size(), ids.size(), "domains");
                   copy(out, a.domains_out);
                 });
  }

  static dfx_status sample_losses_entry(dfx_sample_losses_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_sample_losses_args, losses_out), "sample_losses",
                 [](ServiceProvider& p, dfx_sample_losses_args& a) {
                   const Dataset d = dataset_of(a.dataset);
                   const Model m = model_of(a.model, Model::Reference);
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   need_buffer(a.losses_out, a.num_samples, "losses_out");
                   const std::vector<float> out = p.sample_losses(d, m, ids);
                   expect_size(out.size(), ids.size(), "losses");
                   copy(out, a.losses_out);
                 });
  }

  static dfx_status token_losses_entry(dfx_token_losses_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_token_losses_args, num_tokens), "token_losses",
                 [](ServiceProvider& p, dfx_token_losses_args& a) {
                   const Dataset d = dataset_of(a.dataset);
                   const Model m = model_of(a.model, Model::Reference);
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   const std::size_t needed = p.token_count(d, m, ids);
                   a.num_tokens = needed;
                   if (a.token_losses_out == nullptr) return;
                   if (a.token_capacity < needed) too_small(a.token_capacity, needed, "tokens");
                   const TokenLosses t = p.token_losses(d, m, ids);
                   expect_size(t.losses.size(), needed, "token losses");
                   expect_size(t.offsets.size(), ids.size() + 1, "offsets");
                   expect_size(t.domains.size(), ids.size(), "domains");
                   copy(t.losses, a.token_losses_out);
                   if (a.offsets_out) copy(t.offsets, a.offsets_out);
                   if (a.domains_out) copy(t.domains, a.domains_out);
                 });
  }

  static dfx_status domain_losses_entry(dfx_domain_losses_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_domain_losses_args, num_domains), "domain_losses",
                 [](ServiceProvider& p, dfx_domain_losses_args& a) {
                   const Dataset d = dataset_of(a.dataset);
                   const Model m = model_of(a.model, Model::Reference);
                   const std::size_t domains = p.dataset_info(d).num_domains;
                   a.num_domains = domains;
                   if (a.losses_out == nullptr) return;
                   if (a.capacity < domains) too_small(a.capacity, domains, "domains");
                   const std::vector<double> out = p.domain_losses(d, m);
                   expect_size(out.size(), domains, "domain losses");
                   copy(out, a.losses_out);
                 });
  }

  // The projection members every gradient service shares.
  static dfx_projection projection_of(int32_t projection, uint32_t dim) {
    if (projection < DFX_PROJECTION_NONE || projection > DFX_PROJECTION_FACTORED)
      invalid("unknown projection " + std::to_string(projection));
    if (projection != DFX_PROJECTION_NONE && dim == 0) invalid("projection_dim must be positive for a projection");
    return static_cast<dfx_projection>(projection);
  }

  static GradientRequest gradient_request_of(const dfx_gradient_features_args& a) {
    GradientRequest r;
    r.dataset = dataset_of(a.dataset);
    if (a.preconditioner != DFX_PRECONDITIONER_SGD && a.preconditioner != DFX_PRECONDITIONER_ADAM)
      invalid("unknown preconditioner " + std::to_string(a.preconditioner));
    r.preconditioner = static_cast<dfx_preconditioner>(a.preconditioner);
    r.projection = projection_of(a.projection, a.projection_dim);
    r.projection_dim = a.projection_dim;
    r.projection_seed = a.projection_seed;
    r.parameter_filter = parameter_filter_of(a.parameter_filter ? a.parameter_filter : "");
    return r;
  }

  static dfx_status gradient_features_entry(dfx_gradient_features_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_gradient_features_args, feature_dim), "gradient_features",
                 [](ServiceProvider& p, dfx_gradient_features_args& a) {
                   const GradientRequest r = gradient_request_of(a);
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   matrix_answer(ids.size(), p.gradient_feature_dim(r), a.features_out, a.capacity, &a.feature_dim,
                                 "feature values", [&] { return p.gradient_features(r, ids); });
                 });
  }

  static dfx_status embeddings_entry(dfx_embeddings_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_embeddings_args, embedding_dim), "embeddings",
                 [](ServiceProvider& p, dfx_embeddings_args& a) {
                   EmbeddingRequest r;
                   r.dataset = dataset_of(a.dataset);
                   r.model = model_of(a.model, Model::Embedding);
                   if (a.pooling < DFX_POOLING_MEAN || a.pooling > DFX_POOLING_POSITION_WEIGHTED)
                     invalid("unknown pooling " + std::to_string(a.pooling));
                   r.layer = a.layer;
                   r.pooling = static_cast<dfx_pooling>(a.pooling);
                   r.normalize = a.normalize != 0;
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   matrix_answer(ids.size(), p.embedding_dim(r), a.embeddings_out, a.capacity, &a.embedding_dim,
                                 "embedding values", [&] { return p.embeddings(r, ids); });
                 });
  }

  static dfx_status sample_tokens_entry(dfx_sample_tokens_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_sample_tokens_args, num_tokens), "sample_tokens",
                 [](ServiceProvider& p, dfx_sample_tokens_args& a) {
                   const Dataset d = dataset_of(a.dataset);
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   const SampleTokens t = p.sample_tokens(d, ids);
                   expect_size(t.trained.size(), t.token_ids.size(), "trained flags");
                   expect_size(t.offsets.size(), ids.size() + 1, "offsets");
                   a.num_tokens = t.token_ids.size();
                   if (a.token_ids_out == nullptr && a.trained_out == nullptr) return;
                   if (a.capacity < t.token_ids.size()) too_small(a.capacity, t.token_ids.size(), "tokens");
                   if (a.token_ids_out) copy(t.token_ids, a.token_ids_out);
                   if (a.trained_out) copy(t.trained, a.trained_out);
                   if (a.offsets_out) copy(t.offsets, a.offsets_out);
                 });
  }

  // --- [1.3] Generation, rewards, response gradients ------------------------------------------------

  static dfx_status generate_entry(dfx_generate_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_generate_args, num_tokens), "generate",
                 [](ServiceProvider& p, dfx_generate_args& a) {
                   GenerateRequest r;
                   r.dataset = dataset_of(a.dataset);
                   r.model = model_of(a.model, Model::Policy);
                   if (a.num_return == 0) invalid("num_return must be at least 1");
                   if (a.max_new_tokens == 0) invalid("max_new_tokens must be at least 1");
                   if (!(a.temperature >= 0) || !(a.temperature < 1e6))
                     invalid("temperature " + std::to_string(a.temperature) + ": expected a finite value >= 0");
                   if (!(a.top_p > 0 && a.top_p <= 1))
                     invalid("top_p " + std::to_string(a.top_p) + ": expected (0, 1]");
                   if (a.top_k < 0) invalid("top_k " + std::to_string(a.top_k) + ": expected >= 0 (0 = no limit)");
                   r.num_return = a.num_return;
                   r.max_new_tokens = a.max_new_tokens;
                   r.temperature = a.temperature;
                   r.top_p = a.top_p;
                   r.top_k = a.top_k;
                   r.seed = a.seed;
                   const SampleIds ids = ids_of(a.sample_ids, a.num_samples);
                   const std::size_t responses = matrix_size(ids.size(), a.num_return);
                   const std::size_t needed = matrix_size(responses, a.max_new_tokens);
                   need_buffer(a.token_ids_out, needed, "token_ids_out");
                   need_buffer(a.offsets_out, responses + 1, "offsets_out");
                   if (a.capacity < needed) too_small(a.capacity, needed, "tokens");
                   const Responses out = p.generate(r, ids);
                   expect_size(out.offsets.size(), responses + 1, "response offsets");
                   check_offsets(out, "the provider's responses", a.max_new_tokens);
                   a.num_tokens = out.tokens.size();
                   copy(out.tokens, a.token_ids_out);
                   copy(out.offsets, a.offsets_out);
                 });
  }

  // Responses the plugin hands in: offsets from 0, non-decreasing, ending at the token count.
  static Responses responses_of(const int32_t* tokens, const int64_t* offsets, std::size_t n) {
    Responses r;
    if (offsets == nullptr) invalid("response_offsets is NULL");
    r.offsets.assign(offsets, offsets + n + 1);
    if (r.offsets.front() != 0) invalid("response_offsets[0] is " + std::to_string(r.offsets.front()) + ", expected 0");
    for (std::size_t i = 0; i < n; ++i)
      if (r.offsets[i + 1] < r.offsets[i])
        invalid("response_offsets decrease at response " + std::to_string(i) + " (" + std::to_string(r.offsets[i]) +
                " then " + std::to_string(r.offsets[i + 1]) + ")");
    const auto total = static_cast<std::size_t>(r.offsets.back());
    if (tokens == nullptr && total > 0) invalid("response_tokens is NULL for " + std::to_string(total) + " tokens");
    r.tokens.assign(tokens, tokens + total);
    return r;
  }
  static void check_offsets(const Responses& r, const char* what, std::size_t max_length) {
    int64_t previous = 0;
    for (std::size_t i = 0; i + 1 < r.offsets.size(); ++i) {
      const int64_t length = r.offsets[i + 1] - r.offsets[i];
      if (r.offsets[i] != previous || length < 0 || static_cast<std::size_t>(length) > max_length)
        throw ServiceError(DFX_ERR_INTERNAL, std::string(what) + ": response " + std::to_string(i) + " is malformed");
      previous = r.offsets[i + 1];
    }
    expect_size(r.tokens.size(), static_cast<std::size_t>(previous), "response tokens");
  }

  static dfx_status reward_entry(dfx_reward_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_reward_args, rewards_out), "reward",
                 [](ServiceProvider& p, dfx_reward_args& a) {
                   const Dataset d = dataset_of(a.dataset);
                   if (a.reward < DFX_REWARD_MODEL || a.reward > DFX_REWARD_ROUGE_L)
                     invalid("reward " + std::to_string(a.reward) +
                             ": expected MODEL (0), EXACT_MATCH (1), TOKEN_F1 (2) or ROUGE_L (3)");
                   const SampleIds ids = ids_of(a.sample_ids, a.num_responses);
                   const Responses responses = responses_of(a.response_tokens, a.response_offsets, a.num_responses);
                   need_buffer(a.rewards_out, a.num_responses, "rewards_out");
                   const std::vector<float> out = p.reward(d, static_cast<dfx_reward>(a.reward), ids, responses);
                   expect_size(out.size(), ids.size(), "rewards");
                   copy(out, a.rewards_out);
                 });
  }

  static dfx_status response_features_entry(dfx_response_features_args* a) {
    return serve(a, DFX_STRUCT_SIZE(dfx_response_features_args, feature_dim), "response_gradient_features",
                 [](ServiceProvider& p, dfx_response_features_args& a) {
                   ResponseFeatureRequest r;
                   r.dataset = dataset_of(a.dataset);
                   r.projection = projection_of(a.projection, a.projection_dim);
                   r.projection_dim = a.projection_dim;
                   r.projection_seed = a.projection_seed;
                   r.parameter_filter = parameter_filter_of(a.parameter_filter ? a.parameter_filter : "");
                   if (a.group_size == 0 || a.num_responses % a.group_size != 0)
                     invalid("group_size " + std::to_string(a.group_size) + " does not divide num_responses " +
                             std::to_string(a.num_responses));
                   r.group_size = a.group_size;
                   const SampleIds ids = ids_of(a.sample_ids, a.num_responses);
                   const std::size_t rows = a.num_responses / a.group_size;
                   matrix_answer(rows, p.response_feature_dim(r), a.features_out, a.capacity, &a.feature_dim,
                                 "feature values", [&] {
                                   const Responses responses =
                                       responses_of(a.response_tokens, a.response_offsets, a.num_responses);
                                   if (a.weights) {
                                     r.weights.assign(a.weights, a.weights + a.num_responses);
                                     for (std::size_t i = 0; i < r.weights.size(); ++i)
                                       if (!std::isfinite(r.weights[i]))
                                         invalid("weights[" + std::to_string(i) + "] is not finite");
                                   }
                                   return p.response_gradient_features(r, ids, responses);
                                 });
                 });
  }

  // --- What the plugin reports ---------------------------------------------------------------------

  static HostBridge* bridge_of(dfx_host* h) { return h ? h->bridge : nullptr; }
  static void set_error_entry(dfx_host* h, const char* message) {
    if (HostBridge* b = bridge_of(h)) b->record_error(message ? message : "(null message)");
  }
  static void log_entry(dfx_host* h, int32_t level, const char* message) {
    if (HostBridge* b = bridge_of(h)) b->record_log(level, message ? message : "");
  }
  static void metric_entry(dfx_host* h, const char* name, double value) {
    if (HostBridge* b = bridge_of(h)) b->record_metric(name ? name : "(null)", value);
  }

  ServiceProvider& provider_;
  std::string plugin_name_;
  LogSink log_;
  dfx_host handle_;
  dfx_host_api api_;
  mutable std::mutex mutex_;
  std::string last_error_;
  std::vector<Metric> metrics_;
  int64_t step_ = 0;
};

}  // namespace dataflex::host

#endif  // DATAFLEX_HOST_BRIDGE_HPP
