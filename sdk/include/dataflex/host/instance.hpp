// host/instance.hpp -- one created plugin instance, called as the host calls it (header-only, C++17).
//
// The calls into plugin code -- create with the validated parameters, select / mix / weight, save and
// load state, destroy -- marshalled to the C structs, with every answer held to decision_rules.hpp.
// A failing status or a broken rule throws PluginCallError; the runtime turns it into a one-line error
// naming the plugin and where it was called, <dataflex/testing.hpp> lets a test catch it.
// Not thread-safe: one thread at a time, as the SDK promises plugins.
#ifndef DATAFLEX_HOST_INSTANCE_HPP
#define DATAFLEX_HOST_INSTANCE_HPP

#include <dataflex/dataflex_plugin.h>
#include <dataflex/host/bridge.hpp>
#include <dataflex/host/decision_rules.hpp>
#include <dataflex/host/guarded_buffer.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dataflex::host {

inline const char* status_name(dfx_status s) {
  switch (s) {
    case DFX_OK: return "DFX_OK";
    case DFX_ERR_INVALID_ARGUMENT: return "DFX_ERR_INVALID_ARGUMENT";
    case DFX_ERR_UNIMPLEMENTED: return "DFX_ERR_UNIMPLEMENTED";
    case DFX_ERR_BUFFER_TOO_SMALL: return "DFX_ERR_BUFFER_TOO_SMALL";
    case DFX_ERR_FAILED_PRECONDITION: return "DFX_ERR_FAILED_PRECONDITION";
    case DFX_ERR_OUT_OF_MEMORY: return "DFX_ERR_OUT_OF_MEMORY";
    case DFX_ERR_INTERNAL: return "DFX_ERR_INTERNAL";
    case DFX_ERR_CANCELLED: return "DFX_ERR_CANCELLED";
    default: return "unknown status";
  }
}

// A plugin call that failed (status != DFX_OK, with the plugin's message) or whose answer broke a
// rule (status == DFX_OK, `rule` says which). what(): "failed in select with DFX_ERR_...: message" or
// "returned an invalid select decision, refused: rule".
class PluginCallError : public std::runtime_error {
 public:
  PluginCallError(std::string call, dfx_status status, std::string message)
      : std::runtime_error("failed in " + call + " with " + status_name(status) + ": " + message),
        call_(std::move(call)),
        status_(status),
        message_(std::move(message)) {}
  PluginCallError(std::string call, std::string rule)
      : std::runtime_error("returned an invalid " + call + " decision, refused: " + rule),
        call_(std::move(call)),
        status_(DFX_OK),
        message_(std::move(rule)) {}
  const std::string& call() const { return call_; }
  dfx_status status() const { return status_; }  // DFX_OK when a rule was broken
  const std::string& message() const { return message_; }

 private:
  std::string call_;
  dfx_status status_;
  std::string message_;
};

// One parameter as the plugin receives it.
struct Param {
  std::string name;
  dfx_param_type type = DFX_PARAM_BOOL;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0;
  std::string string_value;
  std::vector<double> float_list;

  Param() = default;
  Param(std::string n, bool v) : name(std::move(n)), type(DFX_PARAM_BOOL), bool_value(v) {}
  Param(std::string n, int v) : name(std::move(n)), type(DFX_PARAM_INT), int_value(v) {}
  Param(std::string n, int64_t v) : name(std::move(n)), type(DFX_PARAM_INT), int_value(v) {}
  Param(std::string n, double v) : name(std::move(n)), type(DFX_PARAM_FLOAT), float_value(v) {}
  Param(std::string n, const char* v) : name(std::move(n)), type(DFX_PARAM_STRING), string_value(v) {}
  Param(std::string n, std::string v) : name(std::move(n)), type(DFX_PARAM_STRING), string_value(std::move(v)) {}
  Param(std::string n, std::vector<double> v)
      : name(std::move(n)), type(DFX_PARAM_FLOAT_LIST), float_list(std::move(v)) {}
};

// Where in training a decision is taken (the C++ form of dfx_decision_context).
struct DecisionContext {
  int64_t step = 0;
  int64_t total_steps = 0;
  int64_t decision_index = 0;
  int64_t max_decisions = -1;
  uint64_t seed = 0;
  double learning_rate = -1;  // [1.2] the optimizer's rate at the next step; negative: not known
};

struct Selection {
  std::vector<int64_t> ids;
  std::vector<double> scores;  // one per id; NaN where the plugin gave none
};

// What a mixer is told at a decision.
struct MixInput {
  std::vector<std::string> domain_names;
  std::vector<double> current_proportions;  // summing to 1
  std::vector<double> observed_losses;      // NaN where unobserved
  std::vector<int64_t> observed_tokens;
  std::vector<double> observed_excess_losses;  // [1.4] NaN where unobserved; empty when not offered
};

