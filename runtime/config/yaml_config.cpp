#include "config/yaml_config.hpp"

#include <toml++/toml.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "config/run_config.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace dataflex {
namespace {

// LLaMA-Factory keys with the same meaning here, by the table they belong to.
const std::map<std::string, std::string>& direct_keys() {
  static const std::map<std::string, std::string> keys = [] {
    std::map<std::string, std::string> m;
    for (const char* k : {"model_name_or_path", "adapter_name_or_path", "finetuning_type", "lora_rank", "lora_alpha",
                          "lora_dropout", "lora_target", "freeze_trainable_layers", "freeze_trainable_modules"})
      m[k] = std::string("model.") + k;
    for (const char* k : {"dataset_dir", "dataset", "eval_dataset", "cutoff_len", "stage", "template",
                          "train_on_prompt", "packing", "val_size", "max_samples"})
      m[k] = std::string("data.") + k;
    for (const char* k : {"output_dir",
                          "seed",
                          "overwrite_output_dir",
                          "resume_from_checkpoint",
                          "max_steps",
                          "num_train_epochs",
                          "lr_scheduler_type",
                          "warmup_steps",
                          "warmup_ratio",
                          "weight_decay",
                          "adam_beta1",
                          "adam_beta2",
                          "adam_epsilon",
                          "max_grad_norm",
                          "per_device_eval_batch_size",
                          "logging_steps",
                          "eval_steps",
                          "save_steps",
                          "save_total_limit",
                          "bf16",
                          "per_device_train_batch_size",
                          "gradient_accumulation_steps",
                          "learning_rate"})
      m[k] = std::string("training.") + k;
    for (const char* k : {"component_name", "warmup_step", "update_step", "update_times"})
      m[k] = std::string("dataflex.") + k;
    m["train_step"] = "training.max_steps";  // the original's total steps (over num_train_epochs)
    return m;
  }();
  return keys;
}

// Keys that tune the original's Python machinery: accepted, without effect here.
const std::map<std::string, std::string>& no_effect_keys() {
  static const std::map<std::string, std::string> keys = {
      {"trust_remote_code", "no remote code is run"},
      {"do_train", "a run trains"},
      {"overwrite_cache", "tokenized data is not cached"},
      {"preprocessing_num_workers", "data is tokenized in the trainer"},
      {"dataloader_num_workers", "batches are drawn in the trainer"},
      {"ddp_timeout", "distributed.timeout_s bounds a stalled collective"},
      {"save_only_model", "checkpoints keep the optimizer state (exact resume needs it)"},
      {"greater_is_better", "no best model is tracked"},
      {"metric_for_best_model", "no best model is tracked"},
      {"flash_attn", "attention is LibTorch's"},
      {"components_cfg_file", "read for component_name's parameters"},
      {"deepspeed", "DeepSpeed is not used; ZeRO-1 optimizer sharding over ranks is distributed.shard_optimizer_state"},
  };
  return keys;
}

// The original's components (section -> name) and the plugin each maps to here.
std::optional<std::string> plugin_for(const std::string& section, const std::string& name) {
  static const std::map<std::pair<std::string, std::string>, std::string> table = {
      {{"selectors", "nice"}, "nice"},
      {{"selectors", "less"}, "less"},
      {{"selectors", "cluster_less"}, "cluster_less"},
      {{"selectors", "loss"}, "loss"},
      {{"selectors", "delta_loss"}, "delta_loss"},
      {{"selectors", "tsds"}, "tsds"},
      {{"selectors", "near"}, "near"},
      {{"selectors", "random"}, "random"},
      {{"mixers", "doremi"}, "doremi"},
      {{"mixers", "static"}, "static"},
      {{"mixers", "odm"}, "odm"},
      {{"weighters", "loss"}, "loss_reweight"},
      {{"weighters", "adapt"}, "adapt"},
  };
  auto it = table.find({section, name});
  if (it == table.end()) return std::nullopt;
  return it->second;
}

// A component parameter of the original: renamed ("eta"), moved to a run-config key ("dataflex.X"),
// without effect here ("-reason"), or refused ("!reason"). Absent: passed on under its own name (the
// plugin's manifest then checks it).
std::optional<std::string> param_rule(const std::string& plugin, const std::string& param) {
  static const std::map<std::string, std::string> any = {
      {"cache_dir", "-features and scores live in memory and in checkpoints"},
      {"save_interval", "-features and scores live in memory and in checkpoints"},
  };
  static const std::map<std::string, std::map<std::string, std::string>> per_plugin = {
      {"less", {{"gradient_type", "=adam"}}},
      {"cluster_less",
       {{"gradient_type", "=adam"},
        {"clustering_max_iter", "kmeans_iterations"},
        {"clustering_method", "clustering"},
        {"representative_strategy", "representatives"},
        {"clustering_batch_size", "-embeddings are computed in dataflex.signal_batch_size batches"},
        {"embedding_model_name_or_path", "dataflex.embedding_model"},
        {"embedding_model_dtype", "-the embedding model runs in float32 on CPU"}}},
      {"nice",
       {{"gradient_type", "=adam"},
        {"generation_temperature", "temperature"},
        {"max_prompt_length", "-prompts are cut at data.cutoff_len"},
        {"reward_model_backend",
         "!vLLM and API reward backends are not available: use params.reward "
         "(token_f1, exact_match, rouge_l) or dataflex.reward_model"},
        {"reward_backend_params", "!vLLM and API reward backends are not available"}}},
      {"random",
       {{"seed", "-the plugin is seeded from training.seed"}, {"replacement", "dataflex.select_with_replacement"}}},
      {"doremi",
       {{"reference_model_path", "dataflex.reference_model"}, {"reweight_eta", "eta"}, {"reweight_eps", "smoothing"}}},
  };
  if (auto p = per_plugin.find(plugin); p != per_plugin.end())
    if (auto r = p->second.find(param); r != p->second.end()) return r->second;
  if (auto r = any.find(param); r != any.end()) return r->second;
  return std::nullopt;
}

struct Translator {
  std::string path;
  toml::table root;
  TranslatedConfig out;
  std::vector<std::string> refusals;

