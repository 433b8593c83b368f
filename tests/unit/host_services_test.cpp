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