// What a weighter is told for one micro-batch.
struct WeightInput {
  std::vector<int64_t> sample_ids;
  std::vector<int32_t> domains;
  std::vector<float> losses;  // per-sample mean token loss
};

// What a weighter answered for one micro-batch.
struct Weights {
  std::vector<double> values;
  bool absolute = false;  // [1.4] DFX_WEIGHTS_ABSOLUTE: the loss is sum w_i l_i / B, not / sum w_i
};

class Instance {
 public:
  // Creates the instance with `params` (every declared parameter, already validated) and `seed`.
  // `api` is the plugin's table (static storage); `bridge` is the host table this instance uses and
  // must outlive it.
  Instance(const dfx_plugin_api& api, HostBridge& bridge, const std::vector<Param>& params, uint64_t seed)
      : api_(api), bridge_(bridge) {
    std::vector<dfx_param> storage(params.size());
    std::vector<const dfx_param*> pointers(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Param& v = params[i];
      dfx_param& p = storage[i];
      dfx_param_init(&p);
      p.name = v.name.c_str();
      p.type = v.type;
      p.bool_value = v.bool_value ? 1 : 0;
      p.int_value = v.int_value;
      p.float_value = v.float_value;
      p.string_value = v.string_value.c_str();
      p.float_list = v.float_list.data();
      p.float_list_size = v.float_list.size();
      pointers[i] = &p;
    }
    dfx_create_args args;
    dfx_create_args_init(&args);
    args.host_api = bridge_.api();
    args.params = pointers.data();
    args.num_params = pointers.size();
    args.seed = seed;
    bridge_.clear_error();
    check_status(api_.create(&args), "create");
    if (args.instance_out == nullptr)
      throw PluginCallError("create", "no instance: create returned DFX_OK without setting instance_out");
    instance_ = args.instance_out;
  }
  ~Instance() { api_.destroy(instance_); }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  HostBridge& bridge() { return bridge_; }
  // The minor the host table reports (a test's bridge may pose as an older host).
  uint32_t host_minor() const { return DFX_ABI_VERSION_GET_MINOR(bridge_.api()->abi_version); }
  const dfx_plugin_api& api() const { return api_; }

  // Outputs go to guarded buffers (host/guarded_buffer.hpp): a write past their end faults at once.
  // `pool_sample_ids` (1.2; defaulted so that 1.1 host code compiles unchanged): empty when pool id i
  // is training sample i, else pool_size training-set ids.
  Selection select(const DecisionContext& ctx, std::size_t pool_size, std::size_t num_select, bool allow_duplicates,
                   const std::vector<int64_t>& pool_sample_ids = {}) {
    if (!pool_sample_ids.empty() && pool_sample_ids.size() != pool_size)
      throw std::invalid_argument("select: pool_sample_ids must be empty or hold pool_size ids");
    // Pre-filled with an impossible id: a plugin that claims more ids than it wrote is caught.
    GuardedBuffer<int64_t> ids(num_select, -1);
    GuardedBuffer<double> scores(num_select, std::numeric_limits<double>::quiet_NaN());
    dfx_select_args args;
    dfx_select_args_init(&args);
    args.instance = instance_;
    args.context = to_c(ctx);
    args.learning_rate = ctx.learning_rate;
    args.pool_size = pool_size;
    args.num_select = num_select;
    args.allow_duplicates = allow_duplicates ? 1 : 0;
    args.selected_out = ids.data();
    args.scores_out = scores.data();
    args.pool_sample_ids = pool_sample_ids.empty() ? nullptr : pool_sample_ids.data();
    begin(ctx.step);
    check_status(api_.select(&args), "select");
    Selection out{ids.to_vector(), scores.to_vector()};
    if (auto rule = check_selection(out.ids, args.num_selected, pool_size, num_select, allow_duplicates))
      throw PluginCallError("select", *rule);
    return out;
  }

