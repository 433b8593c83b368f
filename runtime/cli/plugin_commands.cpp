// dataflex-run plugins list | info | run
#define BOOST_DLL_USE_STD_FS
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/dll/runtime_symbol_info.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "plugins/plugin_library.hpp"
#include "plugins/recorded_run.hpp"
#include "util/error.hpp"

namespace dataflex::cli {

namespace {
bool allow_insecure_plugins = false;
}  // namespace

void set_allow_insecure_plugins(bool allow) { allow_insecure_plugins = allow; }

PluginSearchPath plugin_search_path(const std::vector<std::string>& plugin_dirs) {
  // The installation's plugins sit at a fixed place relative to the executable (bin/ -> lib/...), in
  // the build tree as in an installed prefix, so the folder moves with a relocated installation.
  std::error_code ec;
  const auto exe = boost::dll::program_location(ec);
  const std::string install_dir =
      ec ? std::string() : (exe.parent_path().parent_path() / DATAFLEX_PLUGIN_RELDIR).lexically_normal().string();
  PluginSearchPath path = PluginSearchPath::build(plugin_dirs, std::getenv("DATAFLEX_PLUGIN_PATH"), install_dir);
  path.allow_insecure = allow_insecure_plugins;
  return path;
}

namespace {

// One discovered plugin's status. Without `check` from its manifest alone (schema, ABI, host services,
// file permissions): "found". With it, the library is loaded as a run would: "ok" or why not.
std::string status_of(const DiscoveredPlugin& d, bool check) {
  if (!d.problem.empty()) return d.problem;
  if (!check) return "found";
  try {
    std::vector<std::string> notes;
    PluginLibrary::load(*d.manifest, &notes);
    if (!notes.empty()) return "ok (built for newer ABI " + d.manifest->abi.str() + "; uses nothing this host lacks)";
    return "ok";
  } catch (const Error& e) {
    return e.what();
  }
}

// NAME or NAME@RANGE ("less@1.1.0", "less@^1.2"): the version a run with that pin would take.
const PluginManifest& find_named(const PluginRegistry& registry, const std::string& spec) {
  const size_t at = spec.find('@');
  if (at == std::string::npos) return registry.find(spec);
  return registry.find(spec.substr(0, at), spec.substr(at + 1), "'" + spec + "'");
}

std::string status_word(const DiscoveredPlugin& d, const std::string& status) {
  if (d.shadowed) return "shadowed";
  if (d.insecure) return "insecure";
  if (d.incompatible) return "incompat";
  if (status == "found" || status.rfind("ok", 0) == 0) return status.substr(0, status.find(' '));
  return "broken";
}

}  // namespace

int plugins_list(const std::vector<std::string>& plugin_dirs, bool as_json, bool check) {
  const auto registry = PluginRegistry::discover(plugin_search_path(plugin_dirs));
  nlohmann::json out = nlohmann::json::array();
  if (!as_json)
    std::cout << fmt::format("{:<16} {:<9} {:<9} {:<5} {:<8} {:<8} {}\n", "NAME", "KIND", "VERSION", "ABI", "DEFAULT",
                             "STATUS", "PATH");
  for (const auto& d : registry.entries()) {
    const std::string status = status_of(d, check);
    const bool m = d.manifest.has_value();
    const std::string name = m ? d.manifest->name : "?";
    const std::string kind = m ? to_string(d.manifest->kind) : "-";
    const std::string version = m ? d.manifest->version : "-";
    const std::string abi = m ? d.manifest->abi.str() : "-";
    const std::string word = status_word(d, status);
    if (as_json) {
      out.push_back({{"name", name},
                     {"kind", kind},
                     {"version", version},
                     {"abi", abi},
                     {"default", d.is_default},
                     {"path", d.manifest_path},
                     {"status", word},
                     {"detail", status}});
    } else {
      // The detail comes last on the line: a broken plugin's reason can be long.
      const bool fine = word == "found" || word == "ok";
      std::string detail =
          fine ? (status.size() > word.size() ? "  " + status.substr(word.size() + 1) : "") : "  -- " + status;
      std::cout << fmt::format("{:<16} {:<9} {:<9} {:<5} {:<8} {:<8} {}{}\n", name, kind, version, abi,
                               d.is_default ? "*" : "", word, d.manifest_path, detail);
    }
  }
  if (as_json) std::cout << out.dump(2) << "\n";
  if (registry.entries().empty()) {
    std::string where;
    for (const auto& dir : registry.search_path().dirs) where += " " + dir;
    spdlog::warn("no plugins found; searched:{}", where.empty() ? " (nothing)" : where);
  } else if (!check && !as_json) {
    std::cout << "(* = the version a run takes without dataflex.component_version; libraries were not loaded: "
                 "--check loads them)\n";
  }
  return 0;
}

int plugins_info(const std::vector<std::string>& plugin_dirs, const std::string& name) {
  const auto registry = PluginRegistry::discover(plugin_search_path(plugin_dirs));
  const PluginManifest& m = find_named(registry, name);
  std::vector<std::string> notes;
  PluginLibrary::load(m, &notes);
  for (const auto& n : notes) spdlog::info("{}", n);
  std::cout << m.name << " " << m.version << " (" << to_string(m.kind) << ", ABI " << m.abi.str() << ")\n";
  if (!m.description.empty()) std::cout << "  " << m.description << "\n";
  std::cout << "  manifest: " << m.path << "\n  library:  " << m.library_path << "\n";
  std::string services;
  for (const auto& s : m.host_services) services += (services.empty() ? "" : ", ") + s;
  std::cout << "  host services: " << (services.empty() ? "(none)" : services) << "\n";
  std::cout << (m.params.empty() ? "  parameters: (none)\n" : "  parameters ([dataflex.params]):\n");
  for (const auto& p : m.params) {
    std::string line = fmt::format("    {} ({}", p.name, to_string(p.type));
    line += p.default_value ? ", default " + p.default_value->to_string() : ", required";
    if (const std::string bounds = describe_bounds(p); !bounds.empty()) line += ", " + bounds;
    if (!p.choices.empty()) {
      line += ", one of:";
      for (const auto& c : p.choices) line += " " + c;
    }
    std::cout << line << ")\n        " << p.help << "\n";
  }
  return 0;
}

int plugins_run(const std::vector<std::string>& plugin_dirs, const std::string& name, const std::string& recording,
                const std::vector<std::string>& param_overrides, std::optional<uint64_t> seed) {
  const auto registry = PluginRegistry::discover(plugin_search_path(plugin_dirs));
  const PluginManifest& m = find_named(registry, name);
  std::vector<std::string> notes;
  const std::string out = run_recorded(m, RecordedRunOptions{recording, param_overrides, seed}, &notes);
  for (const auto& n : notes) spdlog::info("{}", n);
  std::cout << out << "\n";
  return 0;
}

}  // namespace dataflex::cli
