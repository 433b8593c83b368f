// LLaMA-Factory / original-DataFlex YAML configs (config/yaml_config.hpp): keys mapped to the run config,
// the comma-separated dataset form, the components table's parameters renamed or moved, key=value
// overrides, keys without effect named once, and every unmappable key refused with its line.
#include <gtest/gtest.h>

#include "config/run_config.hpp"
#include "config/yaml_config.hpp"
#include "test_files.hpp"

namespace dataflex {
namespace {

const char* kComponents = R"(selectors:
  loss:
    name: loss
    params:
      cache_dir: ../saves/loss
      focus: "medium"
mixers:
  doremi:
    name: doremi
    params:
      reference_model_path: /ckpt/ref
      reweight_eta: 0.1
      reweight_eps: 0.01
  dynamic_moe:
    name: dynamic_moe
    params:
      eta: 10.0
)";

}  // namespace

TEST(YamlConfig, LlamaFactoryKeysAndTheComponentTableMapToTheRunConfig) {
  test::TempDir dir;
  test::write_file(dir.path() / "src/components.yaml", kComponents);
  test::write_file(dir.path() / "examples/run.yaml", R"(### model
model_name_or_path: builtin:tiny
trust_remote_code: true
### dataset
dataset: brown_news, brown_fiction
cutoff_len: 64
preprocessing_num_workers: 16
### train
learning_rate: 1.0e-4
num_train_epochs: 1.0
bf16: true
report_to: none  # choices: [none, wandb]
train_type: dynamic_select
components_cfg_file: src/components.yaml
component_name: loss
warmup_step: 10
update_times: -1
eval_strategy: steps
)");
  const std::string path = (dir.path() / "examples/run.yaml").string();
  const RunConfig cfg = RunConfig::load(path, {"seed=7", "training.save_steps=5"});
  EXPECT_EQ(cfg.get_string("model.model_name_or_path"), "builtin:tiny");
  EXPECT_EQ(cfg.get_string_list("data.dataset"), (std::vector<std::string>{"brown_news", "brown_fiction"}));
  EXPECT_EQ(cfg.get_int("data.cutoff_len"), 64);
  EXPECT_DOUBLE_EQ(cfg.get_float("training.learning_rate"), 1e-4);
  EXPECT_TRUE(cfg.get_bool("training.bf16"));
  EXPECT_EQ(cfg.get_int("training.seed"), 7);        // key=value with a LLaMA-Factory key
  EXPECT_EQ(cfg.get_int("training.save_steps"), 5);  // and a dotted one
  EXPECT_EQ(cfg.train_type(), TrainType::DynamicSelect);
  EXPECT_EQ(cfg.get_string("dataflex.component_name"), "loss");
  EXPECT_EQ(cfg.get_int("dataflex.warmup_step"), 10);
  ASSERT_EQ(cfg.plugin_params().size(), 1u);  // cache_dir has no effect here; focus is the plugin's
  EXPECT_EQ(cfg.plugin_params()[0].name, "focus");
  EXPECT_EQ(cfg.plugin_params()[0].value.string_value, "medium");
  EXPECT_NE(cfg.plugin_params()[0].origin.find("components.yaml:6: selectors.loss.params.focus"), std::string::npos)
      << cfg.plugin_params()[0].origin;
  EXPECT_NE(cfg.origin("training.learning_rate").find("run.yaml:9: learning_rate"), std::string::npos)
      << cfg.origin("training.learning_rate");
  std::string notes;
  for (const auto& n : cfg.notes()) notes += n + "\n";
  EXPECT_NE(notes.find("preprocessing_num_workers: no effect here"), std::string::npos) << notes;
  EXPECT_NE(notes.find("selectors.loss.params.cache_dir: no effect here"), std::string::npos) << notes;
}

TEST(YamlConfig, ComponentParametersAreRenamedOrMovedAsTheOriginalMeantThem) {
  test::TempDir dir;
  test::write_file(dir.path() / "components.yaml", kComponents);
  test::write_file(dir.path() / "mix.yaml",
                   "model_name_or_path: builtin:tiny\ntrain_type: dynamic_mix\ncomponents_cfg_file: components.yaml\n"
                   "component_name: doremi\nmixture_sample_rule: mixture\ninit_mixture_proportions: [0.25, 0.75]\n");
  const TranslatedConfig tr = translate_yaml_config((dir.path() / "mix.yaml").string(), {});
  const RunConfig cfg = RunConfig::load((dir.path() / "mix.yaml").string(), {});
  EXPECT_EQ(cfg.get_string("dataflex.reference_model"), "/ckpt/ref");
  std::map<std::string, std::string> params;
  for (const auto& p : cfg.plugin_params()) params[p.name] = p.value.to_string();
  EXPECT_EQ(params["eta"], "0.1");
  EXPECT_EQ(params["smoothing"], "0.01");
  EXPECT_EQ(params["initial_proportions"], "[0.25, 0.75]");
  EXPECT_NE(tr.toml_text.find("[dataflex.params]"), std::string::npos) << tr.toml_text;
}

TEST(YamlConfig, EveryKeyWithoutAnEquivalentIsRefusedWithItsLine) {
  test::TempDir dir;
  test::write_file(dir.path() / "components.yaml", kComponents);
  test::write_file(dir.path() / "moe.yaml",
                   "model_name_or_path: builtin:tiny\nfreeze_gate: true\ntrain_type: dynamic_mix\n"
                   "components_cfg_file: components.yaml\ncomponent_name: dynamic_moe\nreport_to: wandb\n");
  test::expect_error([&] { RunConfig::load((dir.path() / "moe.yaml").string(), {}); },
                     {"moe.yaml cannot be run here (3 key(s)): ", "moe.yaml:2: freeze_gate: no equivalent here",
                      "moe.yaml:6: report_to: \"wandb\" is not supported (tensorboard or none",
                      "moe.yaml:5: component_name: component "
                      "'dynamic_moe' (mixers) has no plugin here"});
}

TEST(YamlConfig, SyntaxErrorsNameTheLine) {
  test::TempDir dir;
  test::write_file(dir.path() / "bad.yaml", "model_name_or_path: builtin:tiny\ndataset: [a, b\ncutoff_len: 64\n");
  test::expect_error([&] { RunConfig::load((dir.path() / "bad.yaml").string(), {}); },
                     {"bad.yaml:", "YAML syntax error"});
}

TEST(RunConfigOverrides, FlatKeysAndCommaSeparatedDatasetsWorkForTomlConfigs) {
  test::TempDir dir;
  test::write_file(dir.path() / "run.toml", "[data]\ndataset = \"brown_news, brown_fiction\"\n");
  const RunConfig cfg = RunConfig::load((dir.path() / "run.toml").string(), {"seed=11", "cutoff_len=32"});
  EXPECT_EQ(cfg.get_string_list("data.dataset"), (std::vector<std::string>{"brown_news", "brown_fiction"}));
  EXPECT_EQ(cfg.get_int("training.seed"), 11);
  EXPECT_EQ(cfg.get_int("data.cutoff_len"), 32);
  test::expect_error([&] { RunConfig::load((dir.path() / "run.toml").string(), {"sed=1"}); },
                     {"'sed=1': no config key named 'sed'", "did you mean 'seed'"});
}

}  // namespace dataflex
