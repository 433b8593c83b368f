// The services' C protocol, written once in the SDK's HostBridge (dataflex/host/bridge.hpp) for every
// provider: what a plugin's call goes through before and after it reaches a provider.
#include <gtest/gtest.h>
#include <dataflex/host/bridge.hpp>

#include <cmath>

namespace dataflex {
namespace {

using host::Dataset;
using host::Model;

// Two train samples in two domains; losses 1.5 and 2.5; 3 feature columns; counts its computations.
class TwoSampleHost : public host::ServiceProvider {
 public:
  std::string description() const override { return "test host"; }
  host::DatasetInfo dataset_info(Dataset) override { return {2, 2}; }
  std::vector<float> sample_losses(Dataset, Model m, const host::SampleIds& ids) override {
    if (m == Model::Reference) throw host::ServiceError(DFX_ERR_UNIMPLEMENTED, "no reference model (set it)");
    if (ids.size() > 2) throw host::ServiceError(DFX_ERR_INVALID_ARGUMENT, "only two samples, please");
    std::vector<float> out;
    for (int64_t id : ids) out.push_back(id == 0 ? 1.5f : 2.5f);
    return out;
  }
  std::vector<double> domain_losses(Dataset, Model) override {
    ++computed;
    return {0.5, std::nan("")};
  }
  std::size_t gradient_feature_dim(const host::GradientRequest&) override { return 3; }
  std::vector<float> gradient_features(const host::GradientRequest& r, const host::SampleIds& ids) override {
    ++computed;
    last_filter = r.parameter_filter;
    std::vector<float> out;
    for (int64_t id : ids) out.insert(out.end(), {float(id), 1.f, 2.f});
    if (wrong_shape) out.pop_back();
    return out;
  }
  int computed = 0;
  bool wrong_shape = false;
  std::vector<std::string> last_filter;
};

dfx_sample_losses_args losses_args(const host::HostBridge& b, const int64_t* ids, size_t n, float* out) {
  dfx_sample_losses_args a;
  dfx_sample_losses_args_init(&a);
  a.host = b.api()->host;
  a.sample_ids = ids;
  a.num_samples = n;
  a.losses_out = out;
  return a;
}

}  // namespace

TEST(HostBridge, ServesAWellFormedCall) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  const int64_t ids[2] = {1, 0};
  float out[2] = {0, 0};
  auto a = losses_args(bridge, ids, 2, out);
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_OK);
  EXPECT_EQ(out[0], 2.5f);
  EXPECT_EQ(out[1], 1.5f);
}

TEST(HostBridge, ArgsSmallerThanTheStructAreRefused) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  dfx_sample_losses_args a{};
  a.struct_size = 16;  // a plugin that forgot to set struct_size properly
  a.host = bridge.api()->host;
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("host service 'sample_losses': args.struct_size 16 is smaller than the struct"),
            std::string::npos)
      << bridge.last_error();
}

TEST(HostBridge, ProviderErrorsBecomeStatusAndMessageAndOutputsStayUntouched) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  const int64_t ids[3] = {0, 1, 0};
  float out[3] = {-7, -7, -7};
  auto a = losses_args(bridge, ids, 3, out);
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bridge.last_error(), "host service 'sample_losses': only two samples, please");
  EXPECT_EQ(out[0], -7);
  a.num_samples = 1;
  a.model = DFX_MODEL_REFERENCE;
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_UNIMPLEMENTED);
  EXPECT_EQ(bridge.last_error(), "host service 'sample_losses': no reference model (set it)");
}

TEST(HostBridge, ServicesAProviderLacksAnswerUnimplemented) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  dfx_embeddings_args a;
  dfx_embeddings_args_init(&a);
  a.host = bridge.api()->host;
  EXPECT_EQ(bridge.api()->embeddings(&a), DFX_ERR_UNIMPLEMENTED);
  EXPECT_EQ(bridge.last_error(), "host service 'embeddings': not implemented by the test host");
}

