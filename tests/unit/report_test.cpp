// What a run's output folder shows (runtime/report/): the run record read back from the logs (a line cut
// short at the end by a running writer, a bad line in the middle), LLaMA-Factory's loss smoothing, the
// axes, the scalars of a decision line, the report page's charts, and run_config.toml, which reads back
// as the same config.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "config/run_config.hpp"
#include "plugins/plugin_registry.hpp"
#include "report/axis_ticks.hpp"
#include "report/report_page.hpp"
#include "report/run_record.hpp"
#include "report/scalar_sink.hpp"
#include "test_files.hpp"
#include "train/run_plan.hpp"

namespace dataflex {
namespace {

TEST(Report, SmoothingIsLlamaFactorysSigmoidWeightedEma) {
  const std::vector<double> v = {4.0, 2.0, 3.0};
  const double w = 1.8 * (1.0 / (1.0 + std::exp(-0.05 * 3)) - 0.5);
  const auto s = smooth_like_llamafactory(v);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(s[0], 4.0);
  EXPECT_DOUBLE_EQ(s[1], 4.0 * w + (1 - w) * 2.0);
  EXPECT_DOUBLE_EQ(s[2], s[1] * w + (1 - w) * 3.0);
  EXPECT_TRUE(smooth_like_llamafactory({}).empty());
}

TEST(Report, AxesHaveRoundTicksCoveringTheRange) {
  const Axis a = nice_axis(0.13, 0.87);
  EXPECT_LE(a.lo, 0.13);
  EXPECT_GE(a.hi, 0.87);
  ASSERT_GE(a.ticks.size(), 4u);
  EXPECT_NEAR(a.ticks[1] - a.ticks[0], 0.1, 1e-12);  // 0.74 / 5 = 0.148: steps of 0.1
  const Axis flat = nice_axis(5.0, 5.0);             // one value: some height around it
  EXPECT_LT(flat.lo, 5.0);
  EXPECT_GT(flat.hi, 5.0);
}

TEST(Report, DecisionLinesGiveTheirScalars) {
  const auto mix = decision_scalars(
      nlohmann::ordered_json::parse(R"({"step":3,"kind":"mixture","proportions":{"a":0.25,"b":0.75}})"));
  ASSERT_EQ(mix.size(), 2u);
  EXPECT_EQ(mix[1].first, "dataflex/proportion/b");
  EXPECT_DOUBLE_EQ(mix[1].second, 0.75);
  const auto sel = decision_scalars(nlohmann::ordered_json::parse(
      R"({"step":3,"kind":"selection","per_domain":{"a":1,"b":3},"scores":{"min":0,"max":2,"mean":1.5}})"));
  ASSERT_EQ(sel.size(), 3u);
  EXPECT_DOUBLE_EQ(sel[0].second, 0.25);  // a share of the selection
  EXPECT_EQ(sel[2].first, "dataflex/score_mean");
  const auto w = decision_scalars(
      nlohmann::ordered_json::parse(R"({"step":3,"kind":"weights","min":0.5,"max":2,"mean":1,"entropy":1.2})"));
  EXPECT_EQ(w.size(), 4u);
  EXPECT_TRUE(decision_scalars(nlohmann::ordered_json::parse(R"({"step":3,"kind":"plugin_failure"})")).empty());
}

void write_run(const std::filesystem::path& dir, bool cut_last_line) {
  std::filesystem::create_directories(dir);
  std::string log = R"({"current_steps":2,"total_steps":8,"loss":3.5,"lr":0.001,"throughput":900,"grad_norm":2.0})"
                    "\n"
                    R"({"current_steps":2,"total_steps":8,"decision_step":2,"odm.epsilon":0.2})"
                    "\n"
                    R"({"current_steps":4,"total_steps":8,"eval_loss":3.1,"eval_news_loss":3.0,"eval_code_c_loss":3.2})"
                    "\n"
                    R"({"current_steps":4,"total_steps":8,"loss":3.0,"lr":0.002,"throughput":950,"grad_norm":1.5})"
                    "\n";
  if (cut_last_line) log += R"({"current_steps":6,"total_steps":8,"lo)";
  test::write_file(dir / "trainer_log.jsonl", log);
  test::write_file(dir / "decisions.jsonl",
                   R"({"step":2,"plugin":"odm","kind":"mixture","proportions":{"news":0.4,"code_c":0.6}})"
                   "\n"
                   R"({"step":3,"plugin":"odm","kind":"mixture","proportions":{"news":0.5,"code_c":0.5}})"
                   "\n");
  test::write_file(dir / "run_config.toml", "[dataflex]\ntrain_type = \"dynamic_mix\"\ncomment = \"<b>\"\n");
}

TEST(Report, ARunStillWritingIsReadAsFarAsItGot) {
  test::TempDir dir;
  write_run(dir.path() / "run", true);
  const RunRecord r = read_run_record((dir.path() / "run").string());
  EXPECT_TRUE(r.notes.empty()) << r.notes.front();  // the cut line is the writer's, not a problem
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.total_steps, 8);
  EXPECT_EQ(r.last_step, 4);
  EXPECT_EQ(r.train_type, "dynamic_mix");
  EXPECT_EQ(r.plugin, "odm");
  ASSERT_EQ(r.train.items().size(), 4u);  // loss, lr, throughput, grad_norm
  EXPECT_EQ(r.train.items()[0].second.values, (std::vector<double>{3.5, 3.0}));
  EXPECT_EQ(r.eval_loss.values, (std::vector<double>{3.1}));
  ASSERT_EQ(r.eval_domain_loss.items().size(), 2u);
  EXPECT_EQ(r.eval_domain_loss.items()[1].first, "code_c");  // a domain with an underscore
  ASSERT_EQ(r.proportions.items().size(), 2u);
  EXPECT_EQ(r.proportions.items()[1].second.values, (std::vector<double>{0.6, 0.5}));
  EXPECT_EQ(r.plugin_metrics.items().at(0).first, "odm.epsilon");
  EXPECT_EQ(r.decisions, 2);
}

