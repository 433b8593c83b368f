// plugin.toml: the schema checks that run before any library is loaded.
#include <gtest/gtest.h>

#include "plugins/manifest.hpp"
#include "test_support.hpp"

namespace dataflex {

using test::ManifestText;

class ManifestTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto p = dir.path() / "p" / "plugin.toml";
    test::write_file(p, text);
    return p.string();
  }
  test::TempDir dir;
};

TEST_F(ManifestTest, ReadsEveryField) {
  ManifestText t;
  t.extra =
      "[requires]\nhost_services = [\"sample_losses\"]\n[params.k]\ntype = \"int\"\ndefault = 3\nmin = 1\nhelp = "
      "\"k\"\n";
  const auto m = read_manifest(write(t.str()));
  EXPECT_EQ(m.name, "misbehaving");
  EXPECT_EQ(m.kind, PluginKind::Selector);
  EXPECT_EQ(m.abi.major, 1u);
  EXPECT_EQ(m.abi.minor, 4u);
  EXPECT_EQ(m.host_services, std::vector<std::string>{"sample_losses"});
  ASSERT_NE(m.find_param("k"), nullptr);
  EXPECT_EQ(m.find_param("k")->default_value->int_value, 3);
  EXPECT_EQ(m.library_path, (dir.path() / "p" / "libdataflex_misbehaving.so").lexically_normal().string());
}

TEST_F(ManifestTest, MissingFieldIsNamed) {
  ManifestText t;
  t.version = "";
  const auto path = write(t.str());
  test::expect_error([&] { read_manifest(path); }, {path, "missing required field 'plugin.version'"});
}

TEST_F(ManifestTest, WrongKindIsRefused) {
  ManifestText t;
  t.kind = "sorter";
  const auto path = write(t.str());
  test::expect_error([&] { read_manifest(path); },
                     {path + ":", "'plugin.kind' = \"sorter\" is not one of: selector, mixer, weighter"});
}

TEST_F(ManifestTest, MalformedAbiIsRefused) {
  ManifestText t;
  t.abi = "1";
  const auto path = write(t.str());
  test::expect_error([&] { read_manifest(path); }, {path, "must be \"MAJOR.MINOR\""});
}

TEST_F(ManifestTest, BadNameIsRefused) {
  ManifestText t;
  t.name = "My-Plugin";
  const auto path = write(t.str());
  test::expect_error([&] { read_manifest(path); }, {path, "must match [a-z0-9_]+"});
}

TEST_F(ManifestTest, UnknownKeyIsRefusedWithASuggestion) {
  const auto path = write(ManifestText{}.str() + "[requires]\nhost_service = []\n");
  test::expect_error([&] { read_manifest(path); },
                     {path + ":", "unknown key 'requires.host_service'", "did you mean 'host_services'"});
}

TEST_F(ManifestTest, LibraryPathEscapingTheFolderIsRefused) {
  ManifestText t;
  t.library = "../elsewhere/libevil.so";
  const auto path = write(t.str());
  test::expect_error([&] { read_manifest(path); }, {path, "leaves the plugin's folder", "refused"});
  t.library = "/usr/lib/libevil.so";
  const auto abs = write(t.str());
  test::expect_error([&] { read_manifest(abs); }, {abs, "must be a path relative to the manifest's folder"});
}

TEST_F(ManifestTest, SymlinkLeadingOutOfTheFolderIsRefused) {
  ManifestText t;
  t.library = "lib/libx.so";
  const auto path = write(t.str());
  test::write_file(dir.path() / "outside" / "libx.so", "not a library");
  std::filesystem::create_directory_symlink(dir.path() / "outside", dir.path() / "p" / "lib");
  test::expect_error([&] { read_manifest(path); }, {path, "leaves the plugin's folder"});
}

TEST_F(ManifestTest, ParameterWithoutHelpOrWithBadTypeIsRefused) {
  const auto path = write(ManifestText{}.str() + "[params.k]\ntype = \"int\"\ndefault = 1\n");
  test::expect_error([&] { read_manifest(path); }, {path, "missing required field 'params.k.help'"});
  const auto path2 = write(ManifestText{}.str() + "[params.k]\ntype = \"integer\"\nhelp = \"k\"\n");
  test::expect_error([&] { read_manifest(path2); }, {path2, "'params.k.type' = \"integer\" is not one of"});
}

TEST_F(ManifestTest, DefaultOutsideItsOwnBoundsIsRefused) {
  const auto path = write(ManifestText{}.str() + "[params.k]\ntype = \"int\"\ndefault = 0\nmin = 1\nhelp = \"k\"\n");
  test::expect_error([&] { read_manifest(path); }, {path, "params.k.default", "below the minimum"});
}

TEST_F(ManifestTest, TomlSyntaxErrorNamesLineAndColumn) {
  const auto path = write("manifest_version = 1\n[plugin\n");
  test::expect_error([&] { read_manifest(path); }, {path + ":2:", "TOML syntax error"});
}

TEST_F(ManifestTest, ExclusiveBoundsAreReadAndHeldToTheDefault) {
  ManifestText t;
  t.extra = "[params.t]\ntype = \"float\"\ndefault = 1.0\nexclusive_min = 0.0\nhelp = \"t\"\n";
  const auto m = read_manifest(write(t.str()));
  EXPECT_EQ(m.find_param("t")->exclusive_min, 0.0);
  EXPECT_EQ(describe_bounds(*m.find_param("t")), "> 0.0");
  t.extra = "[params.t]\ntype = \"float\"\ndefault = 0.0\nexclusive_min = 0.0\nhelp = \"t\"\n";
  test::expect_error([&] { read_manifest(write(t.str())); }, {"params.t.default", "'t' = 0.0 must be above 0.0"});
  t.extra = "[params.s]\ntype = \"string\"\ndefault = \"x\"\nexclusive_max = 1\nhelp = \"s\"\n";
  test::expect_error([&] { read_manifest(write(t.str())); }, {"'params.s' has bounds but is of type string"});
}

TEST_F(ManifestTest, EveryMissingRequiredFieldIsNamedNeverACrash) {
  // Regression (issue 12): a manifest without `abi` dereferenced the missing key while building the
  // error's location, and every command that discovers plugins died with SIGSEGV.
  for (const char* field : {"name", "kind", "version", "abi", "library"}) {
    ManifestText t;
    if (std::string(field) == "name") t.name = "";
    if (std::string(field) == "kind") t.kind = "";
    if (std::string(field) == "version") t.version = "";
    if (std::string(field) == "abi") t.abi = "";
    if (std::string(field) == "library") t.library = "";
    const auto path = write(t.str());
    test::expect_error([&] { read_manifest(path); },
                       {path, "missing required field 'plugin." + std::string(field) + "'"});
  }
}

}  // namespace dataflex
