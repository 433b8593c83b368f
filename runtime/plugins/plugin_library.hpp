// plugin_library.hpp -- loading one plugin's shared library and checking it against its manifest.
#pragma once

#include <dataflex/dataflex_plugin.h>

#include <memory>
#include <string>
#include <vector>

#include "plugins/manifest.hpp"

namespace boost::dll {
class shared_library;
}

namespace dataflex {

// A loaded library whose table passed every check. Instances keep it alive (shared_ptr), so a
// library is never unloaded while one of its instances lives.
// Provenance: the SHA-256 of the library's bytes into m.library_sha256 (recorded in the run's output
// folder and on its decisions), checked against the manifest's plugin.library_sha256 pin before any of
// its code runs. Throws dataflex::Error naming the manifest, the library and both hashes.
void record_library_digest(PluginManifest& m);

class PluginLibrary {
 public:
  // Runs the loading checks in SDK.md's order -- ABI major and minor; required host services; who
  // may write the files (plugin_trust.hpp, unless manifest.insecure_allowed); the SHA-256 pin; load the
  // library (refused if it was replaced after being hashed); resolve the entry point; cross-check name, kind and
  // version; the kind's functions -- and throws dataflex::Error naming the manifest at the first failure. Acceptable
  // oddities (a newer ABI minor that needs nothing new) are appended to `notes`. `host_minor` is the
  // ABI minor this host reports (an older one refuses services added after it: tests pose as 1.0).
  static std::shared_ptr<PluginLibrary> load(const PluginManifest& manifest, std::vector<std::string>* notes,
                                             uint32_t host_minor = DATAFLEX_ABI_VERSION_MINOR);

  // The ABI checks alone (no code is loaded): used by discovery listings as well.
  static void check_abi_and_services(const PluginManifest& manifest, std::vector<std::string>* notes,
                                     uint32_t host_minor = DATAFLEX_ABI_VERSION_MINOR);

  ~PluginLibrary();
  const dfx_plugin_api& api() const { return *api_; }
  const PluginManifest& manifest() const { return manifest_; }

 private:
  PluginLibrary() = default;
  PluginManifest manifest_;
  std::unique_ptr<boost::dll::shared_library> library_;
  const dfx_plugin_api* api_ = nullptr;
};

}  // namespace dataflex
