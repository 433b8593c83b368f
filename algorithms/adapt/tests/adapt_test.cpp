// ADAPT's weights by hand, and the built plugin driven through its C ABI by the SDK's mock host: the
// anchor refresh schedule, absolute weights, the saved state, and an older host refusing them.
#include <gtest/gtest.h>
#include <dataflex/testing.hpp>

#include <cmath>

#include "adapt_math.hpp"

namespace {

using dataflex::host::Dataset;
using dataflex::testing::MockHost;
using dataflex::testing::PluginUnderTest;

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<dataflex::host::Param> params(double tau = 1.0, double clip = 0.0) {
  return {{"tau", tau}, {"refresh_interval", 50}, {"clip", clip}, {"embedding_layer", -1}, {"anchor_batch_size", 8}};
}

const dfx_plugin_api* api() { return PluginUnderTest::open_library(ADAPT_PLUGIN_LIBRARY); }

// Anchors (1,0) and (0,1): their mean is (0.5, 0.5). Samples (1,0), (0.6,0.8), (0,-1).
void set_up(MockHost& host) {
  host.train_domains({0, 0, 0}).domains(Dataset::Eval, {0, 0});
  host.embeddings(Dataset::Train, {{1, 0}, {0.6f, 0.8f}, {0, -1}});
  host.embeddings(Dataset::Eval, {{1, 0}, {0, 1}});
}

dataflex::host::WeightInput batch() { return {{0, 1, 2}, {0, 0, 0}, {2.0f, 3.0f, 4.0f}}; }

}  // namespace

TEST(AdaptMath, SigmoidOfTheMeanCosineOverTau) {
  const auto mean = dataflex::adapt::anchor_mean({1, 0, 0, 1}, 2, 2);
  const auto s = dataflex::adapt::scores({1, 0, 0.6f, 0.8f, 0, -1}, 3, mean);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_NEAR(s[0], 0.5, 1e-7);
  EXPECT_NEAR(s[1], 0.7, 1e-7);
  EXPECT_NEAR(s[2], -0.5, 1e-7);
  const auto w = dataflex::adapt::weights(s, 0.5, 0.0);
  EXPECT_NEAR(w[0], sigmoid(1.0), 1e-7);
  EXPECT_NEAR(w[1], sigmoid(1.4), 1e-7);
  EXPECT_NEAR(w[2], sigmoid(-1.0), 1e-7);
  const auto capped = dataflex::adapt::weights(s, 1.0, 0.65);
  EXPECT_NEAR(capped[0], sigmoid(0.5), 1e-7);  // 0.6225, under the cap
  EXPECT_DOUBLE_EQ(capped[1], 0.65);           // sigmoid(0.7) = 0.668, capped
  EXPECT_THROW(dataflex::adapt::anchor_mean({}, 0, 2), std::invalid_argument);
}

TEST(AdaptPlugin, AbsoluteWeightsFromTheAnchorsRefreshedEveryInterval) {
  MockHost host;
  set_up(host);
  PluginUnderTest plugin(api(), host, params());
  auto w = plugin.weight(batch(), PluginUnderTest::context(0, 0));
  EXPECT_TRUE(w.absolute);
  ASSERT_EQ(w.values.size(), 3u);
  EXPECT_NEAR(w.values[0], sigmoid(0.5), 1e-6);
  EXPECT_NEAR(w.values[1], sigmoid(0.7), 1e-6);
  EXPECT_NEAR(w.values[2], sigmoid(-0.5), 1e-6);
  // Two requests so far: the anchors, then the batch (the mock counts each request's calls alike).
  const std::size_t per_request = host.calls("embeddings") / 2;
  ASSERT_GT(per_request, 0u);
  // The anchors move; steps 1..49 keep the ones embedded at step 0, step 50 re-embeds them.
  host.embeddings(Dataset::Eval, {{1, 0}, {1, 0}});
  w = plugin.weight(batch(), PluginUnderTest::context(49, 1));
  EXPECT_NEAR(w.values[0], sigmoid(0.5), 1e-6);
  EXPECT_EQ(host.calls("embeddings"), 3 * per_request);
  w = plugin.weight(batch(), PluginUnderTest::context(50, 2));
  EXPECT_NEAR(w.values[0], sigmoid(1.0), 1e-6);
  EXPECT_NEAR(w.values[2], sigmoid(0.0), 1e-6);
  EXPECT_EQ(host.calls("embeddings"), 5 * per_request);
}

TEST(AdaptPlugin, SavedStateKeepsTheAnchorsSoAResumedRunWeighsAlike) {
  MockHost host;
  set_up(host);
  PluginUnderTest a(api(), host, params(0.5));
  a.weight(batch(), PluginUnderTest::context(3, 0));
  const auto blob = a.save_state();
  ASSERT_FALSE(blob.empty());
  host.embeddings(Dataset::Eval, {{0, 1}, {0, 1}});  // would change the anchors if re-embedded
  PluginUnderTest b(api(), host, params(0.5));
  b.load_state(blob);
  const auto wa = a.weight(batch(), PluginUnderTest::context(4, 1));
  const auto wb = b.weight(batch(), PluginUnderTest::context(4, 1));
  EXPECT_EQ(wa.values, wb.values);
  EXPECT_NEAR(wb.values[1], sigmoid(1.4), 1e-6);
}

TEST(AdaptPlugin, AnOlderHostCannotApplyAbsoluteWeights) {
  MockHost host;
  set_up(host);
  PluginUnderTest plugin(api(), host, params(), 0, 3);
  try {
    plugin.weight(batch());
    FAIL() << "a 1.3 host accepted absolute weights";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("absolute weights need a host of SDK ABI 1.4"), std::string::npos) << e.what();
  }
}
