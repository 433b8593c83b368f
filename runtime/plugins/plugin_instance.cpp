#include "plugins/plugin_instance.hpp"

#include <spdlog/spdlog.h>

#include "plugins/plugin_guard.hpp"
#include "util/error.hpp"

namespace dataflex {

std::vector<host::Param> to_host_params(const std::vector<NamedParam>& params) {
  std::vector<host::Param> out;
  for (const auto& p : params) {
    host::Param h;
    h.name = p.name;
    h.type = static_cast<dfx_param_type>(p.value.type);
    h.bool_value = p.value.bool_value;
    h.int_value = p.value.int_value;
    h.float_value = p.value.float_value;
    h.string_value = p.value.string_value;
    h.float_list = p.value.float_list;
    out.push_back(std::move(h));
  }
  return out;
}

void log_plugin_line(int32_t level, const std::string& line) {
  switch (level) {
    case DFX_LOG_DEBUG: spdlog::debug(line); break;
    case DFX_LOG_WARNING: spdlog::warn(line); break;
    case DFX_LOG_ERROR: spdlog::error(line); break;
    default: spdlog::info(line); break;
  }
}

std::string PluginInstance::prefix() const {
  return (origin_.empty() ? manifest().path : origin_) + ": plugin '" + manifest().name + "' ";
}

template <class Call>
auto PluginInstance::guarded(const char* what, int64_t step, Call&& call) -> decltype(call()) {
  try {
    PluginCallGuard guard(manifest().name, manifest().version, what, step);  // a crash, exit() or hang names the plugin
    return call();
  } catch (const host::PluginCallError& e) {
    const std::string at = step >= 0 ? " at step " + std::to_string(step) : std::string();
    if (e.status() == DFX_OK)
      throw PluginFailure(prefix() + "returned an invalid " + e.call() + " decision" + at +
                          ", refused: " + e.message());
    throw PluginFailure(prefix() + "failed in " + e.call() + at + " with " + host::status_name(e.status()) + ": " +
                        e.message());
  } catch (const std::invalid_argument& e) {
    throw Error(prefix() + what + ": " + e.what());
  }
}

PluginInstance::PluginInstance(std::shared_ptr<PluginLibrary> library, host::ServiceProvider& services,
                               const std::vector<NamedParam>& params, uint64_t seed, std::string origin,
                               uint32_t host_minor)
    : library_(std::move(library)),
      origin_(std::move(origin)),
      bridge_(std::make_unique<host::HostBridge>(services, library_->manifest().name, &log_plugin_line, host_minor)) {
  guarded("create", -1, [&] {
    instance_ = std::make_unique<host::Instance>(library_->api(), *bridge_, to_host_params(params), seed);
    return 0;
  });
}

// The instance goes before the bridge it calls through, and both before the library.
PluginInstance::~PluginInstance() {
  PluginCallGuard guard(manifest().name, manifest().version, "destroy", -1);
  instance_.reset();
}

Selection PluginInstance::select(const DecisionContext& ctx, size_t pool_size, size_t num_select, bool allow_duplicates,
                                 const std::vector<int64_t>& pool_sample_ids) {
  return guarded("select", ctx.step,
                 [&] { return instance_->select(ctx, pool_size, num_select, allow_duplicates, pool_sample_ids); });
}

std::vector<double> PluginInstance::mix(const DecisionContext& ctx, const MixInput& input) {
  return guarded("mix", ctx.step, [&] { return instance_->mix(ctx, input); });
}

host::Weights PluginInstance::weight(const DecisionContext& ctx, const WeightInput& input) {
  return guarded("weight", ctx.step, [&] { return instance_->weight(ctx, input); });
}

bool PluginInstance::has_state() const { return instance_->has_state(); }

std::vector<uint8_t> PluginInstance::save_state() {
  return guarded("save_state", -1, [&] { return instance_->save_state(); });
}

void PluginInstance::load_state(const std::vector<uint8_t>& blob) {
  if (!has_state() && !blob.empty()) throw Error(prefix() + "has no load_state but the checkpoint holds state for it");
  guarded("load_state", -1, [&] {
    instance_->load_state(blob);
    return 0;
  });
}

}  // namespace dataflex