  std::string where(const YAML::Node& node, const std::string& key) const {
    return path + ":" + std::to_string(node.Mark().line + 1) + ": " + key;
  }
  void refuse(const YAML::Node& node, const std::string& key, const std::string& why) {
    refusals.push_back(where(node, key) + ": " + why);
  }

  toml::table& table_of(const std::string& dotted, std::string* leaf) {
    toml::table* t = &root;
    size_t start = 0;
    while (true) {
      const size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) break;
      const std::string part = dotted.substr(start, dot - start);
      if (!t->get(part)) t->insert_or_assign(part, toml::table{});
      t = t->get(part)->as_table();
      start = dot + 1;
    }
    *leaf = dotted.substr(start);
    return *t;
  }

  // A YAML scalar or sequence as the TOML value of `type` (schema keys), or as what it reads as
  // (plugin parameters: bool, integer, float, string; a sequence of numbers).
  bool put(const std::string& dotted, const YAML::Node& value, const std::string& origin,
           std::optional<ParamType> type) {
    std::string leaf;
    toml::table& t = table_of(dotted, &leaf);
    try {
      if (value.IsSequence()) {
        toml::array a;
        bool strings = type && *type == ParamType::StringList;
        for (const auto& item : value) {
          if (!item.IsScalar()) return false;
          if (strings)
            a.push_back(item.as<std::string>());
          else
            a.push_back(item.as<double>());
        }
        t.insert_or_assign(leaf, std::move(a));
      } else if (value.IsScalar()) {
        const std::string text = value.Scalar();
        const ParamType want = type ? *type : guess_type(value);
        switch (want) {
          case ParamType::Bool: t.insert_or_assign(leaf, value.as<bool>()); break;
          case ParamType::Int: t.insert_or_assign(leaf, value.as<int64_t>()); break;
          case ParamType::Float: t.insert_or_assign(leaf, value.as<double>()); break;
          case ParamType::FloatList: t.insert_or_assign(leaf, toml::array{value.as<double>()}); break;
          case ParamType::String:
          case ParamType::StringList: t.insert_or_assign(leaf, text); break;
        }
      } else {
        return false;
      }
    } catch (const YAML::Exception&) {
      refusals.push_back(origin + ": '" + value.Scalar() + "' is not " +
                         (type ? std::string("a ") + to_string(*type) : "a supported value"));
      return true;
    }
    out.origins[dotted] = origin;
    return true;
  }

