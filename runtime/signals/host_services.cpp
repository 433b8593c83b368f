#include "signals/host_services.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

// The opaque handle behind dfx_host_api.host: it leads back to the bridge.
struct dfx_host {
  dataflex::HostBridge* bridge;
};

namespace dataflex {

const std::vector<HostServiceName>& known_host_services() {
  static const std::vector<HostServiceName> names = {
      {"log", 0},          {"metrics", 0},        {"dataset_info", 0},     {"sample_domains", 0},
      {"sample_losses", 0}, {"token_losses", 0},  {"domain_losses", 0},    {"reference_losses", 0},
      {"gradient_features", 0}, {"embeddings", 0}, {"embedding_model", 0},
  };
  return names;
}

bool is_known_host_service(const std::string& name) {
  for (const auto& s : known_host_services())
    if (name == s.name) return true;
  return false;
}

void HostServiceProvider::unimplemented(const char* service) const {
  throw ServiceError(DFX_ERR_UNIMPLEMENTED,
                     std::string("host service '") + service + "' is not implemented by the " + description());
}

void HostServiceProvider::dataset_info(dfx_dataset_info_args&) { unimplemented("dataset_info"); }
void HostServiceProvider::sample_domains(dfx_sample_domains_args&) { unimplemented("sample_domains"); }
void HostServiceProvider::sample_losses(dfx_sample_losses_args&) { unimplemented("sample_losses"); }
void HostServiceProvider::token_losses(dfx_token_losses_args&) { unimplemented("token_losses"); }
void HostServiceProvider::domain_losses(dfx_domain_losses_args&) { unimplemented("domain_losses"); }
void HostServiceProvider::gradient_features(dfx_gradient_features_args&) { unimplemented("gradient_features"); }
void HostServiceProvider::embeddings(dfx_embeddings_args&) { unimplemented("embeddings"); }

namespace {

HostBridge* bridge_of(dfx_host* h) { return h ? h->bridge : nullptr; }

// Every service call goes through here: the args must come from a 1.0-or-later struct, carry this
// host's handle, and any exception becomes a status plus a recorded message.
template <class Args, class Call>
dfx_status serve(Args* args, size_t min_size, const char* service, Call&& call) noexcept {
  if (args == nullptr) return DFX_ERR_INVALID_ARGUMENT;
  HostBridge* bridge = bridge_of(args->host);
  if (bridge == nullptr) return DFX_ERR_INVALID_ARGUMENT;
  if (args->struct_size < min_size) {
    bridge->record_error(std::string("host service '") + service + "': args.struct_size " +
                         std::to_string(args->struct_size) + " is smaller than the ABI 1.0 struct (" +
                         std::to_string(min_size) + ")");
    return DFX_ERR_INVALID_ARGUMENT;
  }
  try {
    call(*bridge, *args);
    return DFX_OK;
  } catch (const ServiceError& e) {
    bridge->record_error(e.what());
    return e.status();
  } catch (const std::bad_alloc&) {
    bridge->record_error(std::string("host service '") + service + "': out of memory");
    return DFX_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    bridge->record_error(std::string("host service '") + service + "': " + e.what());
    return DFX_ERR_INTERNAL;
  }
}

#define DFX_SERVICE_TRAMPOLINE(NAME, ARGS, LAST_MEMBER)                                     \
  dfx_status NAME##_trampoline(ARGS* args) {                                               \
    return serve(args, DFX_STRUCT_SIZE(ARGS, LAST_MEMBER), #NAME,                          \
                 [](HostBridge& b, ARGS& a) { b.provider().NAME(a); });                    \
  }

DFX_SERVICE_TRAMPOLINE(dataset_info, dfx_dataset_info_args, num_domains)
DFX_SERVICE_TRAMPOLINE(sample_domains, dfx_sample_domains_args, domains_out)
DFX_SERVICE_TRAMPOLINE(sample_losses, dfx_sample_losses_args, losses_out)
DFX_SERVICE_TRAMPOLINE(token_losses, dfx_token_losses_args, num_tokens)
DFX_SERVICE_TRAMPOLINE(domain_losses, dfx_domain_losses_args, num_domains)
DFX_SERVICE_TRAMPOLINE(gradient_features, dfx_gradient_features_args, feature_dim)
DFX_SERVICE_TRAMPOLINE(embeddings, dfx_embeddings_args, embedding_dim)
#undef DFX_SERVICE_TRAMPOLINE

void set_error_trampoline(dfx_host* h, const char* message) {
  if (HostBridge* b = bridge_of(h)) b->record_error(message ? message : "(null message)");
}
void log_trampoline(dfx_host* h, int32_t level, const char* message) {
  if (HostBridge* b = bridge_of(h)) b->record_log(level, message ? message : "");
}
void metric_trampoline(dfx_host* h, const char* name, double value) {
  if (HostBridge* b = bridge_of(h)) b->record_metric(name ? name : "(null)", value);
}

}  // namespace

HostBridge::HostBridge(HostServiceProvider& provider, std::string plugin_name)
    : provider_(provider), plugin_name_(std::move(plugin_name)), handle_(new dfx_host{this}) {
  api_.struct_size = sizeof(dfx_host_api);
  api_.abi_version = DATAFLEX_ABI_VERSION;
  api_.host = handle_;
  api_.set_error = &set_error_trampoline;
  api_.log = &log_trampoline;
  api_.record_metric = &metric_trampoline;
  api_.dataset_info = &dataset_info_trampoline;
  api_.sample_domains = &sample_domains_trampoline;
  api_.sample_losses = &sample_losses_trampoline;
  api_.token_losses = &token_losses_trampoline;
  api_.domain_losses = &domain_losses_trampoline;
  api_.gradient_features = &gradient_features_trampoline;
  api_.embeddings = &embeddings_trampoline;
  api_.extension_start = nullptr;
}

HostBridge::~HostBridge() { delete handle_; }

void HostBridge::set_step(int64_t step) {
  std::lock_guard<std::mutex> lock(mutex_);
  step_ = step;
}

std::string HostBridge::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void HostBridge::clear_error() {
  std::lock_guard<std::mutex> lock(mutex_);
  last_error_.clear();
}

std::vector<RecordedMetric> HostBridge::take_metrics() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RecordedMetric> out;
  out.swap(metrics_);
  return out;
}

void HostBridge::record_error(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_error_ = one_line(message);
}

void HostBridge::record_log(int32_t level, const std::string& message) {
  const std::string line = "[" + plugin_name_ + "] " + one_line(message);
  switch (level) {
    case DFX_LOG_DEBUG: spdlog::debug(line); break;
    case DFX_LOG_WARNING: spdlog::warn(line); break;
    case DFX_LOG_ERROR: spdlog::error(line); break;
    default: spdlog::info(line); break;
  }
}

void HostBridge::record_metric(const std::string& name, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  metrics_.push_back({step_, name, value});
}

}  // namespace dataflex
