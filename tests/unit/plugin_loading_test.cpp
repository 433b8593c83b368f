// Loading checks, in SDK.md's order, and the frozen v1.0 plugin.
#include <gtest/gtest.h>

#include <cstring>

#include <dataflex/testing.hpp>

#include "plugins/plugin_instance.hpp"
#include "plugins/plugin_library.hpp"
#include "test_support.hpp"

namespace dataflex {

using test::ManifestText;

namespace {

PluginManifest manifest_in(const test::TempDir& dir, const ManifestText& t, const std::string& kind = "selector") {
  return read_manifest(test::make_plugin_folder(dir.path(), "p", t.str(), test::misbehaving_library(kind)));
}

// Answers sample_losses from a fixed table; everything else is unimplemented.
class LossHost : public host::ServiceProvider {
 public:
  explicit LossHost(std::vector<float> losses) : losses_(std::move(losses)) {}
  std::string description() const override { return "test host"; }
  std::vector<float> sample_losses(host::Dataset, host::Model, const host::SampleIds& ids) override {
    std::vector<float> out;
    for (int64_t id : ids) out.push_back(losses_.at(size_t(id)));
    return out;
  }

 private:
  std::vector<float> losses_;
};

struct Bare : host::ServiceProvider {
  std::string description() const override { return "bare host"; }
};

}  // namespace

TEST(PluginLoading, AValidPluginLoads) {
  test::TempDir dir;
  std::vector<std::string> notes;
  auto lib = PluginLibrary::load(manifest_in(dir, {}), &notes);
  EXPECT_STREQ(lib->api().name, "misbehaving");
  EXPECT_TRUE(notes.empty());
}

TEST(PluginLoading, AbiMajorMismatchIsRefusedNamingBothVersions) {
  test::TempDir dir;
  ManifestText t;
  t.abi = "2.0";
  const auto m = manifest_in(dir, t);
  test::expect_error([&] { PluginLibrary::load(m, nullptr); }, {m.path, "SDK ABI 2.0", "this host speaks ABI 1.4"});
}

TEST(PluginLoading, NewerAbiMinorIsAcceptedWithANoteWhenItNeedsNothingNew) {
  // Built as if against SDK 1.5: it reports ABI 1.5 and a larger table; this 1.4 host reads its part.
  const std::string path = std::string(TEST_PLUGIN_DIR) + "/abi_1_5/misbehaving/plugin.toml";
  std::vector<std::string> notes;
  auto lib = PluginLibrary::load(read_manifest(path), &notes);
  EXPECT_GT(lib->api().struct_size, sizeof(dfx_plugin_api));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("newer SDK ABI 1.5"), std::string::npos);
  EXPECT_NE(notes[0].find("accepted"), std::string::npos);
  Bare host;
  PluginInstance plugin(lib, host, {{"behaviour", ParamValue::of_string("none")}}, 0);
  EXPECT_EQ(plugin.select(DecisionContext{}, 4, 2, false, {}).ids, (std::vector<int64_t>{0, 1}));
}

TEST(PluginLoading, ManifestAbiDifferentFromTheLibrarysIsRefused) {
  test::TempDir dir;
  ManifestText t;
  t.abi = "1.1";
  const auto m = manifest_in(dir, t);
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "'plugin.abi' = \"1.1\" but the library reports ABI 1.4"});
}

TEST(PluginLoading, NewerAbiMinorNeedingAnUnknownServiceIsRefused) {
  test::TempDir dir;
  ManifestText t;
  t.abi = "1.4";
  t.extra = "[requires]\nhost_services = [\"rank_documents\"]\n";
  const auto m = manifest_in(dir, t);
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "requires host service 'rank_documents'", "does not offer"});
}

TEST(PluginLoading, MissingLibraryIsNamed) {
  test::TempDir dir;
  const auto m = read_manifest(test::make_plugin_folder(dir.path(), "p", ManifestText{}.str()));
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "library 'libdataflex_misbehaving.so' not found"});
}

TEST(PluginLoading, LibraryWithoutEntrySymbolIsRefused) {
  test::TempDir dir;
  const auto m = read_manifest(test::make_plugin_folder(dir.path(), "p", ManifestText{}.str(), NO_ENTRY_LIB));
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "does not export the entry symbol 'dataflex_plugin_get_api'"});
}

