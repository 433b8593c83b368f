// yaml_config.hpp -- LLaMA-Factory / original-DataFlex YAML run configs, translated to our TOML config.
//
// Flat LLaMA-Factory keys map to [model] / [data] / [training] / [dataflex]; the original project's
// train_type, component_name, components_cfg_file (its selectors: / mixers: / weighters: tables),
// warmup_step, update_step, update_times, train_step, mixture_sample_rule and init_mixture_proportions
// map to [dataflex] and [dataflex.params]. Keys that only tune the original's Python machinery
// (preprocessing_num_workers, ddp_timeout, ...) are accepted and named once as having no effect here;
// every other key is refused, each with the line it is on -- none is silently dropped.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dataflex {

bool is_yaml_config(const std::string& path);

struct TranslatedConfig {
  std::string toml_text;                       // the equivalent run config (dataflex-run migrate prints it)
  std::map<std::string, std::string> origins;  // dotted key -> "x.yaml:12: yaml_key", for messages
  std::vector<std::string> notes;              // keys accepted without effect here, and why
};

// Reads `path`, applies `overrides` (LLaMA-Factory's `key=value`, flat keys, values in YAML syntax)
// and translates. Throws dataflex::Error: a YAML syntax error with its line, or every key and component
// that cannot be mapped, each with its line, in one message ("; "-separated).
TranslatedConfig translate_yaml_config(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace dataflex
