#include "plugins/plugin_registry.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace dataflex {

PluginSearchPath PluginSearchPath::build(const std::vector<std::string>& plugin_dirs, const char* env_value,
                                         const std::string& install_dir) {
  PluginSearchPath p;
  for (const auto& d : plugin_dirs) {
    p.dirs.push_back(d);
    p.required.push_back(true);
  }
  if (env_value) {
    std::string env(env_value);
    size_t start = 0;
    while (start <= env.size()) {
      const size_t end = std::min(env.find(':', start), env.size());
      if (end > start) {
        p.dirs.push_back(env.substr(start, end - start));
        p.required.push_back(false);
      }
      start = end + 1;
    }
  }
  if (!install_dir.empty()) {
    p.dirs.push_back(install_dir);
    p.required.push_back(false);
  }
  return p;
}

namespace {

// The name a broken manifest claims: [plugin].name if the file parses that far, else its folder's name.
std::string claimed_name(const fs::path& manifest) {
  try {
    const toml::table t = toml::parse_file(manifest.string());
    if (const auto name = t["plugin"]["name"].value<std::string>()) return *name;
  } catch (const toml::parse_error&) {
  }
  return manifest.parent_path().filename().string();
}

}  // namespace

PluginRegistry PluginRegistry::discover(const PluginSearchPath& path) {
  PluginRegistry reg;
  reg.path_ = path;
  std::map<std::string, std::string> first_of_name;  // name -> manifest path
  for (size_t i = 0; i < path.dirs.size(); ++i) {
    const fs::path dir(path.dirs[i]);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      if (path.required[i]) throw Error("--plugin-dir " + dir.string() + ": not a directory");
      continue;
    }
    std::vector<fs::path> manifests;
    if (fs::is_regular_file(dir / "plugin.toml", ec)) manifests.push_back(dir / "plugin.toml");
    std::vector<fs::path> subdirs;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.is_directory(ec)) subdirs.push_back(e.path());
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& s : subdirs)
      if (fs::is_regular_file(s / "plugin.toml", ec)) manifests.push_back(s / "plugin.toml");

    for (const auto& m : manifests) {
      DiscoveredPlugin d;
      d.manifest_path = m.string();
      try {
        d.manifest = read_manifest(d.manifest_path);
        auto [it, inserted] = first_of_name.emplace(d.manifest->name, d.manifest_path);
        if (!inserted) {
          d.shadowed = true;
          d.problem = "shadowed: a plugin named '" + d.manifest->name + "' was found first at " + it->second;
        }
      } catch (const Error& e) {
        d.problem = e.what();
        d.claimed_name = claimed_name(m);
      }
      reg.entries_.push_back(std::move(d));
    }
  }
  return reg;
}

const PluginManifest& PluginRegistry::find(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& e : entries_) {
    // In search order: a broken manifest of that name before any usable one is what the user meant
    // (falling back to a later copy, an installed one say, would run code they did not choose).
    if (!e.manifest && e.claimed_name == name) throw Error("plugin '" + name + "' cannot be used: " + e.problem);
    if (e.manifest && !e.shadowed) {
      if (e.manifest->name == name) return *e.manifest;
      names.push_back(e.manifest->name);
    }
  }
  std::string where;
  for (size_t i = 0; i < path_.dirs.size(); ++i) where += (i ? ", " : "") + path_.dirs[i];
  throw Error("no plugin named '" + name + "' in the plugin search path (" + (where.empty() ? "empty" : where) + ")" +
              did_you_mean(name, names));
}

}  // namespace dataflex