TEST(Report, ABadLineInTheMiddleIsNamedAndSkipped) {
  test::TempDir dir;
  write_run(dir.path() / "run", false);
  std::ofstream(dir.path() / "run" / "decisions.jsonl", std::ios::app)
      << "not json\n"
      << R"({"step":5,"kind":"mixture","proportions":{"news":1,"code_c":0}})"
      << "\n";
  const RunRecord r = read_run_record((dir.path() / "run").string());
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("decisions.jsonl line 3: not JSON"), std::string::npos) << r.notes[0];
  EXPECT_EQ(r.decisions, 3);
}

TEST(Report, AFolderWithoutLogsIsNotARun) {
  test::TempDir dir;
  test::expect_error([&] { read_run_record(dir.path().string()); }, {"not a run's output folder"});
}

TEST(Report, ThePageHasEveryChartWithDataAndEscapesTheConfig) {
  test::TempDir dir;
  write_run(dir.path() / "run", false);
  const std::string page = report_page(read_run_record((dir.path() / "run").string()));
  for (const char* id : {"train_loss", "eval_loss", "eval_domain_loss", "learning_rate", "throughput", "grad_norm",
                         "proportions", "plugin_metric_odm.epsilon"})
    EXPECT_NE(page.find(std::string("data-chart=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(page.find("data-chart=\"selected_share\""), std::string::npos);  // a mix run selects nothing
  EXPECT_NE(page.find("Not in this run: selection statistics"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(page.find("http"), page.find("http-equiv"));  // no URL anywhere
}

TEST(Report, ComparePageOverlaysTheRuns) {
  test::TempDir dir;
  write_run(dir.path() / "a", false);
  write_run(dir.path() / "b", false);
  const std::string page =
      compare_page({read_run_record((dir.path() / "a").string()), read_run_record((dir.path() / "b").string())});
  EXPECT_NE(page.find("2 runs compared"), std::string::npos);
  EXPECT_NE(page.find("data-chart=\"eval_domain_loss_news\""), std::string::npos);
  EXPECT_NE(page.find("data-chart=\"proportions_1\""), std::string::npos);
}

TEST(Report, AFailingScalarSinkIsDroppedAndTrainingGoesOn) {
  struct Failing : ScalarSink {
    int* calls;
    explicit Failing(int* c) : calls(c) {}
    void write(int64_t, const Scalars&) override {
      ++*calls;
      throw Error("runs/x/events: cannot write (disk full?)");
    }
  };
  int calls = 0;
  BestEffortScalars sink(std::make_unique<Failing>(&calls));
  EXPECT_NO_THROW(sink.write(1, {{"train/loss", 1.0}}));
  EXPECT_NO_THROW(sink.write(2, {{"train/loss", 1.0}}));
  EXPECT_EQ(calls, 1);  // after the first failure, nothing more is tried
}

TEST(Report, RunConfigTomlReadsBackAsTheSameConfig) {
  test::TempDir dir;
  test::write_file(dir.path() / "run.toml",
                   "[data]\ndataset = [\"brown_news\", \"code_c\"]\n[training]\nseed = 7\nlearning_rate = 3e-4\n"
                   "output_dir = \"out \\\"quoted\\\"\"\n");
  const RunConfig cfg = RunConfig::load((dir.path() / "run.toml").string(), {});
  const RunPlan plan = plan_run(cfg, PluginSearchPath{}, false);
  test::write_file(dir.path() / "again.toml", effective_config_toml(cfg, plan));
  const RunConfig again = RunConfig::load((dir.path() / "again.toml").string(), {});
  for (const auto& k : config_schema())
    EXPECT_EQ(again.get(k.dotted()).to_string(), cfg.get(k.dotted()).to_string()) << k.dotted();
}

}  // namespace
}  // namespace dataflex
