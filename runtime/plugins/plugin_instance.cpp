#include "plugins/plugin_instance.hpp"

#include <cmath>
#include <limits>

namespace dataflex {
namespace {

const char* status_name(int32_t s) {
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

dfx_decision_context to_c(const DecisionContext& c) {
  dfx_decision_context out{};
  out.struct_size = sizeof out;
  out.step = c.step;
  out.total_steps = c.total_steps;
  out.decision_index = c.decision_index;
  out.max_decisions = c.max_decisions;
  out.seed = c.seed;
  return out;
}

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> library, HostServiceProvider& host,
                               const std::vector<NamedParam>& params, uint64_t seed)
    : library_(std::move(library)), bridge_(host, library_->manifest().name) {
  // The C view of the parameters; everything it points to outlives the create call.
  std::vector<dfx_param> storage(params.size());
  std::vector<const dfx_param*> pointers(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamValue& v = params[i].value;
    dfx_param& p = storage[i];
    p.struct_size = sizeof(dfx_param);
    p.name = params[i].name.c_str();
    p.type = static_cast<int32_t>(v.type);
    p.bool_value = v.bool_value ? 1 : 0;
    p.int_value = v.int_value;
    p.float_value = v.float_value;
    p.string_value = v.string_value.c_str();
    p.float_list = v.float_list.data();
    p.float_list_size = v.float_list.size();
    pointers[i] = &p;
  }
  dfx_create_args args{};
  args.struct_size = sizeof args;
  args.host_api = bridge_.api();
  args.params = pointers.data();
  args.num_params = pointers.size();
  args.seed = seed;
  bridge_.clear_error();
  check_status(library_->api().create(&args), "create");
  if (args.instance_out == nullptr) refuse("create", "no instance: create returned DFX_OK without an instance");
  instance_ = args.instance_out;
}

PluginInstance::~PluginInstance() { library_->api().destroy(instance_); }

void PluginInstance::check_status(int32_t status, const char* call) {
  if (status == DFX_OK) return;
  std::string message = bridge_.last_error();
  if (message.empty()) message = "(the plugin gave no message)";
  throw Error(manifest().path + ": plugin '" + manifest().name + "' failed in " + call + " with " +
              status_name(status) + ": " + message);
}

void PluginInstance::refuse(const char* call, const std::string& rule) {
  throw Error(manifest().path + ": plugin '" + manifest().name + "' returned an invalid " + call +
              " decision, refused: " + rule);
}

Selection PluginInstance::select(const DecisionContext& ctx, size_t pool_size, size_t num_select,
                                 bool allow_duplicates) {
  Selection out;
  // Pre-filled with an impossible id: a plugin that claims more ids than it wrote is caught.
  out.ids.assign(num_select, -1);
  out.scores.assign(num_select, std::numeric_limits<double>::quiet_NaN());
  dfx_select_args args{};
  args.struct_size = sizeof args;
  args.instance = instance_;
  args.context = to_c(ctx);
  args.pool_size = pool_size;
  args.num_select = num_select;
  args.allow_duplicates = allow_duplicates ? 1 : 0;
  args.selected_out = out.ids.data();
  args.scores_out = out.scores.data();
  bridge_.clear_error();
  bridge_.set_step(ctx.step);
  check_status(library_->api().select(&args), "select");
  if (auto rule = check_selection(out.ids, args.num_selected, pool_size, num_select, allow_duplicates))
    refuse("select", *rule);
  return out;
}

Mixture PluginInstance::mix(const DecisionContext& ctx, const std::vector<std::string>& domain_names,
                            const std::vector<double>& current_proportions,
                            const std::vector<double>& observed_losses,
                            const std::vector<int64_t>& observed_tokens) {
  const size_t k = domain_names.size();
  if (current_proportions.size() != k || observed_losses.size() != k || observed_tokens.size() != k)
    throw Error("internal: mix inputs of different lengths");
  std::vector<const char*> names(k);
  for (size_t i = 0; i < k; ++i) names[i] = domain_names[i].c_str();
  Mixture out;
  out.proportions.assign(k, std::numeric_limits<double>::quiet_NaN());
  dfx_mix_args args{};
  args.struct_size = sizeof args;
  args.instance = instance_;
  args.context = to_c(ctx);
  args.num_domains = k;
  args.domain_names = names.data();
  args.current_proportions = current_proportions.data();
  args.observed_losses = observed_losses.data();
  args.observed_tokens = observed_tokens.data();
  args.proportions_out = out.proportions.data();
  bridge_.clear_error();
  bridge_.set_step(ctx.step);
  check_status(library_->api().mix(&args), "mix");
  if (auto rule = check_proportions(out.proportions)) refuse("mix", *rule);
  double sum = 0;
  for (double p : out.proportions) sum += p;
  for (double& p : out.proportions) p /= sum;
  return out;
}

Weights PluginInstance::weight(const DecisionContext& ctx, const std::vector<int64_t>& sample_ids,
                               const std::vector<int32_t>& domains, const std::vector<float>& losses) {
  const size_t n = sample_ids.size();
  if (domains.size() != n || losses.size() != n) throw Error("internal: weight inputs of different lengths");
  Weights out;
  out.weights.assign(n, std::numeric_limits<double>::quiet_NaN());
  dfx_weight_args args{};
  args.struct_size = sizeof args;
  args.instance = instance_;
  args.context = to_c(ctx);
  args.batch_size = n;
  args.sample_ids = sample_ids.data();
  args.domains = domains.data();
  args.losses = losses.data();
  args.weights_out = out.weights.data();
  bridge_.clear_error();
  bridge_.set_step(ctx.step);
  check_status(library_->api().weight(&args), "weight");
  if (auto rule = check_weights(out.weights)) refuse("weight", *rule);
  return out;
}

bool PluginInstance::has_state() const { return library_->api().save_state != nullptr; }

std::vector<uint8_t> PluginInstance::save_state() {
  if (!has_state()) return {};
  dfx_state_args args{};
  args.struct_size = sizeof args;
  args.instance = instance_;
  bridge_.clear_error();
  check_status(library_->api().save_state(&args), "save_state");
  std::vector<uint8_t> blob(args.size);
  args.buffer = blob.data();
  args.capacity = blob.size();
  check_status(library_->api().save_state(&args), "save_state");
  if (args.size > blob.size()) refuse("save_state", "state grew between the size query and the copy");
  blob.resize(args.size);
  return blob;
}

void PluginInstance::load_state(const std::vector<uint8_t>& blob) {
  if (!has_state()) {
    if (blob.empty()) return;
    throw Error(manifest().path + ": plugin '" + manifest().name +
                "' has no load_state but the checkpoint holds state for it");
  }
  dfx_state_args args{};
  args.struct_size = sizeof args;
  args.instance = instance_;
  args.buffer = const_cast<uint8_t*>(blob.data());
  args.capacity = blob.size();
  bridge_.clear_error();
  check_status(library_->api().load_state(&args), "load_state");
}

}  // namespace dataflex