  static ParamType guess_type(const YAML::Node& v) {
    static const std::regex integer("[-+]?[0-9]+"), number("[-+]?([0-9]*\\.[0-9]+|[0-9]+\\.?[0-9]*)([eE][-+]?[0-9]+)?");
    const std::string s = v.Scalar();
    if (v.Tag() != "!" && (s == "true" || s == "false" || s == "True" || s == "False")) return ParamType::Bool;
    if (v.Tag() != "!" && std::regex_match(s, integer)) return ParamType::Int;
    if (v.Tag() != "!" && std::regex_match(s, number)) return ParamType::Float;
    return ParamType::String;
  }

  static std::optional<ParamType> schema_type(const std::string& dotted) {
    for (const auto& k : config_schema())
      if (k.dotted() == dotted) return k.type;
    return std::nullopt;
  }
};

fs::path find_components_file(const std::string& yaml_path, const std::string& name) {
  const fs::path p(name);
  if (p.is_absolute()) return p;
  std::error_code ec;
  if (fs::exists(p, ec)) return p;
  // The original resolves it from its project root: look beside the YAML and in the folders above.
  for (fs::path dir = fs::absolute(yaml_path).parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / p, ec)) return dir / p;
    if (dir == dir.root_path()) break;
  }
  return p;
}

YAML::Node load_yaml(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path + ": cannot read the run config (no such file)");
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Error(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                ": YAML syntax error: " + e.msg);
  }
}

}  // namespace

bool is_yaml_config(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".yaml" || ext == ".yml";
}