TEST(PluginLoading, FileThatIsNotALibraryIsRefused) {
  test::TempDir dir;
  const auto path = test::make_plugin_folder(dir.path(), "p", ManifestText{}.str());
  test::write_file(dir.path() / "p" / "libdataflex_misbehaving.so", "this is text, not ELF");
  const auto m = read_manifest(path);
  test::expect_error([&] { PluginLibrary::load(m, nullptr); }, {m.path, "cannot load library"});
}

TEST(PluginLoading, ManifestNameDifferentFromTheLibrarysIsRefused) {
  test::TempDir dir;
  ManifestText t;
  t.name = "impostor";
  const auto m = manifest_in(dir, t);
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "'plugin.name' = \"impostor\" but the library", "reports the name \"misbehaving\""});
}

TEST(PluginLoading, ManifestKindDifferentFromTheLibrarysIsRefused) {
  test::TempDir dir;
  ManifestText t;
  t.kind = "mixer";
  const auto m = manifest_in(dir, t, "selector");
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "'plugin.kind' = \"mixer\" but the library reports selector"});
}

TEST(PluginLoading, ManifestVersionDifferentFromTheLibrarysIsRefused) {
  test::TempDir dir;
  ManifestText t;
  t.version = "0.2.0";
  const auto m = manifest_in(dir, t);
  test::expect_error([&] { PluginLibrary::load(m, nullptr); },
                     {m.path, "'plugin.version' = \"0.2.0\" but the library reports \"0.1.0\""});
}

TEST(PluginLoading, PluginBuiltAgainstTheFrozenV10HeaderLoadsAndRuns) {
  const std::string path = std::string(TEST_PLUGIN_DIR) + "/frozen/frozen_v1_0/plugin.toml";
  auto lib = PluginLibrary::load(read_manifest(path), nullptr);
  LossHost host({0.5f, 3.0f, 1.0f, 3.0f, 2.0f});
  PluginInstance plugin(lib, host, {}, 1);
  DecisionContext ctx;
  ctx.step = 7;
  const auto sel = plugin.select(ctx, 5, 3, false, {});
  EXPECT_EQ(sel.ids, (std::vector<int64_t>{1, 3, 4}));  // highest losses, ties to the lower id
  EXPECT_DOUBLE_EQ(sel.scores[0], 3.0);
  const auto metrics = plugin.bridge().take_metrics();
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0].step, 7);
  EXPECT_EQ(metrics[0].name, "frozen.decisions");

  // Its state goes through the SDK as a blob and comes back.
  const auto blob = plugin.save_state();
  ASSERT_EQ(blob.size(), sizeof(int64_t));
  PluginInstance restored(lib, host, {}, 1);
  restored.load_state(blob);
  restored.select(ctx, 5, 1, false, {});
  EXPECT_EQ(restored.bridge().take_metrics().at(0).value, 2.0);
}

TEST(PluginLoading, HostServiceAnUnservingHostLacksIsReportedAsUnimplemented) {
  const std::string path = std::string(TEST_PLUGIN_DIR) + "/frozen/frozen_v1_0/plugin.toml";
  auto lib = PluginLibrary::load(read_manifest(path), nullptr);
  Bare host;
  PluginInstance plugin(lib, host, {}, 1);
  test::expect_error([&] { plugin.select(DecisionContext{}, 5, 2, false, {}); },
                     {"failed in select at step 0 with DFX_ERR_UNIMPLEMENTED",
                      "host service 'sample_losses': not implemented by the bare host"});
}

// --- SDK 1.1 -----------------------------------------------------------------------------------------

namespace {

const std::string kTokenBudget = std::string(TEST_PLUGIN_DIR) + "/sdk11/token_budget/plugin.toml";

// Four samples of 3, 5, 2 and 5 tokens (every token but the first trained); no reference model.
class TokenHost : public testing::MockHost {
 public:
  TokenHost() : MockHost("token host") {
    sample_tokens(host::Dataset::Train, {{1, 2, 3}, {1, 2, 3, 4, 5}, {7, 8}, {9, 9, 9, 9, 9}});
  }
  std::vector<float> sample_losses(host::Dataset d, host::Model m, const host::SampleIds& ids) override {
    if (m == host::Model::Reference)
      throw host::ServiceError(DFX_ERR_UNIMPLEMENTED, "no reference model (set dataflex.reference_model)");
    return MockHost::sample_losses(d, m, ids);
  }
};

std::vector<NamedParam> behaviour(const std::string& b) { return {{"behaviour", ParamValue::of_string(b)}}; }

}  // namespace

