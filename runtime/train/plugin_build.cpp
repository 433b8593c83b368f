#include "train/plugin_build.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/semver.hpp"

namespace fs = std::filesystem;

namespace dataflex {

nlohmann::json build_record(const PluginManifest& build) {
  return {{"name", build.name}, {"version", build.version}, {"sha256", build.library_sha256}};
}

bool accept_plugin_state(const nlohmann::json& recorded, const PluginManifest& current, bool reset,
                         const std::string& where) {
  if (recorded.is_null()) return true;  // a checkpoint written before builds were recorded
  const std::string name = recorded.value("name", ""), version = recorded.value("version", "");
  const std::string sha = recorded.value("sha256", "");
  const std::string old_build = "'" + name + "' " + version, new_build = "'" + current.name + "' " + current.version;
  std::string refusal;
  if (name != current.name) {
    refusal = "the checkpoint holds the state of plugin " + old_build + " but this run uses plugin " + new_build;
  } else if (version == current.version) {
    if (!sha.empty() && sha != current.library_sha256)
      refusal = "the state was saved by " + old_build + " with library SHA-256 " + sha + ", but " +
                current.library_path + " (the same version) now has SHA-256 " + current.library_sha256 +
                ": the library was swapped after its hash was recorded";
  } else {
    const auto old_version = SemVer::parse(version);
    const bool reads = old_version && !current.reads_state_from.empty() &&
                       SemVerRange::parse(current.reads_state_from, current.path).matches(*old_version);
    if (!reads)
      refusal = "plugin " + new_build + " cannot read the state saved by " + old_build +
                (current.reads_state_from.empty()
                     ? " (its manifest declares no plugin.reads_state_from)"
                     : " (its manifest's plugin.reads_state_from = \"" + current.reads_state_from + "\")") +
                "; pin dataflex.component_version = \"" + version + "\" to resume with the build that wrote it";
  }
  if (refusal.empty()) {
    if (version != current.version)
      spdlog::info("{}: plugin {} takes over the state saved by {} (plugin.reads_state_from = \"{}\")", where,
                   new_build, old_build, current.reads_state_from);
    return true;
  }
  if (reset) {
    spdlog::warn("{}: {}; --reset-plugin-state: the plugin starts fresh (training state and data state resume)", where,
                 refusal);
    return false;
  }
  throw Error(where + ": " + refusal + ", or pass --reset-plugin-state to restart the plugin fresh");
}

void record_provenance(const std::string& output_dir, const PluginManifest* build, bool in_process, int64_t from_step,
                       bool resumed) {
  const fs::path file = fs::path(output_dir) / "plugins.json";
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  std::error_code ec;
  if (resumed && fs::exists(file, ec)) {
    try {
      std::ifstream in(file);
      list = nlohmann::ordered_json::parse(in).at("plugins");
    } catch (const nlohmann::json::exception& e) {
      throw Error(file.string() + ": malformed (" + one_line(e.what()) + "); it records which plugin builds the run " +
                  "used: restore or remove it");
    }
  }
  if (build) {
    nlohmann::ordered_json p;
    p["name"] = build->name;
    p["kind"] = to_string(build->kind);
    p["version"] = build->version;
    p["abi"] = build->abi.str();
    p["manifest"] = build->path;
    p["library"] = build->library_path;
    p["sha256"] = build->library_sha256;
    p["loaded_in"] = in_process ? "trainer process" : "isolated worker process";
    p["from_step"] = from_step;
    const bool same_as_last = !list.empty() && list.back().value("sha256", "") == build->library_sha256 &&
                              list.back().value("manifest", "") == build->path &&
                              list.back().value("name", "") == build->name;
    if (!same_as_last) list.push_back(p);
  }
  write_file_atomically(file.string(), nlohmann::ordered_json{{"plugins", list}}.dump(2) + "\n");
}

}  // namespace dataflex