TEST(HostBridge, UnknownEnumValuesAndMissingBuffersAreInvalidArguments) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  const int64_t ids[1] = {0};
  float out[1] = {0};
  auto a = losses_args(bridge, ids, 1, out);
  a.dataset = 7;
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bridge.last_error(), "host service 'sample_losses': dataset 7: expected TRAIN (0) or EVAL (1)");
  a.dataset = DFX_DATASET_TRAIN;
  a.model = DFX_MODEL_EMBEDDING;  // losses come from the current or the reference model only
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  a.model = DFX_MODEL_CURRENT;
  a.losses_out = nullptr;
  EXPECT_EQ(bridge.api()->sample_losses(&a), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bridge.last_error(), "host service 'sample_losses': losses_out is NULL");
  dfx_gradient_features_args g;
  dfx_gradient_features_args_init(&g);
  g.host = bridge.api()->host;
  g.projection = 9;
  EXPECT_EQ(bridge.api()->gradient_features(&g), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bridge.last_error(), "host service 'gradient_features': unknown projection 9");
}

TEST(HostBridge, ASizeQueryIsAnsweredWithoutComputingTheResult) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  dfx_domain_losses_args d;
  dfx_domain_losses_args_init(&d);
  d.host = bridge.api()->host;
  EXPECT_EQ(bridge.api()->domain_losses(&d), DFX_OK);  // losses_out NULL: how many domains?
  EXPECT_EQ(d.num_domains, 2u);
  dfx_gradient_features_args g;
  dfx_gradient_features_args_init(&g);
  g.host = bridge.api()->host;
  g.projection_dim = 3;
  EXPECT_EQ(bridge.api()->gradient_features(&g), DFX_OK);
  EXPECT_EQ(g.feature_dim, 3u);
  EXPECT_EQ(provider.computed, 0);
}

TEST(HostBridge, ATooSmallBufferIsRefusedBeforeComputingWithTheSizeNeeded) {
  TwoSampleHost provider;
  host::HostBridge bridge(provider, "p");
  const int64_t ids[2] = {0, 1};
  std::vector<float> out(5, -1.f);
  dfx_gradient_features_args g;
  dfx_gradient_features_args_init(&g);
  g.host = bridge.api()->host;
  g.sample_ids = ids;
  g.num_samples = 2;
  g.features_out = out.data();
  g.capacity = out.size();
  EXPECT_EQ(bridge.api()->gradient_features(&g), DFX_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(g.feature_dim, 3u);
  EXPECT_EQ(provider.computed, 0);
  EXPECT_EQ(out, std::vector<float>(5, -1.f));
  out.resize(6);
  g.features_out = out.data();
  g.capacity = out.size();
  g.parameter_filter = "mlp,,o_proj";
  EXPECT_EQ(bridge.api()->gradient_features(&g), DFX_OK);
  EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 1, 1, 2}));
  EXPECT_EQ(provider.last_filter, (std::vector<std::string>{"mlp", "o_proj"}));
  double losses[1] = {-1};
  dfx_domain_losses_args d;
  dfx_domain_losses_args_init(&d);
  d.host = bridge.api()->host;
  d.losses_out = losses;
  d.capacity = 1;
  EXPECT_EQ(bridge.api()->domain_losses(&d), DFX_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(d.num_domains, 2u);
  EXPECT_EQ(losses[0], -1);
}

TEST(HostBridge, AProviderAnswerOfTheWrongShapeIsAnInternalErrorAndCopiesNothing) {
  TwoSampleHost provider;
  provider.wrong_shape = true;
  host::HostBridge bridge(provider, "p");
  const int64_t ids[1] = {0};
  std::vector<float> out(3, -1.f);
  dfx_gradient_features_args g;
  dfx_gradient_features_args_init(&g);
  g.host = bridge.api()->host;
  g.sample_ids = ids;
  g.num_samples = 1;
  g.features_out = out.data();
  g.capacity = out.size();
  g.projection_dim = 3;
  EXPECT_EQ(bridge.api()->gradient_features(&g), DFX_ERR_INTERNAL);
  EXPECT_EQ(bridge.last_error(),
            "host service 'gradient_features': the provider returned 2 feature values, expected 3");
  EXPECT_EQ(out, std::vector<float>(3, -1.f));
}

