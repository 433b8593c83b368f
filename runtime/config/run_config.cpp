#include "config/run_config.hpp"

#include <algorithm>

#include "config/toml_support.hpp"
#include "config/yaml_config.hpp"
#include "util/did_you_mean.hpp"
#include "util/error.hpp"

namespace dataflex {

const char* to_string(TrainType t) {
  switch (t) {
    case TrainType::Static: return "static";
    case TrainType::DynamicSelect: return "dynamic_select";
    case TrainType::DynamicMix: return "dynamic_mix";
    case TrainType::DynamicWeight: return "dynamic_weight";
  }
  return "?";
}

namespace {

const ConfigKey* find_key(const std::string& dotted) {
  for (const auto& k : config_schema())
    if (k.dotted() == dotted) return &k;
  return nullptr;
}

std::vector<std::string> tables_of_schema() {
  std::vector<std::string> out;
  for (const auto& k : config_schema())
    if (std::find(out.begin(), out.end(), k.table) == out.end()) out.push_back(k.table);
  return out;
}

// A --set value: TOML syntax when it parses ("3", "1e-4", "[0.5, 0.5]", "\"x\""), otherwise the text
// itself as a string, so that `--set dataflex.component_name=random` needs no quotes.
toml::table parse_override_value(const std::string& text) {
  try {
    return toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    toml::table t;
    t.insert("v", text);
    return t;
  }
}

void apply_override(toml::table& root, const std::string& assignment, std::map<std::string, std::string>& origins,
                    std::map<std::string, std::string>& texts) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("--set " + assignment + ": expected KEY=VALUE with a dotted key, e.g. training.seed=7");
  const std::string key = assignment.substr(0, eq);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& p : parts)
    if (p.empty()) throw Error("--set " + assignment + ": empty part in the key '" + key + "'");
  toml::table* t = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* n = t->get(parts[i]);
    if (n == nullptr) n = &t->insert_or_assign(parts[i], toml::table{}).first->second;
    if (!n->is_table()) throw Error("--set " + assignment + ": '" + parts[i] + "' is not a table in the config");
    t = n->as_table();
  }
  toml::table parsed = parse_override_value(assignment.substr(eq + 1));
  t->insert_or_assign(parts.back(), std::move(*parsed.get("v")));
  origins[key] = "--set " + assignment;
  texts[key] = assignment.substr(eq + 1);
}

// "seed=7" on a TOML config: the one schema key named seed ("training.seed=7").
std::string qualify_flat_override(const std::string& assignment) {
  const std::string key = assignment.substr(0, assignment.find('='));
  std::vector<std::string> names, matches;
  for (const auto& k : config_schema()) {
    names.push_back(k.name);
    if (k.name == key) matches.push_back(k.dotted());
  }
  if (matches.size() == 1) return matches[0] + assignment.substr(key.size());
  if (matches.empty())
    throw Error("'" + assignment + "': no config key named '" + key + "'" + did_you_mean(key, names) +
                " (dataflex-run config keys lists them)");
  throw Error("'" + assignment + "': '" + key + "' names " + matches[0] + " and " + matches[1] +
              ": write the dotted key");
}

}  // namespace

