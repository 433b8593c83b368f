// param_value.hpp -- typed plugin parameters: what a manifest declares and what a config gives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dataflex {

// Values equal dfx_param_type's.
// StringList is for run-config keys only: manifests cannot declare it, so plugins never see it.
enum class ParamType { Bool = 1, Int = 2, Float = 3, String = 4, FloatList = 5, StringList = 6 };

const char* to_string(ParamType type);
// "bool" | "int" | "float" | "string" | "float_list"; nullopt for anything else.
std::optional<ParamType> param_type_from_string(const std::string& name);

struct ParamValue {
  ParamType type = ParamType::Int;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0;
  std::string string_value;
  std::vector<double> float_list;
  std::vector<std::string> string_list;

  static ParamValue of_bool(bool v);
  static ParamValue of_int(int64_t v);
  static ParamValue of_float(double v);
  static ParamValue of_string(std::string v);
  static ParamValue of_float_list(std::vector<double> v);
  static ParamValue of_string_list(std::vector<std::string> v);

  // TOML-like rendering, for logs and `plugins info` (floats in their shortest exact form: 0.0005).
  std::string to_string() const;
};

// A value as the user wrote it, with where it came from for error messages
// (e.g. "configs/run.toml:12: dataflex.params.k" or "--set dataflex.params.k").
struct ParamInput {
  std::string name;
  ParamValue value;
  std::string origin;
  // For a value typed on the command line: the text as given. A parameter declared as a string takes
  // it verbatim, so `--set mode=nan` or `--set tag=1` mean the strings "nan" and "1".
  std::optional<std::string> command_line_text = std::nullopt;
};

// One parameter as declared in a manifest's [params.NAME] table.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Float;
  std::optional<ParamValue> default_value;  // absent: the parameter is required
  std::optional<double> min, max;           // numbers, and every element of a float list: inclusive bounds
  std::vector<std::string> choices;         // strings: the allowed values, when not empty
  std::string help;
  std::optional<double> exclusive_min, exclusive_max;  // bounds the value must not reach (JSON Schema's)
};

// The bounds of a spec as a person reads them: ">= 0.001", "> 0", "<= 1", or "" when none. Integers
// are shown as integers.
std::string describe_bounds(const ParamSpec& spec);
// A double in its shortest form that reads back exactly, with ".0" when integral (TOML's float spelling).
std::string format_double(double v);

struct NamedParam {
  std::string name;
  ParamValue value;
};

// Checks `inputs` against `specs` (owned by `owner`, e.g. "plugin 'random'") and returns every declared parameter with
// its value (the input's, converted where lossless -- an int for a float, an int list for a float list -- or the
// default). Throws dataflex::Error naming the input's origin for an unknown name (with a suggestion), a wrong type, a
// value out of bounds or not among the choices, and a missing required parameter.
std::vector<NamedParam> resolve_params(const std::vector<ParamSpec>& specs, const std::vector<ParamInput>& inputs,
                                       const std::string& owner, const std::string& manifest_path);

}  // namespace dataflex
