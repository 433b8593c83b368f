#include "config/param_value.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace dataflex {

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::String: return "string";
    case ParamType::FloatList: return "float_list";
    case ParamType::StringList: return "string_list";
  }
  return "?";
}

std::optional<ParamType> param_type_from_string(const std::string& name) {
  if (name == "bool") return ParamType::Bool;
  if (name == "int") return ParamType::Int;
  if (name == "float") return ParamType::Float;
  if (name == "string") return ParamType::String;
  if (name == "float_list") return ParamType::FloatList;
  return std::nullopt;
}

ParamValue ParamValue::of_bool(bool v) {
  ParamValue p;
  p.type = ParamType::Bool;
  p.bool_value = v;
  return p;
}
ParamValue ParamValue::of_int(int64_t v) {
  ParamValue p;
  p.type = ParamType::Int;
  p.int_value = v;
  return p;
}
ParamValue ParamValue::of_float(double v) {
  ParamValue p;
  p.type = ParamType::Float;
  p.float_value = v;
  return p;
}
ParamValue ParamValue::of_string(std::string v) {
  ParamValue p;
  p.type = ParamType::String;
  p.string_value = std::move(v);
  return p;
}
ParamValue ParamValue::of_float_list(std::vector<double> v) {
  ParamValue p;
  p.type = ParamType::FloatList;
  p.float_list = std::move(v);
  return p;
}
ParamValue ParamValue::of_string_list(std::vector<std::string> v) {
  ParamValue p;
  p.type = ParamType::StringList;
  p.string_list = std::move(v);
  return p;
}

namespace {

// Converts `in` to the declared type where no information is lost; nullopt otherwise.
std::optional<ParamValue> convert(const ParamValue& in, ParamType want) {
  if (in.type == want) return in;
  if (want == ParamType::Float && in.type == ParamType::Int) return ParamValue::of_float(double(in.int_value));
  // An empty TOML array reads as a float list; it is an empty list of any element type.
  if (want == ParamType::StringList && in.type == ParamType::FloatList && in.float_list.empty())
    return ParamValue::of_string_list({});
  // LLaMA-Factory's comma-separated form: dataset = "alpaca_en_demo,identity".
  if (want == ParamType::StringList && in.type == ParamType::String) {
    std::vector<std::string> items;
    size_t start = 0;
    while (start <= in.string_value.size()) {
      const size_t end = std::min(in.string_value.find(',', start), in.string_value.size());
      std::string item = in.string_value.substr(start, end - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) items.push_back(item);
      start = end + 1;
    }
    return ParamValue::of_string_list(items);
  }
  return std::nullopt;
}

// Integers are shown as integers: "k = 0 is below the minimum 1".
std::string show_number(const ParamSpec& spec, double x) {
  return spec.type == ParamType::Int && std::abs(x) < 9e15 ? std::to_string(int64_t(x)) : format_double(x);
}

void check_bounds(const ParamSpec& spec, double v, const std::string& origin, const std::string& what) {
  auto show = [&](double x) { return show_number(spec, x); };
  if (!std::isfinite(v)) throw Error(origin + ": " + what + " must be a finite number, got " + show(v));
  if (spec.min && v < *spec.min)
    throw Error(origin + ": " + what + " = " + show(v) + " is below the minimum " + show(*spec.min));
  if (spec.max && v > *spec.max)
    throw Error(origin + ": " + what + " = " + show(v) + " is above the maximum " + show(*spec.max));
  if (spec.exclusive_min && !(v > *spec.exclusive_min))
    throw Error(origin + ": " + what + " = " + show(v) + " must be above " + show(*spec.exclusive_min));
  if (spec.exclusive_max && !(v < *spec.exclusive_max))
    throw Error(origin + ": " + what + " = " + show(v) + " must be below " + show(*spec.exclusive_max));
}

}  // namespace

std::string format_double(double v) {
  std::string out = fmt::format("{}", v);  // shortest round-trip form, fixed notation where short
  if (out.find_first_of(".eEn") == std::string::npos) out += ".0";  // keep TOML's float spelling
  return out;
}

