// The `nice` selector compiled into this test and driven through its C ABI table by the SDK's mock
// host (<dataflex/testing.hpp>), whose 1.3 services answer from responses, rewards and per-response
// gradients set here — the plugin-author path of testing a NICE-like plugin without a model.
#include <dataflex/dataflex_plugin.h>
#include <gtest/gtest.h>
#include <dataflex/testing.hpp>

#include <cmath>
#include <string>
#include <vector>

extern "C" const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version);

namespace {

using dataflex::host::Dataset;
using dataflex::testing::MockHost;
using dataflex::testing::PluginUnderTest;

// The manifest's parameters, as the runtime passes them (the recording's: 2 responses of at most 4
// tokens, a 3-column dense projection, one subtask).
std::vector<dataflex::host::Param> params(const std::string& baseline = "none") {
  return {{"reward", "token_f1"}, {"mc_samples", 2},   {"max_new_tokens", 4},   {"temperature", 0.7},
          {"top_p", 1.0},         {"top_k", 0},        {"policy", "current"},   {"baseline", baseline},
          {"max_targets", 0},     {"proj_dim", 3},     {"projection", "dense"}, {"seed", 0},
          {"subtasks", "none"},   {"chunk_size", 256}, {"parameter_filter", ""}};
}

// One target prompt whose two responses (5 6) and (7) have gradients (1,0,0) and (0,1,0); the pool's
// features (1,0,0), (0,1,0), (0.6,0.8,0).
void set_up(MockHost& host, std::vector<float> rewards) {
  host.train_domains({0, 0, 0}).domains(Dataset::Eval, {0});
  host.gradient_features(Dataset::Train, {{1, 0, 0}, {0, 1, 0}, {0.6f, 0.8f, 0}});
  host.responses(Dataset::Eval, {{{5, 6}, {7}}});
  host.rewards(Dataset::Eval, {std::move(rewards)});
  host.response_gradients(Dataset::Eval, {{{1, 0, 0}, {0, 1, 0}}});
}

}  // namespace

TEST(NicePlugin, TheRewardWeightedResponseGradientIsTheTarget) {
  // Rewards 1, 0: target (1*(1,0,0) + 0*(0,1,0)) / 2, unit (1,0,0); pool scores 1, 0, 0.6 -> [0].
  MockHost host;
  set_up(host, {1.0f, 0.0f});
  PluginUnderTest plugin(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), host, params(), 3);
  const auto sel = plugin.select(3, 1);
  EXPECT_EQ(sel.ids, (std::vector<int64_t>{0}));
  ASSERT_EQ(sel.scores.size(), 1u);
  EXPECT_NEAR(sel.scores[0], 1.0, 1e-6);
  EXPECT_EQ(host.calls("generate"), 1u);
  EXPECT_EQ(host.calls("reward"), 1u);
  EXPECT_EQ(host.calls("response_gradient_features"), 1u);
  EXPECT_NEAR(plugin.metric("nice.mean_reward"), 0.5, 1e-9);
}

TEST(NicePlugin, EqualRewardsMakeTheSecondPoolSampleWin) {
  // Rewards 1, 1: target unit (0.7071, 0.7071, 0); scores 0.7071, 0.7071, 0.9899 -> [2].
  MockHost host;
  set_up(host, {1.0f, 1.0f});
  PluginUnderTest plugin(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), host, params(), 3);
  const auto sel = plugin.select(3, 1);
  EXPECT_EQ(sel.ids, (std::vector<int64_t>{2}));
  EXPECT_NEAR(sel.scores[0], 1.4 / std::sqrt(2.0), 1e-6);
}

TEST(NicePlugin, TheMeanBaselineCentresTheRewards) {
  // Weights 0.5, -0.5: target unit (0.7071, -0.7071, 0); scores 0.7071, -0.7071, -0.1414 -> [0].
  MockHost host;
  set_up(host, {1.0f, 0.0f});
  PluginUnderTest plugin(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), host, params("mean"), 3);
  const auto sel = plugin.select(3, 1);
  EXPECT_EQ(sel.ids, (std::vector<int64_t>{0}));
  EXPECT_NEAR(sel.scores[0], 1.0 / std::sqrt(2.0), 1e-6);
}

TEST(NicePlugin, NoRewardSignalSelectsAtRandomWithAWarning) {
  MockHost host;
  set_up(host, {0.0f, 0.0f});
  PluginUnderTest plugin(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), host, params(), 3);
  const auto sel = plugin.select(3, 2);
  EXPECT_EQ(sel.ids.size(), 2u);
  EXPECT_EQ(plugin.metric("nice.random_fallback"), 1.0);
  bool warned = false;
  for (const auto& line : plugin.log_lines())
    warned = warned || line.find("every response weight is 0") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(NicePlugin, TooFewResponsesFailWithTheMocksMessage) {
  MockHost host;
  set_up(host, {1.0f, 0.0f});
  host.responses(Dataset::Eval, {{{5, 6}}});  // one response; the plugin asks for mc_samples = 2
  PluginUnderTest plugin(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), host, params(), 3);
  try {
    plugin.select(3, 1);
    FAIL() << "expected the decision to fail";
  } catch (const dataflex::host::PluginCallError& e) {
    EXPECT_NE(e.message().find("has 1 responses for sample 0; the plugin asked for 2"), std::string::npos)
        << e.message();
  }
}
