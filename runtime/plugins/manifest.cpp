#include "plugins/manifest.hpp"

#include <algorithm>

#include <cctype>
#include <filesystem>
#include <regex>

#include "config/toml_support.hpp"
#include "util/error.hpp"
#include "util/semver.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;

namespace dataflex {

const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::Selector: return "selector";
    case PluginKind::Mixer: return "mixer";
    case PluginKind::Weighter: return "weighter";
  }
  return "?";
}

std::optional<PluginKind> plugin_kind_from_string(const std::string& name) {
  if (name == "selector") return PluginKind::Selector;
  if (name == "mixer") return PluginKind::Mixer;
  if (name == "weighter") return PluginKind::Weighter;
  return std::nullopt;
}

bool PluginManifest::requires_service(const std::string& service) const {
  return std::find(host_services.begin(), host_services.end(), service) != host_services.end();
}

const ParamSpec* PluginManifest::find_param(const std::string& n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

namespace {

// Reads tables of one manifest with the file name at hand for every message.
class ManifestReader {
 public:
  explicit ManifestReader(std::string path) : path_(std::move(path)) {}

  const toml::table& table(const toml::table& parent, const std::string& key, const std::string& where, bool required) {
    const toml::node* n = parent.get(key);
    if (!n) {
      if (required) throw Error(path_ + ": missing required table [" + join_key(where, key) + "]");
      return empty_;
    }
    if (!n->is_table()) throw Error(toml_location(path_, *n) + ": '" + join_key(where, key) + "' must be a table");
    return *n->as_table();
  }

  std::optional<std::string> string(const toml::table& t, const std::string& key, const std::string& where,
                                    bool required) {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) throw Error(path_ + ": missing required field '" + join_key(where, key) + "'");
      return std::nullopt;
    }
    if (!n->is_string()) throw Error(toml_location(path_, *n) + ": '" + join_key(where, key) + "' must be a string");
    return n->as_string()->get();
  }

  std::optional<double> number(const toml::table& t, const std::string& key, const std::string& where) {
    const toml::node* n = t.get(key);
    if (!n) return std::nullopt;
    if (auto i = n->as_integer()) return double(i->get());
    if (auto f = n->as_floating_point()) return f->get();
    throw Error(toml_location(path_, *n) + ": '" + join_key(where, key) + "' must be a number");
  }

  std::vector<std::string> string_list(const toml::table& t, const std::string& key, const std::string& where) {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* arr = n->as_array();
    if (!arr) throw Error(toml_location(path_, *n) + ": '" + join_key(where, key) + "' must be an array of strings");
    for (const auto& el : *arr) {
      if (!el.is_string())
        throw Error(toml_location(path_, el) + ": '" + join_key(where, key) + "' must be an array of strings");
      out.push_back(el.as_string()->get());
    }
    return out;
  }

  ParamSpec param(const std::string& name, const toml::node& node, const std::string& plugin_name) {
    const std::string where = "params." + name;
    static const std::regex name_re("[a-z][a-z0-9_]*");
    if (!std::regex_match(name, name_re))
      throw Error(toml_location(path_, node) + ": parameter name '" + name + "' must match [a-z][a-z0-9_]*");
    const toml::table* t = node.as_table();
    if (!t) throw Error(toml_location(path_, node) + ": '" + where + "' must be a table");
    reject_unknown_keys(*t, {"type", "default", "min", "max", "exclusive_min", "exclusive_max", "choices", "help"},
                        path_, where);

    ParamSpec spec;
    spec.name = name;
    const std::string type = *string(*t, "type", where, true);
    auto pt = param_type_from_string(type);
    if (!pt)
      throw Error(toml_location(path_, *t->get("type")) + ": '" + where + ".type' = \"" + type +
                  "\" is not one of: bool, int, float, string, float_list");
    spec.type = *pt;
    spec.help = *string(*t, "help", where, true);
    spec.min = number(*t, "min", where);
    spec.max = number(*t, "max", where);
    spec.exclusive_min = number(*t, "exclusive_min", where);
    spec.exclusive_max = number(*t, "exclusive_max", where);
    const bool bounded = spec.min || spec.max || spec.exclusive_min || spec.exclusive_max;
    if (bounded && (spec.type == ParamType::Bool || spec.type == ParamType::String))
      throw Error(path_ + ": '" + where + "' has bounds but is of type " + type);
    if (spec.min && spec.max && *spec.min > *spec.max) throw Error(path_ + ": '" + where + "' has min > max");
    spec.choices = string_list(*t, "choices", where);
    if (!spec.choices.empty() && spec.type != ParamType::String)
      throw Error(path_ + ": '" + where + "' has choices but is not a string");
    if (const toml::node* d = t->get("default")) {
      // The default goes through the same checks as a user's value: a manifest cannot ship a
      // default that its own bounds refuse.
      auto v = to_param_value(*d);
      if (!v) throw Error(toml_location(path_, *d) + ": '" + where + ".default' has an unsupported TOML type");
      spec.default_value =
          resolve_params({spec}, {ParamInput{name, *v, toml_location(path_, *d) + ": " + where + ".default"}},
                         "plugin '" + plugin_name + "'", path_)[0]
              .value;
    }
    return spec;
  }

 private:
  std::string path_;
  toml::table empty_;
};

