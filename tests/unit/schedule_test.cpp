// warmup_step / update_step / update_times, counted in optimizer steps: the one schedule object that
// training, --dry-run and `plugins run` follow.
#include <gtest/gtest.h>

#include "plugins/decision_schedule.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

DecisionSchedule periodic(int64_t warmup, int64_t update, int64_t times, int64_t total) {
  return DecisionSchedule::periodic(warmup, update, times, total);
}

}  // namespace

TEST(DecisionSchedule, FirstAtWarmupThenEveryUpdateStep) {
  const auto s = periodic(10, 20, -1, 100);
  EXPECT_EQ(s.decision_steps(), (std::vector<int64_t>{10, 30, 50, 70, 90}));
  EXPECT_EQ(s.decision_index(30), 1);
  EXPECT_EQ(s.decision_index(31), -1);
  EXPECT_EQ(s.decision_index(50), 2);
  EXPECT_EQ(s.max_decisions(), 5);  // what the run will take, passed to plugins
}

TEST(DecisionSchedule, UpdateTimesBoundsTheCount) {
  const auto s = periodic(0, 5, 3, 100);
  EXPECT_EQ(s.decision_steps(), (std::vector<int64_t>{0, 5, 10}));
  EXPECT_EQ(s.decision_index(15), -1);
  EXPECT_EQ(s.max_decisions(), 3);
}

TEST(DecisionSchedule, ZeroUpdateTimesMeansUntilTrainingEnds) {
  EXPECT_EQ(periodic(0, 40, 0, 100).decision_steps(), (std::vector<int64_t>{0, 40, 80}));
}

TEST(DecisionSchedule, NoDecisionAtOrAfterTheLastStep) {
  EXPECT_TRUE(periodic(100, 1, -1, 100).decision_steps().empty());
}

TEST(DecisionSchedule, AStaticRunWithAPluginDecidesOnceBeforeTheFirstStepWhateverTheKeysSay) {
  // The bug the reshape fixed: --dry-run printed 2, 6, 10 here while the run decided once, at 0.
  const auto s = DecisionSchedule::for_run(TrainType::Static, PluginKind::Selector, 2, 4, -1, 12);
  EXPECT_EQ(s.kind(), DecisionSchedule::Kind::Once);
  EXPECT_EQ(s.decision_steps(), (std::vector<int64_t>{0}));
  EXPECT_EQ(s.decision_index(0), 0);
  EXPECT_EQ(s.decision_index(2), -1);
  EXPECT_EQ(s.max_decisions(), 1);
  EXPECT_NE(s.describe().find("at optimizer step(s) 0 of 12"), std::string::npos) << s.describe();
}

TEST(DecisionSchedule, AStaticRunWithoutAPluginDecidesNothing) {
  const auto s = DecisionSchedule::for_run(TrainType::Static, std::nullopt, 2, 4, -1, 12);
  EXPECT_TRUE(s.decision_steps().empty());
  EXPECT_EQ(s.decision_index(0), -1);
  EXPECT_EQ(s.describe(), "full data, no decisions");
}

TEST(DecisionSchedule, AWeighterWeightsEveryStepFromWarmupForUpdateTimesTimesUpdateStep) {
  const auto s = DecisionSchedule::for_run(TrainType::DynamicWeight, PluginKind::Weighter, 2, 4, 2, 20);
  EXPECT_EQ(s.kind(), DecisionSchedule::Kind::EveryStep);
  EXPECT_FALSE(s.weights_at(1));
  EXPECT_TRUE(s.weights_at(2));
  EXPECT_TRUE(s.weights_at(9));
  EXPECT_FALSE(s.weights_at(10));  // 2 + 2 x 4
  EXPECT_EQ(s.decision_steps(), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(s.decision_index(2), -1);  // a weighter's calls are per micro-batch, not scheduled decisions
  EXPECT_EQ(s.max_decisions(), -1);
  const auto open = DecisionSchedule::for_run(TrainType::DynamicWeight, PluginKind::Weighter, 2, 4, -1, 6);
  EXPECT_EQ(open.decision_steps(), (std::vector<int64_t>{2, 3, 4, 5}));
}

TEST(DecisionSchedule, ContextsCarryTheRunsLengthCountAndPerDecisionSeed) {
  const auto s = DecisionSchedule::for_run(TrainType::DynamicSelect, PluginKind::Selector, 10, 20, -1, 100);
  const DecisionContext c = s.context(30, 1, 42);
  EXPECT_EQ(c.step, 30);
  EXPECT_EQ(c.total_steps, 100);
  EXPECT_EQ(c.decision_index, 1);
  EXPECT_EQ(c.max_decisions, 5);
  EXPECT_EQ(c.seed, decision_seed(42, 1));
}

TEST(DecisionSchedule, KeysOutOfRangeAreRefused) {
  EXPECT_THROW(periodic(-1, 1, -1, 10), Error);
  EXPECT_THROW(periodic(0, 0, -1, 10), Error);
}

TEST(DecisionSchedule, EachTrainTypeTakesItsPluginKind) {
  EXPECT_TRUE(plugin_kind_fits(TrainType::Static, PluginKind::Selector));
  EXPECT_TRUE(plugin_kind_fits(TrainType::Static, PluginKind::Mixer));
  EXPECT_FALSE(plugin_kind_fits(TrainType::Static, PluginKind::Weighter));
  EXPECT_TRUE(plugin_kind_fits(TrainType::DynamicWeight, PluginKind::Weighter));
  EXPECT_FALSE(plugin_kind_fits(TrainType::DynamicMix, PluginKind::Selector));
  EXPECT_STREQ(plugin_kind_wanted(TrainType::Static), "selector or mixer");
}

TEST(DecisionSeeds, DifferPerDecisionAndPerRunSeedAndRepeat) {
  EXPECT_EQ(decision_seed(42, 3), decision_seed(42, 3));
  EXPECT_NE(decision_seed(42, 3), decision_seed(42, 4));
  EXPECT_NE(decision_seed(42, 3), decision_seed(43, 3));
  EXPECT_NE(plugin_seed(42), plugin_seed(43));
}

}  // namespace dataflex
