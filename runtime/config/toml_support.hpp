// toml_support.hpp -- TOML++ helpers shared by the run config and the plugin manifests:
// parse with file:line errors, reject unknown keys with a suggestion, read typed values.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>
#include <vector>

#include "config/param_value.hpp"

namespace dataflex {

// Parses a TOML file; a missing file or a syntax error is a dataflex::Error "FILE:LINE:COL: ...".
toml::table parse_toml_file(const std::string& path);

// "FILE:LINE" of a node (or just FILE when the node has no source position).
std::string toml_location(const std::string& file, const toml::node& node);

// Every key of `table` must be in `allowed`; otherwise an Error names the file, the line and the full
// dotted key, with a "did you mean" where one is close. `prefix` is the table's dotted path ("" for root).
void reject_unknown_keys(const toml::table& table, const std::vector<std::string>& allowed, const std::string& file,
                         const std::string& prefix);

// A TOML scalar or array of numbers as a ParamValue; nullopt for tables, dates and mixed arrays.
std::optional<ParamValue> to_param_value(const toml::node& node);

// Joins "a" and "b" into "a.b" ("b" when a is empty).
std::string join_key(const std::string& prefix, const std::string& key);

}  // namespace dataflex
