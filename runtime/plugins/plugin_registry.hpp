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
  // --allow-insecure-plugins: plugins whose files others could write are used anyway.
  bool allow_insecure = false;

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
  size_t folder_index = 0;    // which search folder it was found in
  bool incompatible = false;  // its ABI or host services do not fit this host: skipped when choosing
  bool insecure = false;      // others could write its files (plugin_trust.hpp): refused, never skipped
  bool is_default = false;    // the version a run takes without dataflex.component_version
};

class PluginRegistry {
 public:
  // Reads every plugin.toml in each search folder, in sorted order: FOLDER/plugin.toml,
  // FOLDER/NAME/plugin.toml and the installed layout FOLDER/NAME/VERSION/plugin.toml. No library is
  // loaded. Several versions of a name live side by side; a later copy of a name and version already
  // found is kept, marked shadowed.
  static PluginRegistry discover(const PluginSearchPath& path);

  const std::vector<DiscoveredPlugin>& entries() const { return entries_; }
  const PluginSearchPath& search_path() const { return path_; }

  // The plugin a run of that name takes. The first search folder holding a usable version of the name
  // that matches `version_range` (dataflex.component_version; empty: any) supplies it: its highest
  // such version. So a folder earlier in the search path (--plugin-dir, DATAFLEX_PLUGIN_PATH) swaps a
  // build without touching the installed ones, and a pin falls through to the folder that has it.
  // Versions whose ABI or host services do not fit this host are skipped; a broken or insecure
  // plugin of the name at or before that folder is an error (never silently passed over), as is no
  // match: the Error says where it looked, what versions there are, or what is close. `range_origin`
  // names the pin in messages.
  const PluginManifest& find(const std::string& name, const std::string& version_range = "",
                             const std::string& range_origin = "dataflex.component_version") const;

 private:
  const DiscoveredPlugin& choose(const std::string& name, const std::string& version_range,
                                 const std::string& range_origin) const;

  PluginSearchPath path_;
  std::vector<DiscoveredPlugin> entries_;
};

}  // namespace dataflex
