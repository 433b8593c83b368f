// LESS's scoring against hand-computed cases.
#include <gtest/gtest.h>

#include "less_math.hpp"

namespace less = dataflex::less;

TEST(LessMath, RowsAreScaledToUnitLengthAndZeroRowsStayZero) {
  std::vector<float> m = {3, 4, 0, 0, -1, 0};
  less::normalize_rows(m, 3, 2);
  EXPECT_FLOAT_EQ(m[0], 0.6f);
  EXPECT_FLOAT_EQ(m[1], 0.8f);
  EXPECT_EQ(m[2], 0.0f);
  EXPECT_EQ(m[3], 0.0f);
  EXPECT_FLOAT_EQ(m[4], -1.0f);
}

// Subtask A has two examples along x, subtask B one along y. Pool sample 0 = y, sample 1 = (0.8, 0.6).
// Max over subtasks of the mean cosine: sample 0 scores max(0, 1) = 1, sample 1 max(0.8, 0.6) = 0.8,
// so sample 0 is picked. The mean over all three examples would score sample 0 at 1/3 and sample 1 at
// (0.8 + 0.8 + 0.6) / 3 = 0.7333 and pick sample 1: B, the smaller task, would be drowned.
TEST(LessMath, MaxOverSubtasksAndMeanOverAllPickDifferentSamples) {
  std::vector<float> targets = {1, 0, 2, 0, 0, 5};  // normalised below: (1,0), (1,0), (0,1)
  less::normalize_rows(targets, 3, 2);
  const std::vector<float> pool = {0, 1, 0.8f, 0.6f};

  const auto by_task = less::subtask_means(targets, 3, 2, {0, 0, 1}, 2);
  const auto s = less::scores(pool, 2, 2, by_task);
  EXPECT_NEAR(s[0], 1.0, 1e-7);
  EXPECT_NEAR(s[1], 0.8, 1e-7);
  EXPECT_EQ(less::top_k(s, 1), std::vector<size_t>{0});

  const auto all = less::subtask_means(targets, 3, 2, {0, 0, 0}, 1);
  const auto m = less::scores(pool, 2, 2, all);
  EXPECT_NEAR(m[0], 1.0 / 3.0, 1e-7);
  EXPECT_NEAR(m[1], (0.8 + 0.8 + 0.6) / 3.0, 1e-7);
  EXPECT_EQ(less::top_k(m, 1), std::vector<size_t>{1});
}

TEST(LessMath, AScoreIsTheMeanCosineOverTheSubtasksExamples) {
  // Targets (1,1) and (1,-1) in one subtask; pool (2, 0): cosines 0.7071 and 0.7071, mean 0.7071.
  std::vector<float> targets = {1, 1, 1, -1};
  less::normalize_rows(targets, 2, 2);
  std::vector<float> pool = {2, 0};
  less::normalize_rows(pool, 1, 2);
  const auto s = less::scores(pool, 1, 2, less::subtask_means(targets, 2, 2, {0, 0}, 1));
  EXPECT_NEAR(s[0], std::sqrt(0.5), 1e-7);
}

TEST(LessMath, EmptySubtasksAreSkippedAndOutOfRangeIsRefused) {
  const std::vector<float> targets = {1, 0};
  EXPECT_EQ(less::subtask_means(targets, 1, 2, {2}, 3).size(), 1u);
  EXPECT_THROW(less::subtask_means(targets, 1, 2, {3}, 3), std::invalid_argument);
  EXPECT_THROW(less::subtask_means(targets, 1, 2, {}, 3), std::invalid_argument);
}

TEST(LessMath, TopKIsHighestFirstWithTiesToTheLowerPosition) {
  EXPECT_EQ(less::top_k({0.5, 0.9, 0.9, -1.0, 0.7}, 3), (std::vector<size_t>{1, 2, 4}));
  EXPECT_EQ(less::top_k({0.1, 0.2}, 5), (std::vector<size_t>{1, 0}));
}
