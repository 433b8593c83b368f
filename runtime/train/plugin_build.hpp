// plugin_build.hpp -- which build of a plugin a run uses, recorded in the output folder and in every
// checkpoint, and whether a resumed run's build may take over the state an earlier build saved.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "plugins/manifest.hpp"

namespace dataflex {

// {"name", "version", "sha256"}: saved beside the plugin's state in each checkpoint.
nlohmann::json build_record(const PluginManifest& build);

// Rule 3 of deployments: the state saved by `recorded` (a checkpoint's build_record; null for
// checkpoints older than the record) may be loaded by `current` when it is the same build, or another
// version whose manifest's plugin.reads_state_from names the recorded version. A different plugin, a
// version it does not read, or the same version with other bytes (the library was swapped after its
// hash was recorded) is refused with one line naming both builds -- unless `reset` (--reset-plugin-state),
// when the plugin starts fresh: returns false, and the caller loads no state.
bool accept_plugin_state(const nlohmann::json& recorded, const PluginManifest& current, bool reset,
                         const std::string& where);

// output_dir/plugins.json: every build the run has loaded, oldest first; a resumed run (`resumed`) with
// another build appends it with the step it took over from. Written atomically.
void record_provenance(const std::string& output_dir, const PluginManifest* build, bool in_process, int64_t from_step,
                       bool resumed);

}  // namespace dataflex