TEST(HostBridge, MetricsCarryTheCurrentStepAndMessagesStayOneLine) {
  TwoSampleHost provider;
  std::vector<std::string> logged;
  host::HostBridge bridge(provider, "p", [&](int32_t, const std::string& line) { logged.push_back(line); });
  bridge.set_step(12);
  bridge.api()->record_metric(bridge.api()->host, "x", 0.5);
  bridge.api()->set_error(bridge.api()->host, "two\nlines");
  bridge.api()->log(bridge.api()->host, DFX_LOG_INFO, "hello\nworld");
  const auto m = bridge.take_metrics();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].step, 12);
  EXPECT_EQ(bridge.last_error(), "two lines");
  EXPECT_EQ(logged, std::vector<std::string>{"[p] hello world"});
  EXPECT_TRUE(bridge.take_metrics().empty());
}

TEST(HostBridge, AHostReportingABI10OffersATableWithoutThe11Services) {
  TwoSampleHost provider;
  host::HostBridge old_host(provider, "p", {}, /*abi_minor=*/0);
  EXPECT_EQ(old_host.api()->abi_version, DFX_MAKE_ABI_VERSION(1, 0));
  EXPECT_EQ(old_host.api()->struct_size, DFX_STRUCT_SIZE(dfx_host_api, extension_start));
  EXPECT_FALSE(DFX_STRUCT_HAS_MEMBER(old_host.api(), dfx_host_api, sample_tokens));
  host::HostBridge new_host(provider, "p");
  EXPECT_EQ(new_host.api()->abi_version, DATAFLEX_ABI_VERSION);
  EXPECT_TRUE(DFX_STRUCT_HAS_MEMBER(new_host.api(), dfx_host_api, sample_tokens));
  EXPECT_NE(new_host.api()->sample_tokens, nullptr);
}

// [1.3] A provider of responses: "ab" (2 tokens) per draw, rewards 0.25 each, 2 feature columns.
class ResponseHost : public host::ServiceProvider {
 public:
  std::string description() const override { return "response host"; }
  host::Responses generate(const host::GenerateRequest& r, const host::SampleIds& ids) override {
    host::Responses out;
    out.offsets.push_back(0);
    for (std::size_t i = 0; i < ids.size() * r.num_return; ++i) {
      out.tokens.insert(out.tokens.end(), {'a', 'b'});
      if (too_long) out.tokens.push_back('c');
      out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
    }
    return out;
  }
  std::vector<float> reward(Dataset, dfx_reward, const host::SampleIds& ids, const host::Responses&) override {
    return std::vector<float>(ids.size(), 0.25f);
  }
  std::size_t response_feature_dim(const host::ResponseFeatureRequest&) override { return 2; }
  std::vector<float> response_gradient_features(const host::ResponseFeatureRequest& r, const host::SampleIds& ids,
                                                const host::Responses&) override {
    ++computed;
    return std::vector<float>(ids.size() / r.group_size * 2, 1.0f);
  }
  bool too_long = false;
  int computed = 0;
};

