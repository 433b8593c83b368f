// test_support.hpp -- temporary plugin folders and manifests for the plugin-loading unit tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "test_files.hpp"
#include "util/error.hpp"

namespace dataflex::test {

namespace fs = std::filesystem;

// A manifest for the test plugins; fields can be overridden or dropped by the tests.
struct ManifestText {
  std::string name = "misbehaving";
  std::string kind = "selector";
  std::string version = "0.1.0";
  std::string abi = "1.4";
  std::string library = "libdataflex_misbehaving.so";
  std::string extra;  // appended verbatim (e.g. [requires] or [params.x])
  bool with_behaviour_param = true;

  std::string str() const {
    std::string s = "manifest_version = 1\n\n[plugin]\n";
    if (!name.empty()) s += "name = \"" + name + "\"\n";
    if (!kind.empty()) s += "kind = \"" + kind + "\"\n";
    if (!version.empty()) s += "version = \"" + version + "\"\n";
    if (!abi.empty()) s += "abi = \"" + abi + "\"\n";
    if (!library.empty()) s += "library = \"" + library + "\"\n";
    if (with_behaviour_param)
      s += "\n[params.behaviour]\ntype = \"string\"\ndefault = \"none\"\nhelp = \"what goes wrong\"\n";
    return s + extra;
  }
};

// The misbehaving test plugin built as `kind` (selector | mixer | weighter).
inline fs::path misbehaving_library(const std::string& kind) {
  return fs::path(TEST_PLUGIN_DIR) / kind / "misbehaving" / "libdataflex_misbehaving.so";
}

// Lays out ROOT/FOLDER/plugin.toml with `manifest`, and copies `library` (if given) beside it under
// the file name `library_name`. Returns the manifest's path.
inline std::string make_plugin_folder(const fs::path& root, const std::string& folder, const std::string& manifest,
                                      const fs::path& library = {},
                                      const std::string& library_name = "libdataflex_misbehaving.so") {
  const fs::path dir = root / folder;
  write_file(dir / "plugin.toml", manifest);
  if (!library.empty()) fs::copy_file(library, dir / library_name, fs::copy_options::overwrite_existing);
  return (dir / "plugin.toml").string();
}

}  // namespace dataflex::test
