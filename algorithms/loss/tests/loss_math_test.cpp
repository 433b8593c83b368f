// The `loss` selector's arithmetic (loss_math.hpp): quantiles, terciles, tempered probabilities, draw.
#include "loss_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

namespace ls = dataflex::loss_selector;

namespace {

const std::vector<double> kIssueLosses = {0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
constexpr double kTight = 1e-12;  // the 1e-12 added to every weight moves probabilities by ~1e-13

void expect_probabilities(const std::vector<double>& got, const std::vector<double>& want_unnormalised) {
  double sum = 0;
  for (double v : want_unnormalised) sum += v;
  ASSERT_EQ(got.size(), want_unnormalised.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want_unnormalised[i] / sum, kTight) << "sample " << i;
}

}  // namespace

TEST(LossQuantile, InterpolatesLinearlyAtPositionNMinusOneTimesQ) {
  // Hand-computed (numpy.quantile's default 'linear'): position 3 * 0.5 = 1.5, halfway from 2 to 3.
  EXPECT_DOUBLE_EQ(ls::linear_quantile({1, 2, 3, 4}, 0.5), 2.5);
  // position 3 * 0.25 = 0.75: 1 + 0.75 * (2 - 1).
  EXPECT_DOUBLE_EQ(ls::linear_quantile({1, 2, 3, 4}, 0.25), 1.75);
}

TEST(LossQuantile, SortsItsInputFirst) { EXPECT_DOUBLE_EQ(ls::linear_quantile({4, 1, 3, 2}, 0.5), 2.5); }

TEST(LossQuantile, ZeroAndOneAreTheMinimumAndMaximum) {
  EXPECT_DOUBLE_EQ(ls::linear_quantile({3, 7, 5}, 0.0), 3.0);
  EXPECT_DOUBLE_EQ(ls::linear_quantile({3, 7, 5}, 1.0), 7.0);
}

TEST(LossQuantile, OfOneValueIsThatValue) { EXPECT_DOUBLE_EQ(ls::linear_quantile({2.5}, 0.33), 2.5); }

TEST(LossQuantile, OfNothingIsNaN) { EXPECT_TRUE(std::isnan(ls::linear_quantile({}, 0.5))); }

TEST(LossTerciles, IssueOracleQuantilesOfSixLossesAre1325And215) {
  // Issue oracle: losses [0.5, 1, 1.5, 2, 2.5, 3] -> q33 = 1.325 (position 1.65), q66 = 2.15 (position 3.3).
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::High, 5.0, 1.0);
  EXPECT_NEAR(t.q_low, 1.325, kTight);
  EXPECT_NEAR(t.q_high, 2.15, kTight);
}

TEST(LossTerciles, IssueOracleFocusHighGivesOneOneOneOneFiveFiveOverFourteen) {
  // Issue oracle: 2.5 and 3 lie above q66 = 2.15 and get weight 5.
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::High, 5.0, 1.0);
  expect_probabilities(t.probabilities, {1, 1, 1, 1, 5, 5});
  EXPECT_EQ(t.focus_count, 2u);
}

TEST(LossTerciles, FocusLowWeighsTheLossesAtOrBelowQ33) {
  // Hand-computed: 0.5 and 1 are <= 1.325.
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::Low, 5.0, 1.0);
  expect_probabilities(t.probabilities, {5, 5, 1, 1, 1, 1});
}

TEST(LossTerciles, FocusMediumWeighsTheLossesBetweenQ33AndQ66) {
  // Hand-computed: 1.5 and 2 lie in (1.325, 2.15].
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::Medium, 5.0, 1.0);
  expect_probabilities(t.probabilities, {1, 1, 5, 5, 1, 1});
}

TEST(LossTerciles, ALossEqualToACutPointBelongsToTheLowerBucket) {
  // The original's convention: low = loss <= q33, medium = q33 < loss <= q66, high = loss > q66.
  EXPECT_EQ(ls::bucket_of(1.325, 1.325, 2.15), ls::Bucket::Low);
  EXPECT_EQ(ls::bucket_of(2.15, 1.325, 2.15), ls::Bucket::Medium);
  EXPECT_EQ(ls::bucket_of(2.1500001, 1.325, 2.15), ls::Bucket::High);
}

TEST(LossTerciles, TiedLossesAtTheCutPointAllFallLow) {
  // Hand-computed: [1, 1, 1, 2, 3]: q33 = 1 (position 1.32 between two 1s), q66 = 1.64; focus low takes
  // all three 1s.
  const auto t = ls::tercile_probabilities({1, 1, 1, 2, 3}, ls::Bucket::Low, 5.0, 1.0);
  EXPECT_DOUBLE_EQ(t.q_low, 1.0);
  EXPECT_NEAR(t.q_high, 1.64, kTight);
  expect_probabilities(t.probabilities, {5, 5, 5, 1, 1});
}

