// run_config.hpp -- the run config (TOML), checked key by key against a declared schema.
//
// A config has tables [model], [data], [training] (named after LLaMA-Factory's argument groups, with
// its key names) and [dataflex] with [dataflex.params] for the plugin. Every key is declared in
// config_schema.cpp with its type, default and help; an unknown key anywhere is an error naming the
// file, the line and the key, with a "did you mean" where one is close.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/param_value.hpp"

namespace dataflex {

enum class TrainType { Static, DynamicSelect, DynamicMix, DynamicWeight };
const char* to_string(TrainType t);

// One declared key of the run config.
struct ConfigKey {
  std::string table;  // "model", "data", "training", "dataflex"
  std::string name;
  ParamType type;
  ParamValue default_value;
  std::vector<std::string> choices;  // strings only; empty = any
  std::optional<double> min;         // numbers only
  std::string help;
  std::string dotted() const { return table + "." + name; }
};
const std::vector<ConfigKey>& config_schema();

class RunConfig {
 public:
  // Reads `path` (TOML, or a LLaMA-Factory / original-DataFlex YAML: yaml_config.hpp), applies
  // `overrides` ("dotted.key=value", value in TOML syntax or a bare string; "key=value" with a flat key:
  // a LLaMA-Factory key for a YAML config, the one schema key of that name for a TOML one), and checks
  // every key. Throws dataflex::Error with a one-line message.
  static RunConfig load(const std::string& path, const std::vector<std::string>& overrides);
  // Every key at its declared default (no file).
  static RunConfig defaults();

  const std::string& path() const { return path_; }
  // Typed access to a declared key ("training.seed"); the value set or its default.
  const ParamValue& get(const std::string& dotted_key) const;
  int64_t get_int(const std::string& k) const { return get(k).int_value; }
  double get_float(const std::string& k) const { return get(k).float_value; }
  bool get_bool(const std::string& k) const { return get(k).bool_value; }
  const std::string& get_string(const std::string& k) const { return get(k).string_value; }
  const std::vector<std::string>& get_string_list(const std::string& k) const { return get(k).string_list; }
  const std::vector<double>& get_float_list(const std::string& k) const { return get(k).float_list; }
  // Whether the user set the key (in the file or with --set).
  bool is_set(const std::string& dotted_key) const;

  TrainType train_type() const;
  // [dataflex.params] as written, for validation against the plugin's manifest.
  const std::vector<ParamInput>& plugin_params() const { return plugin_params_; }
  // Where a key was set, for messages: "FILE:LINE: key" or "--set key".
  std::string origin(const std::string& dotted_key) const;
  // A YAML config's keys accepted without effect here, each with why (to be said once).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  std::string path_;
  std::map<std::string, ParamValue> values_;
  std::map<std::string, std::string> origins_;
  std::vector<ParamInput> plugin_params_;
  std::vector<std::string> notes_;
};

}  // namespace dataflex
