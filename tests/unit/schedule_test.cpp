// warmup_step / update_step / update_times, counted in optimizer steps.
#include <gtest/gtest.h>

#include "train/decision_schedule.hpp"

namespace dataflex {

TEST(DecisionSchedule, FirstAtWarmupThenEveryUpdateStep) {
  DecisionSchedule s(10, 20, -1, 100);
  EXPECT_EQ(s.decision_steps(), (std::vector<int64_t>{10, 30, 50, 70, 90}));
  EXPECT_TRUE(s.is_decision_step(30));
  EXPECT_FALSE(s.is_decision_step(31));
  EXPECT_EQ(s.decision_index(50), 2);
  EXPECT_EQ(s.max_decisions(), -1);
}

TEST(DecisionSchedule, UpdateTimesBoundsTheCount) {
  DecisionSchedule s(0, 5, 3, 100);
  EXPECT_EQ(s.decision_steps(), (std::vector<int64_t>{0, 5, 10}));
  EXPECT_FALSE(s.is_decision_step(15));
  EXPECT_EQ(s.max_decisions(), 3);
}

TEST(DecisionSchedule, ZeroUpdateTimesMeansUntilTrainingEnds) {
  EXPECT_EQ(DecisionSchedule(0, 40, 0, 100).decision_steps(), (std::vector<int64_t>{0, 40, 80}));
}

TEST(DecisionSchedule, NoDecisionAtOrAfterTheLastStep) {
  EXPECT_TRUE(DecisionSchedule(100, 1, -1, 100).decision_steps().empty());
}

TEST(DecisionSeeds, DifferPerDecisionAndPerRunSeedAndRepeat) {
  EXPECT_EQ(decision_seed(42, 3), decision_seed(42, 3));
  EXPECT_NE(decision_seed(42, 3), decision_seed(42, 4));
  EXPECT_NE(decision_seed(42, 3), decision_seed(43, 3));
  EXPECT_NE(plugin_seed(42), plugin_seed(43));
}

}  // namespace dataflex
