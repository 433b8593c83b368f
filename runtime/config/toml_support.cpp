#include "config/toml_support.hpp"

#include <filesystem>

#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace dataflex {

toml::table parse_toml_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": file not found (expected a TOML file)");
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    // "key: value" where TOML wants "key = value": most likely a YAML config under another name.
    const std::string what = one_line(std::string(e.description()));
    const bool yaml_like = what.find("expected '='") != std::string::npos && what.find("saw ':'") != std::string::npos;
    throw Error(path + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": TOML syntax error: " + what +
                (yaml_like ? " (this looks like a YAML config: YAML files are read when named .yaml or .yml)" : ""));
  }
}

std::string toml_location(const std::string& file, const toml::node& node) {
  const auto& src = node.source();
  if (src.begin.line == 0) return file;
  return file + ":" + std::to_string(src.begin.line);
}

std::string join_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

void reject_unknown_keys(const toml::table& table, const std::vector<std::string>& allowed, const std::string& file,
                         const std::string& prefix) {
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    bool known = false;
    for (const auto& a : allowed) known = known || a == k;
    if (known) continue;
    std::string msg = toml_location(file, node) + ": unknown key '" + join_key(prefix, k) + "'";
    const std::string hint = did_you_mean(k, allowed);
    if (!hint.empty()) {
      msg += hint;
    } else {
      msg += "; allowed here:";
      for (size_t i = 0; i < allowed.size(); ++i) msg += (i ? ", " : " ") + allowed[i];
    }
    throw Error(msg);
  }
}

std::optional<ParamValue> to_param_value(const toml::node& node) {
  if (auto v = node.as_boolean()) return ParamValue::of_bool(v->get());
  if (auto v = node.as_integer()) return ParamValue::of_int(v->get());
  if (auto v = node.as_floating_point()) return ParamValue::of_float(v->get());
  if (auto v = node.as_string()) return ParamValue::of_string(v->get());
  if (auto arr = node.as_array()) {
    if (!arr->empty() && arr->is_homogeneous(toml::node_type::string)) {
      std::vector<std::string> strings;
      for (const auto& el : *arr) strings.push_back(el.as_string()->get());
      return ParamValue::of_string_list(std::move(strings));
    }
    std::vector<double> list;
    for (const auto& el : *arr) {
      if (auto i = el.as_integer())
        list.push_back(double(i->get()));
      else if (auto f = el.as_floating_point())
        list.push_back(f->get());
      else
        return std::nullopt;
    }
    return ParamValue::of_float_list(std::move(list));
  }
  return std::nullopt;
}

}  // namespace dataflex
