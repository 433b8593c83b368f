// recorded_run.hpp -- `dataflex-run plugins run`: decisions of one plugin against a recorded host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/param_value.hpp"
#include "plugins/manifest.hpp"

namespace dataflex {

struct RecordedRunOptions {
  std::string recording_path;                // the JSON file (docs/recorded-host.md)
  std::vector<std::string> param_overrides;  // "name=value", over the recording's "params"
  std::optional<uint64_t> seed;              // over the recording's "seed"
};

// Loads the plugin, creates it with the recording's parameters, runs every recorded call in order
// and returns the decisions as a JSON document (pretty-printed text). Throws dataflex::Error.
std::string run_recorded(const PluginManifest& manifest, const RecordedRunOptions& options,
                         std::vector<std::string>* notes);

}  // namespace dataflex