TEST(LossTerciles, TemperatureHalfSquaresTheWeights) {
  // Hand-computed: (w)^(1/0.5) = w^2 -> [1, 1, 1, 1, 25, 25] / 54.
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::High, 5.0, 0.5);
  expect_probabilities(t.probabilities, {1, 1, 1, 1, 25, 25});
}

TEST(LossTerciles, TemperatureTwoTakesTheSquareRoot) {
  const double r = std::sqrt(5.0);
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::High, 5.0, 2.0);
  expect_probabilities(t.probabilities, {1, 1, 1, 1, r, r});
}

TEST(LossTerciles, VerySmallTemperatureDoesNotOverflow) {
  // 5^(1/0.001) overflows a double; the tempering divides by the largest weight first.
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::High, 5.0, 0.001);
  for (double p : t.probabilities) EXPECT_TRUE(std::isfinite(p));
  EXPECT_NEAR(t.probabilities[4], 0.5, kTight);
  EXPECT_NEAR(t.probabilities[5], 0.5, kTight);
}

TEST(LossTerciles, NonFiniteLossesAreLeftOutOfTheQuantilesAndAlmostNeverDrawn) {
  // The original: quantiles over the finite losses; a non-finite loss gets w = 0, so p ∝ 1e-12.
  std::vector<double> losses = kIssueLosses;
  losses.push_back(std::numeric_limits<double>::quiet_NaN());
  losses.push_back(std::numeric_limits<double>::infinity());
  const auto t = ls::tercile_probabilities(losses, ls::Bucket::High, 5.0, 1.0);
  EXPECT_NEAR(t.q_low, 1.325, kTight);
  EXPECT_NEAR(t.q_high, 2.15, kTight);
  EXPECT_GT(t.probabilities[6], 0.0);
  EXPECT_LT(t.probabilities[6], 1e-12);
  EXPECT_NEAR(t.probabilities[4], 5.0 / 14.0, 1e-11);
}

TEST(LossTerciles, NoFiniteLossGivesAUniformDistribution) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto t = ls::tercile_probabilities({nan, nan, nan, nan}, ls::Bucket::High, 5.0, 1.0);
  expect_probabilities(t.probabilities, {1, 1, 1, 1});
  EXPECT_TRUE(std::isnan(t.q_low));
}

TEST(LossTerciles, FocusNamesParseAndOthersAreRefused) {
  EXPECT_EQ(ls::parse_bucket("low"), ls::Bucket::Low);
  EXPECT_EQ(ls::parse_bucket("medium"), ls::Bucket::Medium);
  EXPECT_EQ(ls::parse_bucket("high"), ls::Bucket::High);
  EXPECT_THROW(ls::parse_bucket("HIGH"), std::invalid_argument);
}

TEST(LossDraw, SingleDrawFrequenciesMatchTheIssueOracleProbabilities) {
  // Issue oracle [1,1,1,1,5,5]/14, 20000 seeds of one draw each; 5 standard deviations of slack.
  const auto t = ls::tercile_probabilities(kIssueLosses, ls::Bucket::High, 5.0, 1.0);
  const int trials = 20000;
  std::vector<int> counts(6, 0);
  for (int s = 0; s < trials; ++s) {
    dataflex::Rng rng(uint64_t(s) * 7919 + 1);
    counts[size_t(rng.weighted_choice(t.probabilities, 1, false)[0])]++;
  }
  for (size_t i = 0; i < 6; ++i) {
    const double p = t.probabilities[i];
    EXPECT_NEAR(double(counts[i]) / trials, p, 5 * std::sqrt(p * (1 - p) / trials)) << "sample " << i;
  }
}

TEST(LossDraw, DrawsDistinctIdsWithoutDuplicates) {
  dataflex::Rng rng(3);
  const auto ids = rng.weighted_choice({1, 1, 1, 1, 5, 5}, 6, false);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 6u);
}

TEST(LossDraw, ZeroWeightsAreTakenOnlyAfterEveryPositiveOne) {
  dataflex::Rng rng(5);
  const auto ids = rng.weighted_choice({0, 0, 0, 0, 0.5, 0.5}, 3, false);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.begin() + 2), (std::set<int64_t>{4, 5}));
  EXPECT_LT(ids[2], 4);
}

TEST(LossDraw, MoreThanThePoolNeedsDuplicatesAllowed) {
  dataflex::Rng rng(1);
  EXPECT_THROW(rng.weighted_choice({1, 1, 5}, 4, false), std::invalid_argument);
  const auto ids = rng.weighted_choice({1, 1, 5}, 10, true);
  ASSERT_EQ(ids.size(), 10u);
  for (int64_t id : ids) EXPECT_TRUE(id >= 0 && id < 3);
}

TEST(LossDraw, TheSameSeedDrawsTheSameIds) {
  dataflex::Rng a(42), b(42);
  EXPECT_EQ(a.weighted_choice({1, 2, 3, 4, 5}, 3, false), b.weighted_choice({1, 2, 3, 4, 5}, 3, false));
}
