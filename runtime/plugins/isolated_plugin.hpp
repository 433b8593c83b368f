// isolated_plugin.hpp -- a plugin run in a child process (dataflex.plugin_isolation = "process").
//
// The worker (dataflex-plugin-worker, beside the engine library) loads the plugin's library and drives
// it through the same C ABI as the trainer would, with the SDK's own HostBridge; the host services
// the plugin asks for come back over the isolation channel and are answered here by the trainer's
// ServiceProvider (the live model). Decisions, service answers and state blobs travel through shared
// memory. A crash, exit(), hang (dataflex.plugin_timeout_s, counting the worker's time only, not the
// time the trainer spends answering services) or protocol violation of the worker is a PluginFailure
// naming the plugin, the call and the step; the worker is then killed and, at the next call, a new one
// is started and given the plugin's state as it was after its last successful call.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/param_value.hpp"
#include "plugins/decision_plugin.hpp"
#include "plugins/isolation_channel.hpp"

namespace dataflex {

class IsolatedPlugin final : public DecisionPlugin {
 public:
  // Starts the worker and creates the plugin in it (a failure to load or create is a dataflex::Error).
  IsolatedPlugin(PluginManifest manifest, host::ServiceProvider& services, const std::vector<NamedParam>& params,
                 uint64_t seed, double timeout_s);
  ~IsolatedPlugin() override;

  const PluginManifest& manifest() const override { return manifest_; }
  Selection select(const DecisionContext& ctx, size_t pool_size, size_t num_select, bool allow_duplicates,
                   const std::vector<int64_t>& pool_sample_ids) override;
  std::vector<double> mix(const DecisionContext& ctx, const MixInput& input) override;
  host::Weights weight(const DecisionContext& ctx, const WeightInput& input) override;
  std::vector<host::Metric> take_metrics() override;
  bool has_state() const override { return has_state_; }
  std::vector<uint8_t> save_state() override;
  void load_state(const std::vector<uint8_t>& blob) override;

  // The worker's process id (-1 while none runs): tests and the overhead bench look at it.
  pid_t worker_pid() const { return pid_; }

 private:
  struct Call;
  template <class Encode, class Decode>
  auto call(isolation::MessageType type, const char* what, int64_t step, Encode&& encode, Decode&& decode)
      -> decltype(decode(std::declval<isolation::Reader&>()));
  void start();
  void serve_service(isolation::Reader& request);
  [[noreturn]] void worker_failed(const char* what, int64_t step, const std::string& how);
  void stop_worker();
  void remember_state();
  std::string prefix() const;

  PluginManifest manifest_;
  host::ServiceProvider& services_;
  std::vector<host::Param> params_;
  uint64_t seed_;
  double timeout_s_;
  std::optional<isolation::Channel> channel_;
  pid_t pid_ = -1;
  bool has_state_ = false;
  std::optional<std::vector<uint8_t>> last_state_;  // after the last successful call, for a restarted worker
  std::vector<host::Metric> metrics_;
};

// Where the worker executable is: $DATAFLEX_PLUGIN_WORKER, else beside the library or executable this
// code is linked into, else in its ../lib/dataflex.
std::string plugin_worker_path();

}  // namespace dataflex
