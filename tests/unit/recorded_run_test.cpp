// `plugins run`: decisions of the shipped plugins against recorded host answers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plugins/recorded_run.hpp"
#include "test_support.hpp"

namespace dataflex {

using json = nlohmann::json;

namespace {

PluginManifest shipped(const std::string& name) {
  return read_manifest(std::string(SHIPPED_PLUGIN_DIR) + "/" + name + "/plugin.toml");
}

json run(const std::string& plugin, const std::string& recording, std::vector<std::string> sets = {},
         std::optional<uint64_t> seed = std::nullopt) {
  return json::parse(
      run_recorded(shipped(plugin), {std::string(RECORDINGS_DIR) + "/" + recording, sets, seed}, nullptr));
}

}  // namespace

TEST(RecordedRun, RandomIsReproducibleForASeedAndDiffersForAnother) {
  const auto a = run("random", "select_pool10.json");
  const auto b = run("random", "select_pool10.json");
  const auto c = run("random", "select_pool10.json", {}, 8);
  ASSERT_EQ(a["decisions"].size(), 2u);
  EXPECT_EQ(a["decisions"], b["decisions"]);
  EXPECT_NE(a["decisions"][0]["selected"], c["decisions"][0]["selected"]);
  // A fresh subset per decision, each one distinct ids of the pool.
  EXPECT_NE(a["decisions"][0]["selected"], a["decisions"][1]["selected"]);
  for (const auto& d : a["decisions"]) {
    std::set<int64_t> ids(d["selected"].begin(), d["selected"].end());
    EXPECT_EQ(ids.size(), 4u);
    EXPECT_LT(*ids.rbegin(), 10);
  }
}

TEST(RecordedRun, RandomWithoutResampleKeepsOneSubset) {
  const auto a = run("random", "select_pool10.json", {"resample=false"});
  EXPECT_EQ(a["decisions"][0]["selected"], a["decisions"][1]["selected"]);
}

TEST(RecordedRun, RandomDrawsAreUniform) {
  // 2000 seeds x 4 of 10: each id is chosen 800 times in expectation (sd ~ 22).
  std::vector<int> counts(10, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    const auto r = run("random", "select_pool10.json", {}, seed);
    for (const auto& id : r["decisions"][0]["selected"]) counts[id.get<size_t>()]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 800, 110);
}

TEST(RecordedRun, StaticMixerIsUniformByDefaultAndFollowsItsList) {
  const auto u = run("static", "mix_three_domains.json");
  for (const auto& p : u["decisions"][1]["proportions"]) EXPECT_NEAR(p.get<double>(), 1.0 / 3, 1e-12);
  const auto l = run("static", "mix_three_domains.json", {"proportions=[2, 1, 1]"});
  EXPECT_EQ(l["decisions"][0]["proportions"], json({0.5, 0.25, 0.25}));
}

TEST(RecordedRun, StaticMixerReadsAProportionsFile) {
  test::TempDir dir;
  const auto file = dir.path() / "p.toml";
  test::write_file(file, "learned = 2\nnews = 1\nfiction = 1\n");
  const auto r = run("static", "mix_three_domains.json", {"proportions_file=\"" + file.string() + "\""});
  EXPECT_EQ(r["decisions"][0]["proportions"], json({0.25, 0.25, 0.5}));
  test::write_file(file, "news = 1\n");
  test::expect_error([&] { run("static", "mix_three_domains.json", {"proportions_file=\"" + file.string() + "\""}); },
                     {"failed in mix", "no proportion for domain 'fiction'"});
}

TEST(RecordedRun, StaticMixerRefusesAListOfTheWrongLength) {
  test::expect_error([] { run("static", "mix_three_domains.json", {"proportions=[1, 1]"}); },
                     {"failed in mix", "'proportions' has 2 values but the run has 3 domains"});
}

TEST(RecordedRun, UniformWeighterGivesOneToEverySample) {
  const auto r = run("uniform", "weight_batch4.json");
  EXPECT_EQ(r["decisions"][0]["weights"], json({1.0, 1.0, 1.0, 1.0}));
  EXPECT_DOUBLE_EQ(r["decisions"][0]["weighted_loss"].get<double>(), 2.5);
}

TEST(RecordedRun, MalformedRecordingIsNamed) {
  test::TempDir dir;
  const auto file = dir.path() / "bad.json";
  test::write_file(file, "{\"calls\": [ {\"num_select\": 2}, ]}");
  test::expect_error(
      [&] {
        run_recorded(shipped("random"), {file.string(), {}, std::nullopt}, nullptr);
      },
      {file.string(), "JSON syntax error"});
  test::write_file(file, "{\"calls\": [ {\"step\": 2} ]}");
  test::expect_error(
      [&] {
        run_recorded(shipped("random"), {file.string(), {}, std::nullopt}, nullptr);
      },
      {file.string() + ": calls[0]: missing 'num_select'"});
}

// Issue 12: a recorded value of the wrong type blamed nobody in particular ("calls[0]: [json.exception.
// type_error.302] type must be number"); now the error names the recording's field. A number too large
// for a double (found by fuzzing) is named as the recording's, too.
TEST(RecordedRun, AValueOfTheWrongTypeNamesTheRecordingsField) {
  test::TempDir dir;
  const auto file = dir.path() / "bad.json";
  auto expect = [&](const std::string& text, const std::string& plugin, const std::vector<std::string>& fragments) {
    test::write_file(file, text);
    test::expect_error([&] { run_recorded(shipped(plugin), {file.string(), {}, std::nullopt}, nullptr); }, fragments);
  };
  const std::string data = R"("datasets": {"train": {"size": 4, "domains": [0, 0, 1, 1]}})";
  expect("{" + data + R"(, "calls": [{"num_select": "two"}]})", "random",
         {file.string() + ": calls[0].num_select: expected a non-negative integer, found a string"});
  expect("{" + data + R"(, "calls": [{"num_select": 9}]})", "random",
         {file.string() + ": calls[0].num_select: 9 is more than the pool's 4 samples"});
  expect("{" + data + R"(, "seed": -7, "calls": [{"num_select": 2}]})", "random",
         {file.string() + ": seed: expected a non-negative integer, found the number -7"});
  expect("{" + data + R"(, "calls": [{"step": 1.5, "num_select": 2}]})", "random",
         {file.string() + ": calls[0].step: expected an integer, found the number 1.5"});
  expect(R"({"datasets": {"train": {"size": -4}}, "calls": [{"num_select": 2}]})", "random",
         {file.string() + ": 'datasets.train': 'size' must be a non-negative integer, found -4"});
  expect("{" + data + R"(, "services": {"sample_losses": {"train": [1, 2, "x", 4]}}, "calls": [{"num_select": 2}]})",
         "loss", {file.string() + ": 'services.sample_losses.train': type must be number, but is string"});
  expect(R"({"calls": [{"batch": {"losses": [1.0, "high"]}}]})", "uniform",
         {file.string() + ": calls[0].batch.losses[1]: expected a number, found a string"});
  expect(R"({"calls": [{"num_select": 1e999}]})", "random", {file.string(), "number overflow"});
}

}  // namespace dataflex
