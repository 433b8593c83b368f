#include "plugins/plugin_registry.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "plugins/plugin_library.hpp"
#include "plugins/plugin_trust.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"
#include "util/semver.hpp"

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

std::vector<fs::path> sorted_subdirs(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

PluginRegistry PluginRegistry::discover(const PluginSearchPath& path) {
  PluginRegistry reg;
  reg.path_ = path;
  std::map<std::pair<std::string, std::string>, std::string> first_of;  // (name, version) -> manifest path
  for (size_t i = 0; i < path.dirs.size(); ++i) {
    const fs::path dir(path.dirs[i]);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      if (path.required[i]) throw Error("--plugin-dir " + dir.string() + ": not a directory");
      continue;
    }
    std::vector<fs::path> manifests;
    if (fs::is_regular_file(dir / "plugin.toml", ec)) manifests.push_back(dir / "plugin.toml");
    for (const auto& name_dir : sorted_subdirs(dir)) {
      if (fs::is_regular_file(name_dir / "plugin.toml", ec)) manifests.push_back(name_dir / "plugin.toml");
      for (const auto& version_dir : sorted_subdirs(name_dir))  // the installed layout NAME/VERSION/
        if (fs::is_regular_file(version_dir / "plugin.toml", ec)) manifests.push_back(version_dir / "plugin.toml");
    }

    for (const auto& m : manifests) {
      DiscoveredPlugin d;
      d.manifest_path = m.string();
      d.folder_index = i;
      try {
        d.manifest = read_manifest(d.manifest_path);
        d.manifest->insecure_allowed = path.allow_insecure;
        auto [it, inserted] = first_of.emplace(std::make_pair(d.manifest->name, d.manifest->version), d.manifest_path);
        if (!inserted) {
          d.shadowed = true;
          d.problem =
              "shadowed: '" + d.manifest->name + "' " + d.manifest->version + " was found first at " + it->second;
        } else {
          try {
            check_plugin_files_trusted(d.manifest->path, d.manifest->library_path, path.allow_insecure);
          } catch (const Error& e) {
            d.insecure = true;
            d.problem = e.what();
          }
          if (d.problem.empty()) {
            try {
              PluginLibrary::check_abi_and_services(*d.manifest, nullptr);
            } catch (const Error& e) {
              d.incompatible = true;
              d.problem = e.what();
            }
          }
        }
      } catch (const Error& e) {
        d.problem = e.what();
        d.claimed_name = claimed_name(m);
      }
      reg.entries_.push_back(std::move(d));
    }
  }
  // Which version of each name a run takes without a pin (for plugins list).
  for (auto& d : reg.entries_) {
    if (!d.manifest || !d.problem.empty()) continue;
    try {
      const DiscoveredPlugin& chosen = reg.choose(d.manifest->name, "", "");
      for (auto& e : reg.entries_) e.is_default = e.is_default || &e == &chosen;
    } catch (const Error&) {
    }
  }
  return reg;
}

const DiscoveredPlugin& PluginRegistry::choose(const std::string& name, const std::string& version_range,
                                               const std::string& range_origin) const {
  const SemVerRange range = SemVerRange::parse(version_range, range_origin);
  auto version_of = [](const DiscoveredPlugin& e) { return *SemVer::parse(e.manifest->version); };
  const DiscoveredPlugin* chosen = nullptr;
  for (const auto& e : entries_) {
    if (!e.manifest || !e.problem.empty() || e.manifest->name != name || !range.matches(version_of(e))) continue;
    if (chosen && e.folder_index > chosen->folder_index) break;  // entries are in search order
    if (!chosen || version_of(*chosen) < version_of(e)) chosen = &e;
  }
  // A broken or insecure plugin of this name where the run would look first is what the user meant:
  // falling back to another copy (an installed one, an older version) would run code they did not choose.
  for (const auto& e : entries_) {
    if (chosen && e.folder_index > chosen->folder_index) break;
    if (!e.manifest && e.claimed_name == name) throw Error("plugin '" + name + "' cannot be used: " + e.problem);
    if (e.manifest && e.insecure && e.manifest->name == name && range.matches(version_of(e)))
      throw Error("plugin '" + name + "' " + e.manifest->version + " cannot be used: " + e.problem);
  }
  if (chosen) return *chosen;

  std::vector<std::string> names;
  std::string versions, incompatible;
  for (const auto& e : entries_) {
    if (!e.manifest || e.shadowed) continue;
    if (e.manifest->name != name) {
      names.push_back(e.manifest->name);
    } else if (e.incompatible) {
      // The pin names it (or nothing else has the name): its reason is the answer.
      if (incompatible.empty() && range.matches(version_of(e)))
        incompatible = "plugin '" + name + "' " + e.manifest->version + " cannot be used: " + e.problem;
    } else {
      versions += (versions.empty() ? "" : ", ") + e.manifest->version + " (" + e.manifest_path + ")";
    }
  }
  if (!incompatible.empty()) throw Error(incompatible);
  if (!versions.empty())
    throw Error(range_origin + ": no version of plugin '" + name + "' matches \"" + version_range + "\"; found " +
                versions);
  std::string where;
  for (size_t i = 0; i < path_.dirs.size(); ++i) where += (i ? ", " : "") + path_.dirs[i];
  throw Error("no plugin named '" + name + "' in the plugin search path (" + (where.empty() ? "empty" : where) + ")" +
              did_you_mean(name, names));
}

const PluginManifest& PluginRegistry::find(const std::string& name, const std::string& version_range,
                                           const std::string& range_origin) const {
  return *choose(name, version_range, range_origin).manifest;
}

}  // namespace dataflex
