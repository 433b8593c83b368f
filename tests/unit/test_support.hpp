// test_support.hpp -- temporary plugin folders and error-message checks shared by the unit tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace dataflex::test {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("dataflex_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

inline void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A manifest for the test plugins; fields can be overridden or dropped by the tests.
struct ManifestText {
  std::string name = "misbehaving";
  std::string kind = "selector";
  std::string version = "0.1.0";
  std::string abi = "1.0";
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

// Runs `f`, which must throw dataflex::Error with a one-line message containing every fragment.
inline void expect_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
  try {
    f();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "message is not one line: " << m;
    for (const auto& frag : fragments) EXPECT_NE(m.find(frag), std::string::npos) << "'" << frag << "' not in: " << m;
    return;
  }
  ADD_FAILURE() << "expected a dataflex::Error";
}

}  // namespace dataflex::test
