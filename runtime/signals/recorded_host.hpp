// recorded_host.hpp -- a host whose service answers come from a JSON file (docs/recorded-host.md).
//
// It lets plugin authors run their plugin without a model, and lets our algorithm tests feed exact
// numbers to plugins. Every answer is looked up by sample id in the recording; a question the
// recording cannot answer is an error that names the file and the missing entry. The C protocol
// around these answers is the SDK's HostBridge, as for the runtime's model host.
#pragma once

#include <dataflex/host/services.hpp>

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <vector>

namespace dataflex {

class RecordedHost : public host::ServiceProvider {
 public:
  // `recording` is the whole file's JSON; only "datasets" and "services" are read here.
  RecordedHost(std::string file, const nlohmann::json& recording);
  ~RecordedHost() override;

  std::string description() const override;
  // Answers given for the next call only, layered over the file's "services" (a call's "services").
  void set_call_services(const nlohmann::json* services);

  host::DatasetInfo dataset_info(host::Dataset d) override;
  std::vector<int32_t> sample_domains(host::Dataset d, const host::SampleIds& ids) override;
  std::vector<float> sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  host::TokenLosses token_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  std::vector<double> domain_losses(host::Dataset d, host::Model m) override;
  std::size_t gradient_feature_dim(const host::GradientRequest& r) override;
  std::vector<float> gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) override;
  std::size_t embedding_dim(const host::EmbeddingRequest& r) override;
  std::vector<float> embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) override;
  host::SampleTokens sample_tokens(host::Dataset d, const host::SampleIds& ids) override;
  // [1.3] services.responses.<dataset>[id] lists each sample's recorded responses (token lists);
  // services.rewards.<dataset>[id][j] and services.response_gradient_features.<dataset>[id][j] (the
  // feature of response j's summed NLL) belong to response j. A response handed back is found by its
  // tokens among its sample's recorded ones.
  host::Responses generate(const host::GenerateRequest& r, const host::SampleIds& ids) override;
  std::vector<float> reward(host::Dataset d, dfx_reward kind, const host::SampleIds& ids,
                            const host::Responses& responses) override;
  std::size_t response_feature_dim(const host::ResponseFeatureRequest& r) override;
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& r, const host::SampleIds& ids,
                                                const host::Responses& responses) override;

  // Facts of the recorded training set that decisions need.
  size_t train_size() const;
  std::vector<std::string> domain_names() const;

  struct Data;  // the parsed recording; defined in the .cpp

 private:
  std::vector<std::string> domain_names_unchecked() const;
  host::SampleTokens tokens_of(const nlohmann::json& table, const nlohmann::json* trained, const std::string& what,
                               const host::SampleIds& ids) const;
  // Which recorded response of sample `id` response `i` of `responses` is (data_->mutex held).
  std::size_t recorded_response(host::Dataset d, int64_t id, const host::Responses& responses, std::size_t i) const;

  std::unique_ptr<Data> data_;
};

}  // namespace dataflex
