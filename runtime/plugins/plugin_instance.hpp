// plugin_instance.hpp -- one created plugin in the runtime: its library kept loaded, its own host
// table over a service provider, and every call's failure as a one-line dataflex::Error.
//
// The C marshalling and the checks of every answer are the SDK's (dataflex/host/instance.hpp, the
// same code <dataflex/testing.hpp> drives plugins with); this class adds what the runtime knows: the
// manifest, the library's lifetime, where the plugin is used (for messages) and the run's log.
#pragma once

#include <dataflex/host/bridge.hpp>
#include <dataflex/host/instance.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/param_value.hpp"
#include "plugins/decision_plugin.hpp"
#include "plugins/plugin_library.hpp"

namespace dataflex {

class PluginInstance final : public DecisionPlugin {
 public:
  // Creates the plugin with its validated `params`. `origin` starts every message about this
  // instance (default: the manifest's path); `plugins run` names the recording instead.
  // `host_minor` is the ABI minor the host table reports (tests pose as older hosts).
  PluginInstance(std::shared_ptr<PluginLibrary> library, host::ServiceProvider& services,
                 const std::vector<NamedParam>& params, uint64_t seed, std::string origin = "",
                 uint32_t host_minor = DATAFLEX_ABI_VERSION_MINOR);
  ~PluginInstance() override;
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const PluginManifest& manifest() const override { return library_->manifest(); }
  host::HostBridge& bridge() { return *bridge_; }
  void set_origin(std::string origin) { origin_ = std::move(origin); }

  // An error status or an invalid decision is a PluginFailure; a crash, exit() or timeout ends the
  // process under the plugin guard.
  Selection select(const DecisionContext& ctx, size_t pool_size, size_t num_select, bool allow_duplicates,
                   const std::vector<int64_t>& pool_sample_ids) override;
  std::vector<double> mix(const DecisionContext& ctx, const MixInput& input) override;
  host::Weights weight(const DecisionContext& ctx, const WeightInput& input) override;
  std::vector<host::Metric> take_metrics() override { return bridge_->take_metrics(); }

  bool has_state() const override;
  std::vector<uint8_t> save_state() override;
  void load_state(const std::vector<uint8_t>& blob) override;

 private:
  template <class Call>
  auto guarded(const char* what, int64_t step, Call&& call) -> decltype(call());
  std::string prefix() const;

  std::shared_ptr<PluginLibrary> library_;
  std::string origin_;
  std::unique_ptr<host::HostBridge> bridge_;
  std::unique_ptr<host::Instance> instance_;
};

// The SDK's form of validated parameters.
std::vector<host::Param> to_host_params(const std::vector<NamedParam>& params);

// Where a plugin's log lines go (HostBridge's sink, in the trainer and in an isolated worker): the
// run's log at the plugin's level.
void log_plugin_line(int32_t level, const std::string& line);

}  // namespace dataflex
