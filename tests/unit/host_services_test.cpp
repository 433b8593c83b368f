// The host side of the services table: what a plugin's call goes through before reaching a provider.
#include <gtest/gtest.h>

#include "signals/host_services.hpp"

namespace dataflex {

namespace {

class OneLossHost : public HostServiceProvider {
 public:
  std::string description() const override { return "test host"; }
  void sample_losses(dfx_sample_losses_args& a) override {
    if (a.num_samples > 1) throw ServiceError(DFX_ERR_INVALID_ARGUMENT, "only one sample, please");
    for (size_t i = 0; i < a.num_samples; ++i) a.losses_out[i] = 1.5f;
  }
};

}  // namespace

TEST(HostBridge, ServesAWellFormedCall) {
  OneLossHost provider;
  HostBridge bridge(provider, "p");
  const dfx_host_api* api = bridge.api();
  int64_t id = 0;
  float loss = 0;
  dfx_sample_losses_args a{};
  a.struct_size = sizeof a;
  a.host = api->host;
  a.sample_ids = &id;
  a.num_samples = 1;
  a.losses_out = &loss;
  EXPECT_EQ(api->sample_losses(&a), DFX_OK);
  EXPECT_EQ(loss, 1.5f);
}

TEST(HostBridge, ArgsSmallerThanTheV10StructAreRefused) {
  OneLossHost provider;
  HostBridge bridge(provider, "p");
  dfx_sample_losses_args a{};
  a.struct_size = 16;  // a plugin that forgot to set struct_size properly
  a.host = bridge.api()->host;
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("struct_size 16 is smaller than the ABI 1.0 struct"), std::string::npos);
}

TEST(HostBridge, ProviderErrorsBecomeStatusAndMessage) {
  OneLossHost provider;
  HostBridge bridge(provider, "p");
  int64_t ids[2] = {0, 1};
  float losses[2] = {-7, -7};
  dfx_sample_losses_args a{};
  a.struct_size = sizeof a;
  a.host = bridge.api()->host;
  a.sample_ids = ids;
  a.num_samples = 2;
  a.losses_out = losses;
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bridge.last_error(), "only one sample, please");
  EXPECT_EQ(losses[0], -7);  // outputs untouched on error
}

TEST(HostBridge, ServicesAProviderLacksAnswerUnimplemented) {
  OneLossHost provider;
  HostBridge bridge(provider, "p");
  dfx_embeddings_args a{};
  a.struct_size = sizeof a;
  a.host = bridge.api()->host;
  EXPECT_EQ(bridge.api()->embeddings(&a), DFX_ERR_UNIMPLEMENTED);
  EXPECT_EQ(bridge.last_error(), "host service 'embeddings' is not implemented by the test host");
}

TEST(HostBridge, MetricsCarryTheCurrentStepAndMessagesStayOneLine) {
  OneLossHost provider;
  HostBridge bridge(provider, "p");
  bridge.set_step(12);
  bridge.api()->record_metric(bridge.api()->host, "x", 0.5);
  bridge.api()->set_error(bridge.api()->host, "two\nlines");
  const auto m = bridge.take_metrics();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].step, 12);
  EXPECT_EQ(bridge.last_error(), "two lines");
  EXPECT_TRUE(bridge.take_metrics().empty());
}

TEST(HostBridge, KnownServicesAreTheOnesTheSdkDeclares) {
  EXPECT_TRUE(is_known_host_service("gradient_features"));
  EXPECT_TRUE(is_known_host_service("reference_losses"));
  EXPECT_FALSE(is_known_host_service("generate"));
}

}  // namespace dataflex