TEST(Sdk11, APluginUsingA11ServiceLoadsAndRunsInThisHost) {
  auto lib = PluginLibrary::load(read_manifest(kTokenBudget), nullptr);
  EXPECT_EQ(lib->api().abi_version, DATAFLEX_ABI_VERSION);
  TokenHost host;
  PluginInstance plugin(lib, host, behaviour("none"), 1);
  const auto sel = plugin.select(DecisionContext{}, 4, 2, false, {});
  EXPECT_EQ(sel.ids, (std::vector<int64_t>{1, 3}));  // 4 trained tokens each
  EXPECT_EQ(sel.scores, (std::vector<double>{4, 4}));
  EXPECT_EQ(plugin.bridge().take_metrics().at(0).value, 15);
}

TEST(Sdk11, APluginThatNeedsA11ServiceIsRefusedByAHostThatReports10) {
  // When loading: its manifest requires a service this (1.0) host does not offer.
  test::expect_error([] { PluginLibrary::load(read_manifest(kTokenBudget), nullptr, /*host_minor=*/0); },
                     {"token_budget/plugin.toml", "requires host service 'sample_tokens' (added in ABI 1.1)",
                      "this host (ABI 1.0) does not offer"});
  // And when created against a 1.0 host table (a host that skipped the manifest check): the plugin
  // itself refuses, naming both versions.
  auto lib = PluginLibrary::load(read_manifest(kTokenBudget), nullptr);
  TokenHost host;
  test::expect_error([&] { PluginInstance plugin(lib, host, behaviour("none"), 1, "", /*host_minor=*/0); },
                     {"failed in create with DFX_ERR_UNIMPLEMENTED",
                      "host service 'sample_tokens' needs a host of SDK ABI 1.1 or later; this host speaks ABI 1.0"});
}

TEST(Sdk11, ACppPluginReportsTheHostsOwnMessageNotAGenericOne) {
  auto lib = PluginLibrary::load(read_manifest(kTokenBudget), nullptr);
  TokenHost host;
  PluginInstance plugin(lib, host, behaviour("reference_losses"), 1);
  test::expect_error([&] { plugin.select(DecisionContext{}, 4, 2, false, {}); },
                     {"failed in select at step 0 with DFX_ERR_UNIMPLEMENTED: host service 'sample_losses': no "
                      "reference model (set dataflex.reference_model)"});
}

TEST(Sdk11, ACppPluginsInvalidArgumentIsInvalidArgumentWithItsMessage) {
  auto lib = PluginLibrary::load(read_manifest(kTokenBudget), nullptr);
  TokenHost host;
  PluginInstance plugin(lib, host, behaviour("invalid_argument"), 1);
  test::expect_error([&] { plugin.select(DecisionContext{}, 4, 2, false, {}); },
                     {"failed in select at step 0 with DFX_ERR_INVALID_ARGUMENT: budget must be positive, got -3"});
}

TEST(Sdk11, TheTestingMockDrivesAPluginAsTheRuntimeDoes) {
  // <dataflex/testing.hpp>: the same table, protocol and rules, so the same outcome as above.
  auto lib = PluginLibrary::load(read_manifest(kTokenBudget), nullptr);
  TokenHost host;
  testing::PluginUnderTest plugin(&lib->api(), host, {{"behaviour", "none"}}, 1);
  EXPECT_EQ(plugin.select(4, 2).ids, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(plugin.metric("token_budget.tokens"), 15);
  EXPECT_EQ(host.calls("sample_tokens"), 2u);  // the size query, then the copy
  testing::PluginUnderTest failing(&lib->api(), host, {{"behaviour", "reference_losses"}}, 1);
  try {
    failing.select(4, 2);
    FAIL();
  } catch (const host::PluginCallError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_UNIMPLEMENTED);
    EXPECT_EQ(e.message(), "host service 'sample_losses': no reference model (set dataflex.reference_model)");
  }
  try {
    testing::PluginUnderTest old_host(&lib->api(), host, {{"behaviour", "none"}}, 1, /*host_abi_minor=*/0);
    FAIL();
  } catch (const host::PluginCallError& e) {
    EXPECT_EQ(e.call(), "create");
    EXPECT_EQ(e.status(), DFX_ERR_UNIMPLEMENTED);
  }
}

}  // namespace dataflex
