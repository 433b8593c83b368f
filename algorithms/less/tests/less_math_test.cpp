// LESS's scoring against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "feature_codec.hpp"
#include "less_math.hpp"
#include "less_targets.hpp"
#include "score_history.hpp"

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

TEST(LessTargets, AtMostPerSubtaskFromEachSubtaskTheSameDrawForTheSameSeed) {
  // Subtask 0: examples 0, 2, 4, 6, 7, 8; subtask 1: 1, 3; subtask 2: 5.
  const std::vector<int32_t> subtask = {0, 1, 0, 1, 0, 2, 0, 0, 0};
  const auto all = less::target_examples(subtask, 3, 0, 7);
  EXPECT_EQ(all, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  const auto two = less::target_examples(subtask, 3, 2, 7);
  ASSERT_EQ(two.size(), 5u);  // 2 of subtask 0's six, both of subtask 1, the one of subtask 2
  EXPECT_TRUE(std::is_sorted(two.begin(), two.end()));
  size_t per[3] = {0, 0, 0};
  for (int64_t id : two) ++per[subtask[size_t(id)]];
  EXPECT_EQ(per[0], 2u);
  EXPECT_EQ(per[1], 2u);
  EXPECT_EQ(per[2], 1u);
  EXPECT_EQ(less::target_examples(subtask, 3, 2, 7), two);  // every decision matches the same examples
  // Another seed draws other examples of subtask 0 for at least one of a few seeds.
  bool differs = false;
  for (uint64_t seed = 8; seed < 16 && !differs; ++seed) differs = less::target_examples(subtask, 3, 2, seed) != two;
  EXPECT_TRUE(differs);
  EXPECT_THROW(less::target_examples({0, 3}, 3, 1, 0), std::invalid_argument);
}

TEST(LessMath, TopKIsHighestFirstWithTiesToTheLowerPosition) {
  EXPECT_EQ(less::top_k({0.5, 0.9, 0.9, -1.0, 0.7}, 3), (std::vector<size_t>{1, 2, 4}));
  EXPECT_EQ(less::top_k({0.1, 0.2}, 5), (std::vector<size_t>{1, 0}));
}

// --- Stored precision (feature_codec.hpp) --------------------------------------------------------

TEST(FeatureCodec, HalfPrecisionRoundsToNearestEvenAndKeepsItsRange) {
  EXPECT_EQ(less::to_half(1.0f), 0x3C00);
  EXPECT_EQ(less::to_half(-2.0f), 0xC000);
  EXPECT_EQ(less::to_half(65504.0f), 0x7BFF);                          // the largest half
  EXPECT_EQ(less::to_half(65520.0f), 0x7C00);                          // rounds past it: infinity
  EXPECT_EQ(less::to_half(std::ldexp(1.0f, -24)), 0x0001);             // the smallest subnormal
  EXPECT_EQ(less::to_half(std::ldexp(1.0f, -25)), 0x0000);             // half of it: a tie, to even (zero)
  EXPECT_EQ(less::to_half(std::ldexp(3.0f, -25)), 0x0002);             // 1.5 subnormal steps: a tie, to even (2)
  EXPECT_EQ(less::to_half(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // a tie between 1 and 1+2^-10: even
  EXPECT_EQ(less::to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // a tie, up to the even neighbour
  for (float v : {0.1f, -0.7071f, 3.14159f, 1e-5f, -6e-8f})
    EXPECT_NEAR(less::from_half(less::to_half(v)), v, std::fabs(v) * 1e-3 + 6e-8) << v;
  EXPECT_TRUE(std::isinf(less::from_half(0x7C00)));
}

TEST(FeatureCodec, Int8KeepsThePerRowScaleAndOneBitKeepsTheSigns) {
  const float row[4] = {1.0f, -0.5f, 0.25f, 0.0f};
  std::vector<uint8_t> bytes;
  less::encode_row(row, 4, less::FeatureDtype::Int8, bytes);
  ASSERT_EQ(bytes.size(), 4u + 4u);
  float back[4];
  less::decode_row(bytes.data(), 4, less::FeatureDtype::Int8, back);
  // scale 1/127: 127, -63.5 -> -64 (to even), 31.75 -> 32, 0
  EXPECT_FLOAT_EQ(back[0], 1.0f);
  EXPECT_FLOAT_EQ(back[1], -64.0f / 127.0f);
  EXPECT_FLOAT_EQ(back[2], 32.0f / 127.0f);
  EXPECT_EQ(back[3], 0.0f);

  bytes.clear();
  const float signs[9] = {0.5f, -0.1f, 0.0f, -3.0f, 1, 1, 1, 1, -1};
  less::encode_row(signs, 9, less::FeatureDtype::Bit1, bytes);
  ASSERT_EQ(bytes.size(), 2u);  // 9 bits
  float unit[9];
  less::decode_row(bytes.data(), 9, less::FeatureDtype::Bit1, unit);
  const float v = 1.0f / 3.0f;  // 1/sqrt(9): the decoded row has unit length
  const float want[9] = {v, -v, v, -v, v, v, v, v, -v};
  for (int i = 0; i < 9; ++i) EXPECT_FLOAT_EQ(unit[i], want[i]) << i;
  EXPECT_THROW(less::feature_dtype_of("bf16"), std::invalid_argument);
}

// --- LESS's learning-rate-weighted sum over decisions (score_history.hpp) -------------------------

TEST(ScoreHistory, ScoresAreWeightedByEachDecisionsLearningRate) {
  less::ScoreHistory h;
  EXPECT_DOUBLE_EQ(h.add(7, 1.0, 3.0), 1.0);
  EXPECT_DOUBLE_EQ(h.add(7, 0.0, 1.0), 0.75);  // (3*1 + 1*0) / 4
  // A decision at rate 0 (the first step of a warm-up) counts until a positive rate has scored it.
  EXPECT_DOUBLE_EQ(h.add(9, 0.4, 0.0), 0.4);
  EXPECT_DOUBLE_EQ(h.add(9, 0.8, 0.0), 0.6);
  EXPECT_DOUBLE_EQ(h.add(9, 0.2, 2.0), 0.2);
  EXPECT_THROW(h.add(9, 0.2, -1.0), std::invalid_argument);
  std::string blob;
  h.save(blob);
  less::ScoreHistory back;
  size_t pos = 0;
  back.load(blob, pos);
  EXPECT_EQ(pos, blob.size());
  EXPECT_EQ(back.size(), 2u);
  EXPECT_DOUBLE_EQ(back.add(7, 1.0, 4.0), (3.0 + 4.0) / 8.0);
  pos = 0;
  blob.resize(blob.size() - 1);
  EXPECT_THROW(back.load(blob, pos), std::invalid_argument);
}
