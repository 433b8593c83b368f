// recorded_host.hpp -- a host whose service answers come from a JSON file (docs/recorded-host.md).
//
// It lets plugin authors run their plugin without a model, and lets our algorithm tests feed exact
// numbers to plugins. Every answer is looked up by sample id in the recording; a question the
// recording cannot answer is an error that names the file and the missing entry.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

#include "signals/host_services.hpp"

namespace dataflex {

class RecordedHost : public HostServiceProvider {
 public:
  // `recording` is the whole file's JSON; only "datasets" and "services" are read here.
  RecordedHost(std::string file, const nlohmann::json& recording);
  ~RecordedHost() override;

  std::string description() const override;
  // Answers given for the next call only, layered over the file's "services" (a call's "services").
  void set_call_services(const nlohmann::json* services);

  void dataset_info(dfx_dataset_info_args& args) override;
  void sample_domains(dfx_sample_domains_args& args) override;
  void sample_losses(dfx_sample_losses_args& args) override;
  void token_losses(dfx_token_losses_args& args) override;
  void domain_losses(dfx_domain_losses_args& args) override;
  void gradient_features(dfx_gradient_features_args& args) override;
  void embeddings(dfx_embeddings_args& args) override;

  // Facts of the recorded training set that decisions need.
  size_t train_size() const;
  std::vector<std::string> domain_names() const;

  struct Data;  // the parsed recording; defined in the .cpp

 private:
  std::unique_ptr<Data> data_;
};

}  // namespace dataflex
