// manifest.hpp -- a plugin's identity card (plugin.toml), read and checked before any code is loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/param_value.hpp"

namespace dataflex {

enum class PluginKind { Selector = 1, Mixer = 2, Weighter = 3 };  // values equal dfx_plugin_kind

const char* to_string(PluginKind kind);
std::optional<PluginKind> plugin_kind_from_string(const std::string& name);

struct AbiVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
};

struct PluginManifest {
  std::string path;    // the manifest file
  std::string folder;  // its folder, canonical
  std::string name;    // [a-z0-9_]+
  PluginKind kind = PluginKind::Selector;
  std::string version;             // the plugin's own version: SemVer 2.0.0 (side-by-side installs are ordered by it)
  AbiVersion abi;                  // SDK version it was built against
  std::string library;             // as written in the manifest
  std::string library_path;        // resolved against the folder; never outside it
  std::string library_sha256_pin;  // plugin.library_sha256: the library must hash to this (lower case)
  std::string library_sha256;      // what the loaded library hashed to (set by PluginLibrary::load)
  // plugin.reads_state_from: a version range ("^1.0") of the builds whose saved state this one reads
  // on resume, besides its own version's. Empty: its own version only.
  std::string reads_state_from;
  // Set by discovery under --allow-insecure-plugins: the loader skips the ownership/permission check.
  bool insecure_allowed = false;
  std::string description;
  std::vector<std::string> host_services;
  std::vector<ParamSpec> params;

  const ParamSpec* find_param(const std::string& name) const;
  bool requires_service(const std::string& service) const;  // listed in [requires] host_services
};

// Reads and checks the manifest's schema: required fields, types, unknown keys, the name's spelling,
// the kind, the ABI's "MAJOR.MINOR" form, parameter declarations, and that `library` stays inside the
// manifest's folder (symlinks resolved). Does not look at the library itself. Throws dataflex::Error
// naming the file, the line and the key.
PluginManifest read_manifest(const std::string& path);

}  // namespace dataflex
