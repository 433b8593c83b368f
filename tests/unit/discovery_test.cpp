// Discovery: manifests found in search-path order, sorted within a folder, the first of a name wins.
#include <gtest/gtest.h>

#include "plugins/plugin_registry.hpp"
#include "plugins/plugin_trust.hpp"
#include "test_support.hpp"

namespace dataflex {

using test::ManifestText;
namespace fs = std::filesystem;

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

// --- Side-by-side versions (the installed layout NAME/VERSION/) ----------------------------------------

namespace {
std::string versioned(const fs::path& root, const std::string& version, const std::string& abi = "1.4") {
  ManifestText t;
  t.version = version;
  t.abi = abi;
  return test::make_plugin_folder(root, "misbehaving/" + version, t.str());
}
}  // namespace

TEST(Discovery, VersionsLiveSideBySideAndTheHighestIsTheDefault) {
  test::TempDir dir;
  versioned(dir.path(), "1.0.0");
  versioned(dir.path(), "1.2.0");
  const auto newest = versioned(dir.path(), "1.10.0");  // SemVer order, not the folders' sorted order
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  ASSERT_EQ(reg.entries().size(), 3u);
  EXPECT_EQ(reg.find("misbehaving").path, newest);
  EXPECT_EQ(reg.find("misbehaving", "~1.2").version, "1.2.0");
  EXPECT_EQ(reg.find("misbehaving", "1.0.0").version, "1.0.0");
  int defaults = 0;
  for (const auto& e : reg.entries()) {
    EXPECT_FALSE(e.shadowed);
    defaults += e.is_default;
    if (e.is_default) EXPECT_EQ(e.manifest_path, newest);
  }
  EXPECT_EQ(defaults, 1);
  test::expect_error([&] { reg.find("misbehaving", "^2", "run.toml:7: dataflex.component_version"); },
                     {"run.toml:7: dataflex.component_version: no version of plugin 'misbehaving' matches \"^2\"",
                      "found 1.0.0 (", "1.10.0 ("});
  test::expect_error([&] { reg.find("misbehaving", "^^1"); }, {"dataflex.component_version: \"^^1\""});
}

TEST(Discovery, AnEarlierFolderSuppliesTheNameAndAPinFallsThroughToTheFolderThatHasIt) {
  test::TempDir rollback, installed;
  const auto old = versioned(rollback.path(), "1.0.0");
  const auto newer = versioned(installed.path(), "1.1.0");
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({rollback.str(), installed.str()}, nullptr, ""));
  EXPECT_EQ(reg.find("misbehaving").path, old);
  EXPECT_EQ(reg.find("misbehaving", "^1.1").path, newer);
  // The same name and version later in the path is shadowed, as before.
  versioned(installed.path(), "1.0.0");
  const auto again = PluginRegistry::discover(PluginSearchPath::build({rollback.str(), installed.str()}, nullptr, ""));
  int shadowed = 0;
  for (const auto& e : again.entries()) shadowed += e.shadowed;
  EXPECT_EQ(shadowed, 1);
}

TEST(Discovery, AVersionForAnotherAbiMajorIsPassedOverNotChosen) {
  test::TempDir dir;
  const auto fits = versioned(dir.path(), "1.0.0");
  versioned(dir.path(), "2.0.0", "2.0");
  const auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  EXPECT_EQ(reg.find("misbehaving").path, fits);
  test::expect_error([&] { reg.find("misbehaving", "2.0.0"); }, {"cannot be used", "ABI 2.0"});
}

TEST(Discovery, PluginFilesOthersCanWriteAreRefusedNotPassedOver) {
  test::TempDir dir;
  versioned(dir.path(), "1.0.0");
  const auto newest = versioned(dir.path(), "1.1.0");
  const fs::path folder = fs::path(newest).parent_path();
  fs::permissions(folder, fs::perms::others_write, fs::perm_options::add);
  auto reg = PluginRegistry::discover(PluginSearchPath::build({dir.str()}, nullptr, ""));
  test::expect_error([&] { reg.find("misbehaving"); },
                     {"plugin 'misbehaving' 1.1.0 cannot be used", folder.string() + " is writable by every user",
                      "--allow-insecure-plugins"});
  EXPECT_EQ(reg.find("misbehaving", "1.0.0").version, "1.0.0");  // a pin that excludes it is unaffected
  fs::permissions(folder, fs::perms::others_write, fs::perm_options::remove);
  fs::permissions(newest, fs::perms::group_write, fs::perm_options::add);
  EXPECT_EQ(untrusted_reason(newest), "") << "group-writable, but the group is root's own (the owner's)";

  fs::permissions(folder, fs::perms::others_write, fs::perm_options::add);
  auto path = PluginSearchPath::build({dir.str()}, nullptr, "");
  path.allow_insecure = true;
  reg = PluginRegistry::discover(path);
  EXPECT_EQ(reg.find("misbehaving").version, "1.1.0");
  EXPECT_TRUE(reg.find("misbehaving").insecure_allowed);
}

TEST(Discovery, StickyWorldWritableFoldersLikeTmpAreTrusted) {
  test::TempDir dir;  // under the temporary folder, which is world-writable with the sticky bit
  const auto manifest = versioned(dir.path(), "1.0.0");
  EXPECT_EQ(untrusted_reason(manifest), "");
}

}  // namespace dataflex
