// plugin_registry.hpp -- finding plugins: the search path, and manifests read without loading code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugins/manifest.hpp"

namespace dataflex {

// The folders searched, in order: every --plugin-dir as given, then the entries of
// DATAFLEX_PLUGIN_PATH (':'-separated), then the installation's own plugin folder.
struct PluginSearchPath {
  std::vector<std::string> dirs;
  // Folders the user named explicitly (--plugin-dir) must exist; the others may be absent.
  std::vector<bool> required;

  static PluginSearchPath build(const std::vector<std::string>& plugin_dirs, const char* env_value,
                                const std::string& install_dir);
};

struct DiscoveredPlugin {
  std::string manifest_path;
  std::optional<PluginManifest> manifest;  // set when the manifest passed its schema checks
  std::string problem;                     // why the plugin cannot be used; empty when usable
  bool shadowed = false;                   // a plugin of the same name was found earlier
  // The name a broken manifest claims ([plugin].name when it reads as a string, else its folder's name):
  // a broken plugin X never lets a later X take its place unnoticed.
  std::string claimed_name;
};

class PluginRegistry {
 public:
  // Reads every plugin.toml in each search folder: FOLDER/plugin.toml and FOLDER/*/plugin.toml, in
  // sorted order. The first plugin of a name wins; later ones are kept, marked shadowed.
  static PluginRegistry discover(const PluginSearchPath& path);

  const std::vector<DiscoveredPlugin>& entries() const { return entries_; }
  const PluginSearchPath& search_path() const { return path_; }

  // The usable plugin of that name; an Error saying where it looked (and what is close) otherwise,
  // or why the plugin of that name is broken.
  const PluginManifest& find(const std::string& name) const;

 private:
  PluginSearchPath path_;
  std::vector<DiscoveredPlugin> entries_;
};

}  // namespace dataflex
