#include "plugins/plugin_library.hpp"

#define BOOST_DLL_USE_STD_FS
#include <boost/dll/shared_library.hpp>

#include <sys/stat.h>

#include <filesystem>

#include <dataflex/host/services.hpp>

#include "plugins/plugin_trust.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"

namespace dataflex {
namespace {

// What identifies a file's contents without reading them: a replaced (renamed over) or rewritten file
// changes its inode or its size and modification time.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileIdentity& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime_ns == o.mtime_ns;
  }
};

FileIdentity identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_size, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

}  // namespace

void PluginLibrary::check_abi_and_services(const PluginManifest& m, std::vector<std::string>* notes,
                                           uint32_t host_minor) {
  const AbiVersion host{DATAFLEX_ABI_VERSION_MAJOR, host_minor};
  if (m.abi.major != host.major)
    throw Error(m.path + ": plugin '" + m.name + "' was built against SDK ABI " + m.abi.str() +
                " but this host speaks ABI " + host.str() + " (major versions differ: rebuild the plugin " +
                "against SDK " + std::to_string(host.major) + ".x)");
  for (const auto& service : m.host_services) {
    const int64_t since = host::service_since_minor(service);
    if (since < 0)
      throw Error(m.path + ": plugin '" + m.name + "' requires host service '" + service + "', which this host (ABI " +
                  host.str() + ") does not offer");
    if (since > static_cast<int64_t>(host.minor))
      throw Error(m.path + ": plugin '" + m.name + "' requires host service '" + service + "' (added in ABI " +
                  std::to_string(host.major) + "." + std::to_string(since) + "), which this host (ABI " + host.str() +
                  ") does not offer");
  }
  if (m.abi.minor > host.minor && notes)
    notes->push_back(m.path + ": plugin '" + m.name + "' was built against newer SDK ABI " + m.abi.str() +
                     " than this host's " + host.str() +
                     "; accepted, since every host service it requires is offered here");
}

void record_library_digest(PluginManifest& m) {
  m.library_sha256 = sha256_of_file(m.library_path);
  if (!m.library_sha256_pin.empty() && m.library_sha256_pin != m.library_sha256)
    throw Error(m.path + ": library " + m.library_path + " has SHA-256 " + m.library_sha256 +
                " but plugin.library_sha256 pins " + m.library_sha256_pin + " (refused: a different build)");
}