TranslatedConfig translate_yaml_config(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node doc = load_yaml(path);
  if (!doc.IsMap()) throw Error(path + ": a run config must be a mapping of keys to values (LLaMA-Factory's form)");
  Translator tr;
  tr.path = path;

  // key=value overrides, as LLaMA-Factory's CLI takes them: flat keys, YAML values.
  std::map<std::string, std::string> override_origin;
  std::vector<std::pair<std::string, std::string>> dotted_overrides;  // our own keys, set after translating
  for (const auto& o : overrides) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("'" + o + "': expected key=value");
    const std::string key = o.substr(0, eq);
    if (key.find('.') != std::string::npos) {
      dotted_overrides.emplace_back(key, o);
      continue;
    }
    try {
      doc[key] = YAML::Load(o.substr(eq + 1));
    } catch (const YAML::Exception& e) {
      throw Error("'" + o + "': the value is not YAML: " + e.msg);
    }
    override_origin[key] = "'" + o + "' (command line)";
  }
  auto origin = [&](const YAML::Node& v, const std::string& key) {
    auto it = override_origin.find(key);
    return it != override_origin.end() ? it->second : tr.where(v, key);
  };

  std::string train_type = "static", component, components_file;
  YAML::Node component_node, init_proportions, static_mix_node;
  bool static_mix = false;
  for (const auto& kv : doc) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    const bool null = v.IsNull();
    if (auto d = direct_keys().find(key); d != direct_keys().end()) {
      if (null) continue;
      if (key == "component_name") component = v.Scalar(), component_node = v;
      if (!tr.put(d->second, v, origin(v, key), Translator::schema_type(d->second)))
        tr.refuse(v, key, "expected a value, not a " + std::string(v.IsMap() ? "mapping" : "sequence"));
    } else if (auto n = no_effect_keys().find(key); n != no_effect_keys().end()) {
      if (key == "components_cfg_file" && !null) components_file = v.Scalar();
      if (key != "components_cfg_file") tr.out.notes.push_back(key + ": no effect here (" + n->second + ")");
    } else if (key == "train_type") {
      const std::string t = v.Scalar();
      if (t == "static_full" || t == "static") {
        train_type = "static";
      } else if (t == "dynamic_select" || t == "dynamic_mix" || t == "dynamic_weight") {
        train_type = t;
      } else {
        tr.refuse(v, key, "\"" + t + "\" is not one of static_full, dynamic_select, dynamic_mix, dynamic_weight");
        continue;
      }
      tr.put("dataflex.train_type", YAML::Node(train_type), origin(v, key), ParamType::String);
    } else if (key == "report_to") {
      std::vector<std::string> targets;
      if (v.IsSequence()) {
        for (const auto& item : v) targets.push_back(item.Scalar());
      } else if (!null) {
        targets.push_back(v.Scalar());
      }
      std::string unsupported;
      for (const auto& t : targets)
        if (t != "none" && t != "tensorboard") unsupported += (unsupported.empty() ? "\"" : ", \"") + t + "\"";
      if (!unsupported.empty())
        tr.refuse(v, key, unsupported + " is not supported (tensorboard or none; W&B imports TensorBoard's files)");
      else if (!null)
        tr.put("training.report_to", v, origin(v, key), ParamType::StringList);
    } else if (key == "plot_loss") {
      if (!null) tr.put("training.plot_loss", v, origin(v, key), ParamType::Bool);
    } else if (key == "eval_strategy" || key == "evaluation_strategy") {
      const std::string s = null ? "no" : v.Scalar();
      if (s == "no") {
        tr.put("training.eval_steps", YAML::Node(0), origin(v, key), ParamType::Int);
      } else if (s != "steps") {
        tr.refuse(v, key, "\"" + s + "\" is not supported (steps or no: evaluation every eval_steps)");
      }
    } else if (key == "load_best_model_at_end") {
      if (!null && v.as<bool>()) tr.refuse(v, key, "true is not supported (the last model is kept)");
    } else if (key == "train_from_scratch") {
      if (!null && v.as<bool>() && doc["model_name_or_path"] &&
          doc["model_name_or_path"].Scalar().rfind("builtin:", 0) != 0)
        tr.refuse(v, key, "true is supported for builtin models only (a Hugging Face model's weights are loaded)");
    } else if (key == "mixture_sample_rule") {
      if (!null && v.Scalar() != "mixture")
        tr.refuse(v, key, "\"" + v.Scalar() + "\" is not supported (mixture: batches follow the mixer's proportions)");
    } else if (key == "init_mixture_proportions") {
      init_proportions = v;
    } else if (key == "static_mix") {
      static_mix = !null && v.as<bool>();
      static_mix_node = v;
    } else {
      tr.refuse(v, key, "no equivalent here");
    }
  }

  // The component's parameters from the components table (its selectors: / mixers: / weighters:).
  std::string plugin;
  if (!component.empty()) {
    const std::string section = train_type == "dynamic_select"   ? "selectors"
                                : train_type == "dynamic_mix"    ? "mixers"
                                : train_type == "dynamic_weight" ? "weighters"
                                                                 : "";
    YAML::Node entry;
    std::string table_path;
    if (!components_file.empty() && !section.empty()) {
      table_path = find_components_file(path, components_file).string();
      const YAML::Node table = load_yaml(table_path);
      if (table[section] && table[section][component]) entry = table[section][component];
    }
    const std::string name = entry && entry["name"] ? entry["name"].as<std::string>() : component;
    const auto mapped = section.empty() ? std::optional<std::string>(component) : plugin_for(section, name);
    if (!mapped) {
      tr.refuse(component_node, "component_name",
                "component '" + name + "' (" + section +
                    ") has no plugin here (selectors: nice, less, cluster_less, "
                    "loss, delta_loss, tsds, near, random; mixers: doremi, static, odm; weighters: loss, adapt)");
    } else {
      plugin = *mapped;
      tr.put("dataflex.component_name", YAML::Node(plugin), origin(component_node, "component_name"),
             ParamType::String);
      if (entry && entry["params"] && entry["params"].IsMap()) {
        for (const auto& p : entry["params"]) {
          const std::string param = p.first.as<std::string>();
          const YAML::Node& pv = p.second;
          if (pv.IsNull()) continue;  // the plugin's default
          const std::string at = table_path + ":" + std::to_string(pv.Mark().line + 1) + ": " + section + "." +
                                 component + ".params." + param;
          const auto rule = param_rule(plugin, param);
          if (!rule) {
            if (!tr.put("dataflex.params." + param, pv, at, std::nullopt))
              tr.refusals.push_back(at + ": nested values are not supported");
          } else if ((*rule)[0] == '-') {
            tr.out.notes.push_back(section + "." + component + ".params." + param + ": no effect here (" +
                                   rule->substr(1) + ")");
          } else if ((*rule)[0] == '!') {
            tr.refusals.push_back(at + ": " + rule->substr(1));
          } else if ((*rule)[0] == '=') {
            if (pv.Scalar() != rule->substr(1))
              tr.refusals.push_back(at + ": only \"" + rule->substr(1) + "\" is supported");
          } else if (rule->rfind("dataflex.", 0) == 0) {
            tr.put(*rule, pv, at, Translator::schema_type(*rule));
          } else {
            tr.put("dataflex.params." + *rule, pv, at, std::nullopt);
          }
        }
      }
    }
  }
  // The original's static mixing without a component: the fixed init_mixture_proportions.
  if (static_mix && component.empty() && train_type == "dynamic_mix") {
    plugin = "static";
    tr.put("dataflex.component_name", YAML::Node(plugin), origin(static_mix_node, "static_mix"), ParamType::String);
  }
  if (static_mix && plugin != "static" && !plugin.empty())
    tr.refusals.push_back("static_mix: true needs component_name: static (a fixed mixture), not '" + plugin + "'");
  if (init_proportions && !init_proportions.IsNull() && !plugin.empty()) {
    // The mixture batches are drawn from before the mixer's first decision: its initial proportions.
    const std::string param = plugin == "static" ? "proportions" : "initial_proportions";
    if (plugin != "static" && plugin != "odm" && plugin != "doremi")
      tr.refuse(init_proportions, "init_mixture_proportions", "only the static, odm and doremi mixers take one");
    else if (!tr.root["dataflex"]["params"][param])
      tr.put("dataflex.params." + param, init_proportions, origin(init_proportions, "init_mixture_proportions"),
             ParamType::FloatList);
  }
  for (const auto& [key, assignment] : dotted_overrides) {
    const YAML::Node value = YAML::Load(assignment.substr(key.size() + 1));
    const auto type = Translator::schema_type(key);
    if (!type && key.rfind("dataflex.params.", 0) != 0)
      tr.refusals.push_back("'" + assignment + "': no config key named '" + key + "'");
    else
      tr.put(key, value, "'" + assignment + "' (command line)", type);
  }
  if (!tr.refusals.empty()) {
    std::string msg = path + " cannot be run here (" + std::to_string(tr.refusals.size()) + " key(s)): ";
    for (size_t i = 0; i < tr.refusals.size(); ++i) msg += (i ? "; " : "") + tr.refusals[i];
    throw Error(msg);
  }
  std::ostringstream text;
  text << "# Translated from " << path << " (dataflex-run migrate)\n";
  for (const auto& n : tr.out.notes) text << "# " << n << "\n";
  text << toml::toml_formatter(tr.root) << "\n";
  tr.out.toml_text = text.str();
  return tr.out;
}

}  // namespace dataflex