std::string describe_bounds(const ParamSpec& spec) {
  std::string out;
  auto add = [&](const char* op, const std::optional<double>& bound) {
    if (bound) out += (out.empty() ? "" : ", ") + std::string(op) + " " + show_number(spec, *bound);
  };
  add(">=", spec.min);
  add(">", spec.exclusive_min);
  add("<=", spec.max);
  add("<", spec.exclusive_max);
  return out;
}

std::string ParamValue::to_string() const {
  switch (type) {
    case ParamType::Bool: return bool_value ? "true" : "false";
    case ParamType::Int: return std::to_string(int_value);
    case ParamType::Float: return format_double(float_value);
    case ParamType::String: return "\"" + string_value + "\"";
    case ParamType::FloatList: {
      std::string s = "[";
      for (size_t i = 0; i < float_list.size(); ++i) s += (i ? ", " : "") + format_double(float_list[i]);
      return s + "]";
    }
    case ParamType::StringList: {
      std::string s = "[";
      for (size_t i = 0; i < string_list.size(); ++i) s += std::string(i ? ", " : "") + "\"" + string_list[i] + "\"";
      return s + "]";
    }
  }
  return "?";
}

std::vector<NamedParam> resolve_params(const std::vector<ParamSpec>& specs, const std::vector<ParamInput>& inputs,
                                       const std::string& owner, const std::string& manifest_path) {
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);

  std::vector<std::optional<ParamValue>> given(specs.size());
  for (const auto& in : inputs) {
    size_t idx = specs.size();
    for (size_t i = 0; i < specs.size(); ++i)
      if (specs[i].name == in.name) idx = i;
    if (idx == specs.size()) {
      std::string known = names.empty() ? "it declares none" : "it declares:";
      for (size_t i = 0; i < names.size(); ++i) known += (i ? ", " : " ") + names[i];
      throw Error(in.origin + ": unknown parameter '" + in.name + "' for " + owner + did_you_mean(in.name, names) +
                  "; " + known);
    }
    const ParamSpec& spec = specs[idx];
    auto v = spec.type == ParamType::String && in.command_line_text && in.value.type != ParamType::String
                 ? std::optional<ParamValue>(ParamValue::of_string(*in.command_line_text))
                 : convert(in.value, spec.type);
    if (!v)
      throw Error(in.origin + ": '" + in.name + "' of " + owner + " must be " + to_string(spec.type) + ", got " +
                  to_string(in.value.type) + " " + in.value.to_string());
    if (spec.type == ParamType::Int || spec.type == ParamType::Float)
      check_bounds(spec, spec.type == ParamType::Int ? double(v->int_value) : v->float_value, in.origin,
                   "'" + in.name + "'");
    if (spec.type == ParamType::FloatList)
      for (size_t i = 0; i < v->float_list.size(); ++i)
        check_bounds(spec, v->float_list[i], in.origin, "'" + in.name + "'[" + std::to_string(i) + "]");
    if (spec.type == ParamType::String && !spec.choices.empty()) {
      bool ok = false;
      for (const auto& c : spec.choices) ok = ok || c == v->string_value;
      if (!ok) {
        std::string list;
        for (size_t i = 0; i < spec.choices.size(); ++i) list += (i ? ", " : "") + spec.choices[i];
        throw Error(in.origin + ": '" + in.name + "' = \"" + v->string_value + "\" is not one of: " + list +
                    did_you_mean(v->string_value, spec.choices));
      }
    }
    given[idx] = std::move(*v);
  }

  std::vector<NamedParam> out;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (given[i]) {
      out.push_back({specs[i].name, *given[i]});
    } else if (specs[i].default_value) {
      out.push_back({specs[i].name, *specs[i].default_value});
    } else {
      throw Error(manifest_path + ": " + owner + " requires parameter '" + specs[i].name + "' (" +
                  to_string(specs[i].type) + ", no default) and the run config does not set it");
    }
  }
  return out;
}

}  // namespace dataflex