TEST(HostBridge, GenerationRewardsAndResponseFeaturesCheckTheirArguments) {
  ResponseHost provider;
  host::HostBridge bridge(provider, "p");
  const dfx_host_api* api = bridge.api();
  const int64_t ids[2] = {0, 1};
  int32_t tokens[8];
  int64_t offsets[5];
  dfx_generate_args g;
  dfx_generate_args_init(&g);
  g.host = api->host;
  g.sample_ids = ids;
  g.num_samples = 2;
  g.num_return = 2;
  g.max_new_tokens = 2;
  g.token_ids_out = tokens;
  g.capacity = 8;
  g.offsets_out = offsets;
  ASSERT_EQ(api->generate(&g), DFX_OK);
  EXPECT_EQ(g.num_tokens, 8u);
  EXPECT_EQ(offsets[4], 8);
  // The capacity must hold n x num_return x max_new_tokens before anything is generated.
  g.capacity = 7;
  EXPECT_EQ(api->generate(&g), DFX_ERR_BUFFER_TOO_SMALL);
  g.capacity = 8;
  g.num_return = 0;
  EXPECT_EQ(api->generate(&g), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("num_return must be at least 1"), std::string::npos);
  g.num_return = 2;
  g.top_p = 0.0;
  EXPECT_EQ(api->generate(&g), DFX_ERR_INVALID_ARGUMENT);
  g.top_p = 1.0;
  g.model = DFX_MODEL_REFERENCE;
  EXPECT_EQ(api->generate(&g), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("expected CURRENT (0) or POLICY (3)"), std::string::npos);
  g.model = DFX_MODEL_CURRENT;
  provider.too_long = true;  // a provider answering past max_new_tokens is the host's bug
  EXPECT_EQ(api->generate(&g), DFX_ERR_INTERNAL);
  provider.too_long = false;

  // Responses handed back: offsets from 0, never decreasing.
  const int32_t resp[4] = {'a', 'b', 'a', 'b'};
  int64_t resp_offsets[3] = {0, 2, 4};
  float rewards[2] = {-1, -1};
  dfx_reward_args r;
  dfx_reward_args_init(&r);
  r.host = api->host;
  r.sample_ids = ids;
  r.num_responses = 2;
  r.response_tokens = resp;
  r.response_offsets = resp_offsets;
  r.rewards_out = rewards;
  ASSERT_EQ(api->reward(&r), DFX_OK);
  EXPECT_EQ(rewards[1], 0.25f);
  r.reward = 9;
  EXPECT_EQ(api->reward(&r), DFX_ERR_INVALID_ARGUMENT);
  r.reward = DFX_REWARD_ROUGE_L;
  resp_offsets[1] = 5;
  rewards[0] = -1;
  EXPECT_EQ(api->reward(&r), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("response_offsets decrease at response 1"), std::string::npos);
  EXPECT_EQ(rewards[0], -1);  // untouched on error
  resp_offsets[1] = 2;

  dfx_response_features_args f;
  dfx_response_features_args_init(&f);
  f.host = api->host;
  f.sample_ids = ids;
  f.num_responses = 2;
  f.response_tokens = resp;
  f.response_offsets = resp_offsets;
  f.group_size = 2;
  ASSERT_EQ(api->response_gradient_features(&f), DFX_OK);  // a size query computes nothing
  EXPECT_EQ(f.feature_dim, 2u);
  EXPECT_EQ(provider.computed, 0);
  float features[2];
  f.features_out = features;
  f.capacity = 2;
  ASSERT_EQ(api->response_gradient_features(&f), DFX_OK);
  EXPECT_EQ(provider.computed, 1);
  f.group_size = 3;
  EXPECT_EQ(api->response_gradient_features(&f), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("group_size 3 does not divide num_responses 2"), std::string::npos);
  f.group_size = 1;
  const float bad_weights[2] = {1.0f, NAN};
  f.weights = bad_weights;
  f.capacity = 4;
  float two_rows[4];
  f.features_out = two_rows;
  EXPECT_EQ(api->response_gradient_features(&f), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(bridge.last_error().find("weights[1] is not finite"), std::string::npos);
}

TEST(HostBridge, AHostOfAnOlderMinorOffersATableWithoutThe13Services) {
  ResponseHost provider;
  host::HostBridge old_host(provider, "p", {}, 2);
  EXPECT_FALSE(DFX_STRUCT_HAS_MEMBER(old_host.api(), dfx_host_api, generate));
  EXPECT_TRUE(DFX_STRUCT_HAS_MEMBER(old_host.api(), dfx_host_api, sample_tokens));
  host::HostBridge new_host(provider, "p");
  EXPECT_TRUE(DFX_STRUCT_HAS_MEMBER(new_host.api(), dfx_host_api, response_gradient_features));
  EXPECT_NE(new_host.api()->reward, nullptr);
}

TEST(HostBridge, KnownServicesCarryTheMinorThatIntroducedThem) {
  EXPECT_EQ(host::service_since_minor("gradient_features"), 0);
  EXPECT_EQ(host::service_since_minor("reference_losses"), 0);
  EXPECT_EQ(host::service_since_minor("sample_tokens"), 1);
  EXPECT_EQ(host::service_since_minor("generate"), 3);
  EXPECT_EQ(host::service_since_minor("reward"), 3);
  EXPECT_EQ(host::service_since_minor("response_gradient_features"), 3);
  EXPECT_EQ(host::service_since_minor("rank_documents"), -1);
}

}  // namespace dataflex
