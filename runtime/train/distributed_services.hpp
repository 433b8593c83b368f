// distributed_services.hpp -- a plugin's service calls computed by every rank (ARCHITECTURE.md,
// "Distributed").
//
// The plugin runs on rank 0 only. While it decides, the other ranks wait in serve_requests(); when it
// asks for per-sample losses, gradient features or embeddings of n samples, rank 0 posts the request,
// every rank computes its contiguous share of the ids on its own replica of the model (identical on
// every rank: data parallelism keeps them so), and the rows are gathered to rank 0 in id order.
// Everything else, and every call made outside a decision (a weighter's, a plugin thread's), is
// answered by rank 0's own host. No LibTorch here.
#pragma once

#include <mutex>
#include <string>

#include <dataflex/host/services.hpp>
#include <nlohmann/json.hpp>

namespace dataflex {

class Communicator;

class DistributedServices : public host::ServiceProvider {
 public:
  DistributedServices(host::ServiceProvider& local, Communicator& comm) : local_(local), comm_(comm) {}

  // While a Decision lives, the heavy services are spread over the ranks (which must be in
  // serve_requests()); outside it they run on rank 0 alone.
  class Decision {
   public:
    explicit Decision(DistributedServices& s);
    ~Decision();

   private:
    DistributedServices& s_;
  };

  std::string description() const override { return local_.description(); }
  host::DatasetInfo dataset_info(host::Dataset d) override { return local_.dataset_info(d); }
  std::vector<int32_t> sample_domains(host::Dataset d, const host::SampleIds& ids) override {
    return local_.sample_domains(d, ids);
  }
  std::vector<float> sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override;
  std::size_t token_count(host::Dataset d, host::Model m, const host::SampleIds& ids) override {
    return local_.token_count(d, m, ids);
  }
  host::TokenLosses token_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override {
    return local_.token_losses(d, m, ids);
  }
  std::vector<double> domain_losses(host::Dataset d, host::Model m) override { return local_.domain_losses(d, m); }
  std::size_t gradient_feature_dim(const host::GradientRequest& r) override { return local_.gradient_feature_dim(r); }
  std::vector<float> gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) override;
  std::size_t embedding_dim(const host::EmbeddingRequest& r) override { return local_.embedding_dim(r); }
  std::vector<float> embeddings(const host::EmbeddingRequest& r, const host::SampleIds& ids) override;
  host::SampleTokens sample_tokens(host::Dataset d, const host::SampleIds& ids) override {
    return local_.sample_tokens(d, ids);
  }
  host::Responses generate(const host::GenerateRequest& r, const host::SampleIds& ids) override {
    return local_.generate(r, ids);
  }
  std::vector<float> reward(host::Dataset d, dfx_reward kind, const host::SampleIds& ids,
                            const host::Responses& responses) override {
    return local_.reward(d, kind, ids, responses);
  }
  std::size_t response_feature_dim(const host::ResponseFeatureRequest& r) override {
    return local_.response_feature_dim(r);
  }
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& r, const host::SampleIds& ids,
                                                const host::Responses& responses) override {
    return local_.response_gradient_features(r, ids, responses);
  }

  // Seconds spent in spread requests on rank 0, and how much of it was communication (for bench/).
  double spread_seconds() const { return spread_s_; }
  double communication_seconds() const { return comm_s_; }

 private:
  std::vector<float> spread(nlohmann::json request, const host::SampleIds& ids);

  host::ServiceProvider& local_;
  Communicator& comm_;
  std::recursive_mutex mutex_;  // requests are collectives: one at a time, in order
  bool deciding_ = false;
  int64_t sequence_ = 0;
  double spread_s_ = 0.0, comm_s_ = 0.0;
};

// Ranks other than 0: answers rank 0's service requests until rank 0 posts something else, and
// returns that message.
nlohmann::json serve_requests(host::ServiceProvider& local, Communicator& comm);

// The message rank 0 posts to say what follows (serve_requests returns it): {"kind": kind, ...}.
void post_message(Communicator& comm, const std::string& kind, nlohmann::json body = nlohmann::json::object());

}  // namespace dataflex
