// plugin_instance.hpp -- one created plugin: the only place the host calls into plugin code.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "plugins/decision.hpp"
#include "plugins/param_value.hpp"
#include "plugins/plugin_library.hpp"
#include "signals/host_services.hpp"

namespace dataflex {

// Calls a plugin and holds it to the SDK: a failing status becomes a dataflex::Error carrying the
// plugin's message; an answer that breaks a rule (range, count, duplicates, NaN, negative) is refused
// with an Error naming the rule. Not thread-safe: one thread at a time, as the SDK promises plugins.
class PluginInstance {
 public:
  PluginInstance(std::shared_ptr<PluginLibrary> library, HostServiceProvider& host,
                 const std::vector<NamedParam>& params, uint64_t seed);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const PluginManifest& manifest() const { return library_->manifest(); }
  HostBridge& bridge() { return bridge_; }

  Selection select(const DecisionContext& ctx, size_t pool_size, size_t num_select, bool allow_duplicates);
  Mixture mix(const DecisionContext& ctx, const std::vector<std::string>& domain_names,
              const std::vector<double>& current_proportions, const std::vector<double>& observed_losses,
              const std::vector<int64_t>& observed_tokens);
  Weights weight(const DecisionContext& ctx, const std::vector<int64_t>& sample_ids,
                 const std::vector<int32_t>& domains, const std::vector<float>& losses);

  bool has_state() const;
  std::vector<uint8_t> save_state();
  void load_state(const std::vector<uint8_t>& blob);

 private:
  void check_status(int32_t status, const char* call);
  [[noreturn]] void refuse(const char* call, const std::string& rule);

  std::shared_ptr<PluginLibrary> library_;
  HostBridge bridge_;
  dfx_instance* instance_ = nullptr;
};

}  // namespace dataflex