RunConfig RunConfig::load(const std::string& path, const std::vector<std::string>& overrides) {
  RunConfig cfg;
  cfg.path_ = path;
  std::map<std::string, std::string> set_origins, set_texts;
  std::vector<std::string> dotted, flat;
  for (const auto& o : overrides) {
    const size_t eq = o.find('=');
    (eq != std::string::npos && o.substr(0, eq).find('.') == std::string::npos ? flat : dotted).push_back(o);
  }
  toml::table root;
  if (is_yaml_config(path)) {
    TranslatedConfig tr = translate_yaml_config(path, flat);
    root = toml::parse(tr.toml_text, path);
    set_origins = tr.origins;
    cfg.notes_ = tr.notes;
  } else {
    root = parse_toml_file(path);
    for (const auto& o : flat) dotted.push_back(qualify_flat_override(o));
  }
  for (const auto& o : dotted) apply_override(root, o, set_origins, set_texts);

  auto origin_of = [&](const std::string& dotted, const toml::node& node) {
    auto it = set_origins.find(dotted);
    return it != set_origins.end() ? it->second : toml_location(path, node) + ": " + dotted;
  };

  const std::vector<std::string> tables = tables_of_schema();
  // A key given by --set has no line in the file: name the --set instead.
  auto reject_unknown = [&](const toml::table& t, const std::vector<std::string>& allowed, const std::string& prefix) {
    for (const auto& [k, node] : t) {
      const std::string dotted = join_key(prefix, std::string(k.str()));
      auto it = set_origins.find(dotted);
      if (it != set_origins.end() && std::find(allowed.begin(), allowed.end(), std::string(k.str())) == allowed.end())
        throw Error(it->second + ": unknown key '" + dotted + "'" + did_you_mean(std::string(k.str()), allowed));
    }
    reject_unknown_keys(t, allowed, path, prefix);
  };
  reject_unknown(root, tables, "");

  for (const auto& table_name : tables) {
    const toml::node* tn = root.get(table_name);
    if (tn == nullptr) continue;
    if (!tn->is_table()) throw Error(origin_of(table_name, *tn) + " must be a table");
    const toml::table& t = *tn->as_table();
    std::vector<std::string> allowed;
    for (const auto& k : config_schema())
      if (k.table == table_name) allowed.push_back(k.name);
    if (table_name == "dataflex") allowed.push_back("params");
    reject_unknown(t, allowed, table_name);

    for (const auto& [k, node] : t) {
      const std::string name(k.str());
      const std::string dotted = table_name + "." + name;
      if (dotted == "dataflex.params") {
        if (!node.is_table()) throw Error(origin_of(dotted, node) + " must be a table of plugin parameters");
        for (const auto& [pk, pnode] : *node.as_table()) {
          const std::string pdotted = dotted + "." + std::string(pk.str());
          auto v = to_param_value(pnode);
          if (!v)
            throw Error(origin_of(pdotted, pnode) +
                        ": unsupported value (expected a bool, number, string or array of numbers)");
          ParamInput input{std::string(pk.str()), *v, origin_of(pdotted, pnode)};
          auto raw = set_texts.find(pdotted);
          if (raw != set_texts.end()) input.command_line_text = raw->second;
          cfg.plugin_params_.push_back(std::move(input));
        }
        continue;
      }
      const ConfigKey& key = *find_key(dotted);
      auto v = to_param_value(node);
      // The message names the key itself, so the origin is just the place: FILE:LINE or --set.
      auto it = set_origins.find(dotted);
      const std::string where = it != set_origins.end() ? it->second : toml_location(path, node);
      if (!v) throw Error(where + ": '" + dotted + "' has an unsupported value (expected " + to_string(key.type) + ")");
      ParamSpec spec;
      spec.name = dotted;
      spec.type = key.type;
      spec.min = key.min;
      spec.choices = key.choices;
      // The same conversion and checks as plugin parameters: one rule set for typed values.
      cfg.values_[dotted] = resolve_params({spec}, {ParamInput{dotted, *v, where}}, "the run config", path)[0].value;
      cfg.origins_[dotted] = origin_of(dotted, node);
    }
  }
  return cfg;
}

RunConfig RunConfig::defaults() {
  RunConfig cfg;
  cfg.path_ = "(defaults)";
  return cfg;
}

const ParamValue& RunConfig::get(const std::string& dotted_key) const {
  auto it = values_.find(dotted_key);
  if (it != values_.end()) return it->second;
  const ConfigKey* k = find_key(dotted_key);
  if (k == nullptr) throw Error("internal: undeclared config key '" + dotted_key + "'");
  return k->default_value;
}

bool RunConfig::is_set(const std::string& dotted_key) const { return values_.count(dotted_key) != 0; }

std::string RunConfig::origin(const std::string& dotted_key) const {
  auto it = origins_.find(dotted_key);
  return it != origins_.end() ? it->second : path_ + ": " + dotted_key + " (default)";
}

TrainType RunConfig::train_type() const {
  const std::string& t = get_string("dataflex.train_type");
  if (t == "dynamic_select") return TrainType::DynamicSelect;
  if (t == "dynamic_mix") return TrainType::DynamicMix;
  if (t == "dynamic_weight") return TrainType::DynamicWeight;
  return TrainType::Static;
}

}  // namespace dataflex
