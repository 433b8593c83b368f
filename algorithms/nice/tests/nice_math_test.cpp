// NICE's response weights against hand-computed cases.
#include <gtest/gtest.h>

#include "nice_math.hpp"

namespace dataflex::nice {
namespace {

TEST(NiceMath, WeightsAreTheRewardsWithoutABaseline) {
  EXPECT_EQ(response_weights({1.0f, 0.0f, 0.5f, 0.5f}, 2, Baseline::None),
            (std::vector<float>{1.0f, 0.0f, 0.5f, 0.5f}));
}

TEST(NiceMath, MeanBaselineCentresEachPromptsRewards) {
  // Prompt 0: rewards 1, 0 (mean 0.5) -> 0.5, -0.5. Prompt 1: 0.5, 0.5 -> 0, 0 (no signal).
  EXPECT_EQ(response_weights({1.0f, 0.0f, 0.5f, 0.5f}, 2, Baseline::Mean),
            (std::vector<float>{0.5f, -0.5f, 0.0f, 0.0f}));
  // Three responses: 0.9, 0.3, 0 (mean 0.4) -> 0.5, -0.1, -0.4.
  const auto w = response_weights({0.9f, 0.3f, 0.0f}, 3, Baseline::Mean);
  EXPECT_NEAR(w[0], 0.5, 1e-6);
  EXPECT_NEAR(w[1], -0.1, 1e-6);
  EXPECT_NEAR(w[2], -0.4, 1e-6);
}

TEST(NiceMath, RewardsMustComeInWholeGroups) {
  EXPECT_THROW(response_weights({1.0f, 0.0f, 1.0f}, 2, Baseline::None), std::invalid_argument);
  EXPECT_THROW(response_weights({}, 0, Baseline::None), std::invalid_argument);
  EXPECT_THROW(baseline_of("median"), std::invalid_argument);
}

TEST(NiceMath, RepeatEachListsEveryResponsesPrompt) {
  EXPECT_EQ(repeat_each(std::vector<int64_t>{4, 7}, 3), (std::vector<int64_t>{4, 4, 4, 7, 7, 7}));
}

}  // namespace
}  // namespace dataflex::nice
