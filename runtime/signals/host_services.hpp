// host_services.hpp -- the host side of the SDK's services table.
//
// A HostServiceProvider answers the model questions plugins ask (losses, gradient features,
// embeddings...). The training runtime, the recorded host of `plugins run` and test hosts are
// providers. A HostBridge wraps one provider into the C dfx_host_api table handed to one plugin
// instance: it checks every args struct coming from the plugin, turns C++ exceptions into statuses with
// a copied message, and collects the plugin's error messages, log lines and metrics.
#pragma once

#include <dataflex/dataflex_plugin.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace dataflex {

// The service names a manifest may list under [requires].host_services, in the order they were
// added to the SDK; each entry also says the ABI minor that introduced it.
struct HostServiceName {
  const char* name;
  uint32_t since_minor;
};
const std::vector<HostServiceName>& known_host_services();
bool is_known_host_service(const std::string& name);

// A failure inside a host service: the status the plugin receives, and the message it reports.
class ServiceError : public Error {
 public:
  ServiceError(dfx_status status, const std::string& message) : Error(message), status_(status) {}
  dfx_status status() const { return status_; }

 private:
  dfx_status status_;
};

// Answers services. Each default throws ServiceError(DFX_ERR_UNIMPLEMENTED) naming the service and
// the provider, so a host that cannot serve one says so clearly. Implementations must be thread-safe.
class HostServiceProvider {
 public:
  virtual ~HostServiceProvider() = default;
  // Names this provider in messages: "recorded host tests/x.json", "runtime host".
  virtual std::string description() const = 0;

  virtual void dataset_info(dfx_dataset_info_args& args);
  virtual void sample_domains(dfx_sample_domains_args& args);
  virtual void sample_losses(dfx_sample_losses_args& args);
  virtual void token_losses(dfx_token_losses_args& args);
  virtual void domain_losses(dfx_domain_losses_args& args);
  virtual void gradient_features(dfx_gradient_features_args& args);
  virtual void embeddings(dfx_embeddings_args& args);

 protected:
  [[noreturn]] void unimplemented(const char* service) const;
};

struct RecordedMetric {
  int64_t step;
  std::string name;
  double value;
};

class HostBridge {
 public:
  HostBridge(HostServiceProvider& provider, std::string plugin_name);
  HostBridge(const HostBridge&) = delete;
  HostBridge& operator=(const HostBridge&) = delete;
  ~HostBridge();

  // Valid as long as this bridge lives.
  const dfx_host_api* api() const { return &api_; }
  HostServiceProvider& provider() const { return provider_; }
  const std::string& plugin_name() const { return plugin_name_; }

  // The step that metrics recorded from now on belong to.
  void set_step(int64_t step);
  // The last error message recorded since clear_error (by the plugin, or by a failing service).
  std::string last_error() const;
  void clear_error();
  // Metrics recorded since the last call, in order.
  std::vector<RecordedMetric> take_metrics();

  // Called by the C trampolines.
  void record_error(const std::string& message);
  void record_log(int32_t level, const std::string& message);
  void record_metric(const std::string& name, double value);

 private:
  HostServiceProvider& provider_;
  std::string plugin_name_;
  dfx_host* handle_;
  dfx_host_api api_{};
  mutable std::mutex mutex_;
  std::string last_error_;
  std::vector<RecordedMetric> metrics_;
  int64_t step_ = 0;
};

}  // namespace dataflex