AbiVersion parse_abi(const std::string& text, const std::string& where) {
  static const std::regex re("([0-9]{1,5})\\.([0-9]{1,5})");
  std::smatch m;
  if (!std::regex_match(text, m, re))
    throw Error(where + ": 'plugin.abi' = \"" + text + "\" must be \"MAJOR.MINOR\" (e.g. \"1.0\")");
  return AbiVersion{uint32_t(std::stoul(m[1])), uint32_t(std::stoul(m[2]))};
}

}  // namespace

PluginManifest read_manifest(const std::string& path) {
  const toml::table root = parse_toml_file(path);
  ManifestReader r(path);
  reject_unknown_keys(root, {"manifest_version", "plugin", "requires", "params"}, path, "");

  const toml::node* mv = root.get("manifest_version");
  if (!mv) throw Error(path + ": missing required field 'manifest_version' (expected 1)");
  if (!mv->is_integer() || mv->as_integer()->get() != 1)
    throw Error(toml_location(path, *mv) + ": 'manifest_version' must be 1 (the only version this host reads)");

  PluginManifest m;
  m.path = path;
  const toml::table& plugin = r.table(root, "plugin", "", true);
  reject_unknown_keys(
      plugin, {"name", "kind", "version", "abi", "library", "library_sha256", "reads_state_from", "description"}, path,
      "plugin");
  m.name = *r.string(plugin, "name", "plugin", true);
  static const std::regex name_re("[a-z0-9_]+");
  if (!std::regex_match(m.name, name_re))
    throw Error(toml_location(path, *plugin.get("name")) + ": 'plugin.name' = \"" + m.name +
                "\" must match [a-z0-9_]+");
  const std::string kind = *r.string(plugin, "kind", "plugin", true);
  auto k = plugin_kind_from_string(kind);
  if (!k)
    throw Error(toml_location(path, *plugin.get("kind")) + ": 'plugin.kind' = \"" + kind +
                "\" is not one of: selector, mixer, weighter");
  m.kind = *k;
  m.version = *r.string(plugin, "version", "plugin", true);
  if (!SemVer::parse(m.version))
    throw Error(toml_location(path, *plugin.get("version")) + ": 'plugin.version' = \"" + m.version +
                "\" is not a semantic version (MAJOR.MINOR.PATCH, e.g. \"1.2.0\")");
  // Read before locating: a missing key must be reported, not dereferenced.
  const std::string abi = *r.string(plugin, "abi", "plugin", true);
  m.abi = parse_abi(abi, toml_location(path, *plugin.get("abi")));
  m.library = *r.string(plugin, "library", "plugin", true);
  m.description = r.string(plugin, "description", "plugin", false).value_or("");
  if (auto pin = r.string(plugin, "library_sha256", "plugin", false)) {
    if (!is_sha256_hex(*pin))
      throw Error(toml_location(path, *plugin.get("library_sha256")) + ": 'plugin.library_sha256' = \"" + *pin +
                  "\" is not a SHA-256 (64 hex digits)");
    for (char c : *pin) m.library_sha256_pin += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }

  if (auto reads = r.string(plugin, "reads_state_from", "plugin", false)) {
    SemVerRange::parse(*reads, toml_location(path, *plugin.get("reads_state_from")) + ": 'plugin.reads_state_from'");
    m.reads_state_from = *reads;
  }

  const toml::table& requires_table = r.table(root, "requires", "", false);
  reject_unknown_keys(requires_table, {"host_services"}, path, "requires");
  m.host_services = r.string_list(requires_table, "host_services", "requires");

  const toml::table& params = r.table(root, "params", "", false);
  for (const auto& [key, node] : params) m.params.push_back(r.param(std::string(key.str()), node, m.name));

  // The library must live inside the manifest's folder: a manifest is data, and data must not be
  // able to point the host at arbitrary code elsewhere on the machine.
  std::error_code ec;
  const fs::path folder = fs::canonical(fs::absolute(path).parent_path(), ec);
  m.folder = folder.string();
  if (fs::path(m.library).is_absolute())
    throw Error(toml_location(path, *plugin.get("library")) + ": 'plugin.library' = \"" + m.library +
                "\" must be a path relative to the manifest's folder");
  const fs::path lib = fs::weakly_canonical(folder / m.library, ec);
  const auto rel = lib.lexically_relative(folder);
  if (ec || rel.empty() || *rel.begin() == "..")
    throw Error(toml_location(path, *plugin.get("library")) + ": 'plugin.library' = \"" + m.library +
                "\" leaves the plugin's folder " + folder.string() + " (refused)");
  m.library_path = lib.string();
  return m;
}

}  // namespace dataflex
