// Discovery: manifests found in search-path order, sorted within a folder, the first of a name wins.
#include <gtest/gtest.h>

#include "plugins/plugin_registry.hpp"
#include "test_support.hpp"

namespace dataflex {

using test::ManifestText;

TEST(Discovery, SearchPathIsPluginDirsThenEnvironmentThenInstallation) {
  auto p = PluginSearchPath::build({"/a", "/b"}, "/c:/d::", "/install");
  EXPECT_EQ(p.dirs, (std::vector<std::string>{"/a", "/b", "/c", "/d", "/install"}));
  EXPECT_EQ(p.required, (std::vector<bool>{true, true, false, false, false}));
}

TEST(Discovery, FindsPluginsInSortedOrderWithoutLoadingThem) {
  test::TempDir dir;
  ManifestText b, a;
  b.name = "bravo";
  a.name = "alpha";
  test::make_plugin_folder(dir.path(), "zz_bravo", b.str());  // no library: discovery must not care
  test::make_plugin_folder(dir.path(), "aa_alpha", a.str());
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  ASSERT_EQ(reg.entries().size(), 2u);
  EXPECT_EQ(reg.entries()[0].manifest->name, "alpha");
  EXPECT_EQ(reg.entries()[1].manifest->name, "bravo");
  EXPECT_EQ(reg.find("bravo").name, "bravo");
}

TEST(Discovery, FirstPluginOfANameWinsAndTheSecondIsReported) {
  test::TempDir first, second;
  const auto winner = test::make_plugin_folder(first.path(), "x", ManifestText{}.str());
  const auto loser = test::make_plugin_folder(second.path(), "x", ManifestText{}.str());
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({first.str(), second.str()}, nullptr, ""));
  ASSERT_EQ(reg.entries().size(), 2u);
  EXPECT_FALSE(reg.entries()[0].shadowed);
  EXPECT_TRUE(reg.entries()[1].shadowed);
  EXPECT_NE(reg.entries()[1].problem.find("found first at " + winner), std::string::npos);
  EXPECT_EQ(reg.find("misbehaving").path, winner);
}

TEST(Discovery, BrokenManifestIsListedWithItsReason) {
  test::TempDir dir;
  ManifestText t;
  t.kind = "";
  test::make_plugin_folder(dir.path(), "misbehaving", t.str());
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  ASSERT_EQ(reg.entries().size(), 1u);
  EXPECT_FALSE(reg.entries()[0].manifest.has_value());
  EXPECT_NE(reg.entries()[0].problem.find("missing required field 'plugin.kind'"), std::string::npos);
  test::expect_error([&] { reg.find("misbehaving"); }, {"cannot be used", "plugin.kind"});
}

TEST(Discovery, UnknownNameSaysWhereItLookedAndSuggests) {
  test::TempDir dir;
  test::make_plugin_folder(dir.path(), "m", ManifestText{}.str());
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  test::expect_error([&] { reg.find("misbehavin"); },
                     {"no plugin named 'misbehavin'", dir.str(), "did you mean 'misbehaving'"});
}

TEST(Discovery, MissingPluginDirIsAnError) {
  test::expect_error([] { PluginRegistry::discover(PluginSearchPath::build({"/nonexistent/dataflex"}, nullptr, "")); },
                     {"--plugin-dir /nonexistent/dataflex: not a directory"});
}

TEST(Discovery, AManifestWithoutAbiIsListedAsBrokenAndOthersStillWork) {
  // Regression (issue 12): one manifest without `abi` made every discovery crash.
  test::TempDir dir;
  ManifestText broken, good;
  broken.name = "noabi";
  broken.abi = "";
  good.name = "fine";
  test::make_plugin_folder(dir.path(), "noabi", broken.str());
  test::make_plugin_folder(dir.path(), "fine", good.str());
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  ASSERT_EQ(reg.entries().size(), 2u);
  EXPECT_EQ(reg.find("fine").name, "fine");
  test::expect_error([&] { reg.find("noabi"); },
                     {"plugin 'noabi' cannot be used", "missing required field 'plugin.abi'"});
}

TEST(Discovery, ABrokenPluginFirstInTheSearchPathIsNotReplacedByALaterOneOfItsName) {
  // Regression (issue 12): a broken X in --plugin-dir silently fell back to the installed X.
  test::TempDir mine, installed;
  ManifestText broken;
  broken.kind = "";
  test::make_plugin_folder(mine.path(), "my_copy", broken.str());  // claims the name "misbehaving"
  test::make_plugin_folder(installed.path(), "misbehaving", ManifestText{}.str());
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({mine.str(), installed.str()}, nullptr, ""));
  test::expect_error([&] { reg.find("misbehaving"); },
                     {"plugin 'misbehaving' cannot be used", "my_copy/plugin.toml", "plugin.kind"});
  // The other way round, the usable one comes first and wins.
  const auto reversed = PluginRegistry::discover(PluginSearchPath::build({installed.str(), mine.str()}, nullptr, ""));
  EXPECT_EQ(reversed.find("misbehaving").path, (installed.path() / "misbehaving" / "plugin.toml").string());
}

}  // namespace dataflex
