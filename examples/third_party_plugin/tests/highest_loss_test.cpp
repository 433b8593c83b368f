// The plugin's unit tests, written as a plugin author would: against the installed SDK only, with
// <dataflex/testing.hpp>'s mock host in place of a model. The plugin's source is compiled into this
// test, so its table comes from its own entry point.
#include <gtest/gtest.h>
#include <dataflex/testing.hpp>

using dataflex::host::Dataset;
using dataflex::host::PluginCallError;
using dataflex::testing::MockHost;
using dataflex::testing::PluginUnderTest;

namespace {

const dfx_plugin_api* plugin_table() { return dataflex_plugin_get_api(DATAFLEX_ABI_VERSION); }

}  // namespace

TEST(HighestLoss, KeepsTheHardestSamplesAndReportsTheCutoff) {
  MockHost host;
  host.train_domains({0, 0, 1, 1}).sample_losses(Dataset::Train, {2.0f, 0.5f, 3.0f, 1.0f});
  PluginUnderTest plugin(plugin_table(), host, {{"min_loss", 0.0}});
  const auto chosen = plugin.select(/*pool_size=*/4, /*num_select=*/2);
  EXPECT_EQ(chosen.ids, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(chosen.scores, (std::vector<double>{3.0, 2.0}));
  EXPECT_EQ(plugin.metric("highest_loss.cutoff"), 2.0);
  EXPECT_EQ(host.calls("sample_losses"), 1u);
}

TEST(HighestLoss, TooFewSamplesAboveMinLossIsAnInvalidArgument) {
  MockHost host;
  host.sample_losses(Dataset::Train, {2.0f, 0.5f, 3.0f, 1.0f});
  PluginUnderTest plugin(plugin_table(), host, {{"min_loss", 2.5}});
  try {
    plugin.select(4, 2);
    FAIL() << "expected a failure";
  } catch (const PluginCallError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(e.message(), "only 1 samples have a loss above min_loss");
  }
}

TEST(HighestLoss, AHostWithoutLossesFailsWithTheHostsMessage) {
  MockHost host;  // nothing recorded
  PluginUnderTest plugin(plugin_table(), host, {{"min_loss", 0.0}});
  try {
    plugin.select(4, 2);
    FAIL() << "expected a failure";
  } catch (const PluginCallError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_FAILED_PRECONDITION);
    EXPECT_NE(e.message().find("mock host has no sample_losses answer for the train set"), std::string::npos)
        << e.message();
  }
}