std::shared_ptr<PluginLibrary> PluginLibrary::load(const PluginManifest& m, std::vector<std::string>* notes,
                                                   uint32_t host_minor) {
  check_abi_and_services(m, notes, host_minor);
  const std::string host_abi = std::to_string(DATAFLEX_ABI_VERSION_MAJOR) + "." + std::to_string(host_minor);

  std::error_code ec;
  if (!std::filesystem::is_regular_file(m.library_path, ec))
    throw Error(m.path + ": library '" + m.library + "' not found (looked for " + m.library_path + ")");

  check_plugin_files_trusted(m.path, m.library_path, m.insecure_allowed);
  std::shared_ptr<PluginLibrary> self(new PluginLibrary());
  self->manifest_ = m;
  const FileIdentity before = identity_of(m.library_path);
  record_library_digest(self->manifest_);
  try {
    // RTLD_LOCAL: a plugin's symbols never satisfy another plugin's; RTLD_NOW: an unresolved
    // symbol is reported here, not in the middle of training.
    self->library_ = std::make_unique<boost::dll::shared_library>(
        m.library_path, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  } catch (const std::exception& e) {
    throw Error(m.path + ": cannot load library " + m.library_path + ": " + one_line(e.what()));
  }
  // The bytes mapped must be the bytes hashed: a library replaced between the two is refused.
  if (!(identity_of(m.library_path) == before))
    throw Error(m.path + ": library " + m.library_path + " was replaced while it was being loaded, after its SHA-256 " +
                self->manifest_.library_sha256 +
                " was recorded (refused: the code run would not be the code recorded)");
  if (!self->library_->has(DATAFLEX_PLUGIN_ENTRY_SYMBOL))
    throw Error(m.path + ": library " + m.library_path + " does not export the entry symbol '" +
                DATAFLEX_PLUGIN_ENTRY_SYMBOL + "' (build it with dataflex_add_plugin or DFX_PLUGIN_EXPORT)");
  auto entry = self->library_->get<const dfx_plugin_api*(uint32_t)>(DATAFLEX_PLUGIN_ENTRY_SYMBOL);
  const dfx_plugin_api* api = entry(DFX_MAKE_ABI_VERSION(DATAFLEX_ABI_VERSION_MAJOR, host_minor));
  if (api == nullptr)
    throw Error(m.path + ": plugin '" + m.name + "' declined to serve a host of ABI " + host_abi +
                " (its entry point returned NULL)");
  const size_t v1_size = DFX_STRUCT_SIZE(dfx_plugin_api, extension_start);
  if (api->struct_size < v1_size)
    throw Error(m.path + ": plugin '" + m.name + "' returned a table of " + std::to_string(api->struct_size) +
                " bytes, smaller than the ABI 1.0 table (" + std::to_string(v1_size) + ")");
  const uint32_t lib_major = DFX_ABI_VERSION_GET_MAJOR(api->abi_version);
  const uint32_t lib_minor = DFX_ABI_VERSION_GET_MINOR(api->abi_version);
  const std::string lib_abi = std::to_string(lib_major) + "." + std::to_string(lib_minor);
  if (lib_major != DATAFLEX_ABI_VERSION_MAJOR)
    throw Error(m.path + ": library " + m.library_path + " reports ABI " + lib_abi + " but this host speaks ABI " +
                host_abi);
  if (lib_major != m.abi.major || lib_minor != m.abi.minor)
    throw Error(m.path + ": 'plugin.abi' = \"" + m.abi.str() + "\" but the library reports ABI " + lib_abi);

  const std::string lib_name = api->name ? api->name : "(null)";
  if (lib_name != m.name)
    throw Error(m.path + ": 'plugin.name' = \"" + m.name + "\" but the library " + m.library_path +
                " reports the name \"" + lib_name + "\"");
  if (api->kind != static_cast<int32_t>(m.kind)) {
    const char* lib_kind = api->kind == DFX_KIND_SELECTOR   ? "selector"
                           : api->kind == DFX_KIND_MIXER    ? "mixer"
                           : api->kind == DFX_KIND_WEIGHTER ? "weighter"
                                                            : "an unknown kind";
    throw Error(m.path + ": 'plugin.kind' = \"" + to_string(m.kind) + "\" but the library reports " + lib_kind + " (" +
                std::to_string(api->kind) + ")");
  }
  const std::string lib_version = api->version ? api->version : "(null)";
  if (lib_version != m.version)
    throw Error(m.path + ": 'plugin.version' = \"" + m.version + "\" but the library reports \"" + lib_version + "\"");

  if (!api->create || !api->destroy)
    throw Error(m.path + ": plugin '" + m.name + "' lacks the required function '" +
                (api->create ? "destroy" : "create") + "'");
  const bool has_decision = (m.kind == PluginKind::Selector && api->select) ||
                            (m.kind == PluginKind::Mixer && api->mix) ||
                            (m.kind == PluginKind::Weighter && api->weight);
  if (!has_decision)
    throw Error(m.path + ": plugin '" + m.name + "' is a " + to_string(m.kind) + " but its '" +
                (m.kind == PluginKind::Selector ? "select"
                 : m.kind == PluginKind::Mixer  ? "mix"
                                                : "weight") +
                "' function is NULL");
  if ((api->save_state == nullptr) != (api->load_state == nullptr))
    throw Error(m.path + ": plugin '" + m.name + "' must provide both save_state and load_state, or neither");
  self->api_ = api;
  return self;
}

PluginLibrary::~PluginLibrary() = default;

}  // namespace dataflex
