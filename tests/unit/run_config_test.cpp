// The run config: every key declared, unknown keys refused by file and line, --set overrides.
#include <gtest/gtest.h>

#include "config/run_config.hpp"
#include "test_support.hpp"

namespace dataflex {

class RunConfigTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto p = dir.path() / "run.toml";
    test::write_file(p, text);
    return p.string();
  }
  test::TempDir dir;
};

TEST_F(RunConfigTest, ReadsTypedValuesAndDefaults) {
  const auto cfg = RunConfig::load(write("[training]\nseed = 7\nlearning_rate = 2\n[data]\ndataset = [\"a\", \"b\"]\n"
                                         "[dataflex]\ntrain_type = \"dynamic_mix\"\ncomponent_name = \"static\"\n"
                                         "[dataflex.params]\nproportions = [1, 2]\n"),
                                   {});
  EXPECT_EQ(cfg.get_int("training.seed"), 7);
  EXPECT_DOUBLE_EQ(cfg.get_float("training.learning_rate"), 2.0);  // an int where a float is declared
  EXPECT_EQ(cfg.get_int("training.max_steps"), -1);                // default: num_train_epochs decides, as in HF
  EXPECT_EQ(cfg.get_string_list("data.dataset"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cfg.train_type(), TrainType::DynamicMix);
  ASSERT_EQ(cfg.plugin_params().size(), 1u);
  EXPECT_EQ(cfg.plugin_params()[0].name, "proportions");
  EXPECT_NE(cfg.plugin_params()[0].origin.find("run.toml:10: dataflex.params.proportions"), std::string::npos);
}

TEST_F(RunConfigTest, UnknownKeyIsRefusedWithFileLineAndSuggestion) {
  const auto path = write("[training]\nseed = 1\nmax_step = 5\n");
  test::expect_error([&] { RunConfig::load(path, {}); },
                     {path + ":3", "unknown key 'training.max_step'", "did you mean 'max_steps'"});
}

TEST_F(RunConfigTest, UnknownTableIsRefused) {
  const auto path = write("[dataflx]\ntrain_type = \"static\"\n");
  test::expect_error([&] { RunConfig::load(path, {}); }, {path, "unknown key 'dataflx'", "did you mean 'dataflex'"});
}

TEST_F(RunConfigTest, UnknownDataflexKeyIsRefused) {
  const auto path = write("[dataflex]\nupdate_time = 3\n");
  test::expect_error([&] { RunConfig::load(path, {}); },
                     {path + ":2", "'dataflex.update_time'", "did you mean 'update_times'"});
}

TEST_F(RunConfigTest, WrongTypeAndBadChoiceAreRefused) {
  const auto p1 = write("[training]\nmax_steps = \"many\"\n");
  test::expect_error([&] { RunConfig::load(p1, {}); },
                     {p1 + ":2", "'training.max_steps' of the run config must be int"});
  const auto p2 = write("[dataflex]\ntrain_type = \"dynamic\"\n");
  test::expect_error([&] { RunConfig::load(p2, {}); }, {p2 + ":2", "is not one of: static, dynamic_select"});
  const auto p3 = write("[dataflex]\nupdate_step = 0\n");
  test::expect_error([&] { RunConfig::load(p3, {}); }, {p3 + ":2", "below the minimum"});
}

TEST_F(RunConfigTest, SetOverridesTheFile) {
  const auto cfg =
      RunConfig::load(write("[training]\nseed = 7\n"),
                      {"training.seed=9", "dataflex.component_name=random", "dataflex.params.resample=false"});
  EXPECT_EQ(cfg.get_int("training.seed"), 9);
  EXPECT_EQ(cfg.get_string("dataflex.component_name"), "random");  // a bare word is a string
  ASSERT_EQ(cfg.plugin_params().size(), 1u);
  EXPECT_FALSE(cfg.plugin_params()[0].value.bool_value);
  EXPECT_EQ(cfg.plugin_params()[0].origin, "--set dataflex.params.resample=false");
}

TEST_F(RunConfigTest, SetOfAnUnknownKeyNamesTheSet) {
  const auto path = write("");
  test::expect_error([&] { RunConfig::load(path, {"training.sed=3"}); },
                     {"--set training.sed=3", "unknown key 'training.sed'", "did you mean 'seed'"});
  test::expect_error([&] { RunConfig::load(path, {"noequals"}); }, {"--set noequals: expected KEY=VALUE"});
}

TEST_F(RunConfigTest, MissingFileIsNamed) {
  test::expect_error([&] { RunConfig::load((dir.path() / "nope.toml").string(), {}); }, {"nope.toml: file not found"});
}

}  // namespace dataflex