  // The proportions, normalised to sum 1.
  std::vector<double> mix(const DecisionContext& ctx, const MixInput& in) {
    const std::size_t k = in.domain_names.size();
    if (in.current_proportions.size() != k || in.observed_losses.size() != k || in.observed_tokens.size() != k ||
        (!in.observed_excess_losses.empty() && in.observed_excess_losses.size() != k))
      throw std::invalid_argument("mix: inputs of different lengths");
    std::vector<const char*> names(k);
    for (std::size_t i = 0; i < k; ++i) names[i] = in.domain_names[i].c_str();
    GuardedBuffer<double> proportions(k, std::numeric_limits<double>::quiet_NaN());
    dfx_mix_args args;
    dfx_mix_args_init(&args);
    args.instance = instance_;
    args.context = to_c(ctx);
    args.learning_rate = ctx.learning_rate;
    args.num_domains = k;
    args.domain_names = names.data();
    args.current_proportions = in.current_proportions.data();
    args.observed_losses = in.observed_losses.data();
    args.observed_tokens = in.observed_tokens.data();
    args.observed_excess_losses = in.observed_excess_losses.empty() ? nullptr : in.observed_excess_losses.data();
    if (host_minor() < 4) args.struct_size = DFX_STRUCT_SIZE(dfx_mix_args, learning_rate);  // as a 1.3 host
    args.proportions_out = proportions.data();
    begin(ctx.step);
    check_status(api_.mix(&args), "mix");
    std::vector<double> out = proportions.to_vector();
    if (auto rule = check_proportions(out)) throw PluginCallError("mix", *rule);
    return normalized(std::move(out));
  }

  Weights weight(const DecisionContext& ctx, const WeightInput& in) {
    const std::size_t n = in.sample_ids.size();
    if (in.domains.size() != n || in.losses.size() != n)
      throw std::invalid_argument("weight: inputs of different lengths");
    GuardedBuffer<double> weights(n, std::numeric_limits<double>::quiet_NaN());
    dfx_weight_args args;
    dfx_weight_args_init(&args);
    args.instance = instance_;
    args.context = to_c(ctx);
    args.learning_rate = ctx.learning_rate;
    args.batch_size = n;
    args.sample_ids = in.sample_ids.data();
    args.domains = in.domains.data();
    args.losses = in.losses.data();
    args.weights_out = weights.data();
    if (host_minor() < 4) args.struct_size = DFX_STRUCT_SIZE(dfx_weight_args, learning_rate);  // as a 1.3 host
    begin(ctx.step);
    check_status(api_.weight(&args), "weight");
    Weights out;
    out.values = weights.to_vector();
    if (auto rule = check_weights(out.values)) throw PluginCallError("weight", *rule);
    if (args.weight_form != DFX_WEIGHTS_NORMALIZED && args.weight_form != DFX_WEIGHTS_ABSOLUTE)
      throw PluginCallError("weight", "weight_form " + std::to_string(args.weight_form) +
                                          " is neither DFX_WEIGHTS_NORMALIZED nor DFX_WEIGHTS_ABSOLUTE");
    out.absolute = args.weight_form == DFX_WEIGHTS_ABSOLUTE;
    return out;
  }

  bool has_state() const { return api_.save_state != nullptr; }

  // The plugin's state as bytes (empty for a stateless plugin).
  std::vector<uint8_t> save_state() {
    if (!has_state()) return {};
    dfx_state_args args;
    dfx_state_args_init(&args);
    args.instance = instance_;
    bridge_.clear_error();
    check_status(api_.save_state(&args), "save_state");
    std::vector<uint8_t> blob(args.size);
    args.buffer = blob.data();
    args.capacity = blob.size();
    check_status(api_.save_state(&args), "save_state");
    if (args.size > blob.size()) throw PluginCallError("save_state", "state grew between the size query and the copy");
    blob.resize(args.size);
    return blob;
  }

  // Throws std::invalid_argument when a stateless plugin is handed a non-empty state.
  void load_state(const std::vector<uint8_t>& blob) {
    if (!has_state()) {
      if (blob.empty()) return;
      throw std::invalid_argument("the plugin has no load_state but there is saved state for it");
    }
    dfx_state_args args;
    dfx_state_args_init(&args);
    args.instance = instance_;
    args.buffer = const_cast<uint8_t*>(blob.data());
    args.capacity = blob.size();
    bridge_.clear_error();
    check_status(api_.load_state(&args), "load_state");
  }

 private:
  static dfx_decision_context to_c(const DecisionContext& c) {
    dfx_decision_context out;
    dfx_decision_context_init(&out);
    out.step = c.step;
    out.total_steps = c.total_steps;
    out.decision_index = c.decision_index;
    out.max_decisions = c.max_decisions;
    out.seed = c.seed;
    return out;
  }
  void begin(int64_t step) {
    bridge_.clear_error();
    bridge_.set_step(step);
  }
  void check_status(dfx_status status, const char* call) {
    if (status == DFX_OK) return;
    std::string message = bridge_.last_error();
    if (message.empty()) message = "(the plugin gave no message)";
    throw PluginCallError(call, status, message);
  }

  const dfx_plugin_api& api_;
  HostBridge& bridge_;
  dfx_instance* instance_ = nullptr;
};

}  // namespace dataflex::host

#endif  // DATAFLEX_HOST_INSTANCE_HPP
