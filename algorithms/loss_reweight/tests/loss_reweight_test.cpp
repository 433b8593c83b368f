// loss_reweight: the weights of each strategy against oracles.
#include "loss_reweight_math.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using dataflex::loss_reweight::normalized_losses;
using dataflex::loss_reweight::parse_strategy;
using dataflex::loss_reweight::sample_weights;
using dataflex::loss_reweight::Strategy;
using dataflex::loss_reweight::weighted_loss;

const std::vector<double> kBatch = {1.0, 2.0, 3.0, 4.0};

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

TEST(LossReweightNormalization, MapsTheBatchMinAndMaxOntoMinusAndPlusDelta) {
  // Hand-computed: D = 3, n = 2ℓ/3 − 5/3.
  expect_near_all(normalized_losses(kBatch, 1.0), {-1.0, -1.0 / 3, 1.0 / 3, 1.0}, 1e-15);
  expect_near_all(normalized_losses(kBatch, 2.0), {-2.0, -2.0 / 3, 2.0 / 3, 2.0}, 1e-15);
}

TEST(LossReweightNormalization, EqualLossesAreAllZero) {
  // D falls back to 1e-6 and the numerator is 0.
  for (double n : normalized_losses({2.5, 2.5, 2.5}, 1.0)) EXPECT_EQ(n, 0.0);
}

TEST(LossReweightLinUpper, MatchesTheOracle) {
  // Oracle (task brief): ℓ = [1, 2, 3, 4], δ = r = 1: w = [0.119271, 0.232307, 0.324211, 0.324211],
  // Σ wℓ = 2.853363.
  const auto w = sample_weights(kBatch, Strategy::kLinUpper, 1.0, 1.0);
  expect_near_all(w, {0.119271, 0.232307, 0.324211, 0.324211}, 1e-6);
  EXPECT_NEAR(weighted_loss(w, kBatch), 2.853363, 1e-6);
}

TEST(LossReweightQuadratic, MatchesTheOracle) {
  // Oracle (task brief): w = [0.145670, 0.354330, 0.354330, 0.145670].
  expect_near_all(sample_weights(kBatch, Strategy::kQuadratic, 1.0, 1.0), {0.145670, 0.354330, 0.354330, 0.145670},
                  1e-6);
}

TEST(LossReweightUniform, WeightGrowsWithTheLoss) {
  // Hand-computed: softmax([-1, -1/3, 1/3, 1]) = [0.0707691, 0.1378394, 0.2684745, 0.5229170].
  expect_near_all(sample_weights(kBatch, Strategy::kUniform, 1.0, 1.0), {0.0707691, 0.1378394, 0.2684745, 0.5229170},
                  1e-7);
}

TEST(LossReweightExtremes, FavoursBothEndsOfTheBatch) {
  // Hand-computed: softmax([1, 1/3, 1/3, 1]) = [0.3303782, 0.1696218, 0.1696218, 0.3303782].
  expect_near_all(sample_weights(kBatch, Strategy::kExtremes, 1.0, 1.0), {0.3303782, 0.1696218, 0.1696218, 0.3303782},
                  1e-7);
}

TEST(LossReweightTemperature, HigherTemperatureFlattensTheWeights) {
  // Hand-computed: linupper at r = 2: softmax([0, 2/3, 1, 1] / 2) = [0.1756526, 0.2451430, 0.2896022, 0.2896022].
  expect_near_all(sample_weights(kBatch, Strategy::kLinUpper, 1.0, 2.0), {0.1756526, 0.2451430, 0.2896022, 0.2896022},
                  1e-7);
}

TEST(LossReweightDelta, LargerDeltaSharpensTheWeights) {
  // Hand-computed: linupper at δ = 2: softmax([0, 4/3, 2, 2]) = [0.0510940, 0.1938336, 0.3775362, 0.3775362].
  expect_near_all(sample_weights(kBatch, Strategy::kLinUpper, 2.0, 1.0), {0.0510940, 0.1938336, 0.3775362, 0.3775362},
                  1e-7);
}

TEST(LossReweightWeights, SumToOneForEveryStrategy) {
  const std::vector<double> batch = {0.3, 7.1, 2.2, 2.2, 5.0, 0.01};
  for (auto s : {Strategy::kLinUpper, Strategy::kUniform, Strategy::kQuadratic, Strategy::kExtremes}) {
    double sum = 0;
    for (double w : sample_weights(batch, s, 1.0, 0.5)) {
      EXPECT_GT(w, 0.0);
      sum += w;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
}

TEST(LossReweightWeights, FollowTheSamplesNotTheirOrder) {
  const auto w = sample_weights({4.0, 1.0, 3.0, 2.0}, Strategy::kLinUpper, 1.0, 1.0);
  expect_near_all(w, {0.324211, 0.119271, 0.324211, 0.232307}, 1e-6);
}

TEST(LossReweightWeights, EqualLossesGiveEqualWeights) {
  for (auto s : {Strategy::kLinUpper, Strategy::kUniform, Strategy::kQuadratic, Strategy::kExtremes})
    expect_near_all(sample_weights({1.7, 1.7, 1.7, 1.7}, s, 1.0, 1.0), {0.25, 0.25, 0.25, 0.25}, 1e-15);
}

TEST(LossReweightWeights, OneSampleGetsAllTheWeight) {
  expect_near_all(sample_weights({3.0}, Strategy::kQuadratic, 1.0, 1.0), {1.0}, 0.0);
}

TEST(LossReweightWeights, TinyTemperatureStaysFinite) {
  for (double w : sample_weights(kBatch, Strategy::kUniform, 1.0, 1e-9)) EXPECT_TRUE(std::isfinite(w));
}

TEST(LossReweightWeights, RefuseANonFiniteLoss) {
  EXPECT_THROW(sample_weights({1.0, NAN, 2.0}, Strategy::kLinUpper, 1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(sample_weights({1.0, INFINITY}, Strategy::kLinUpper, 1.0, 1.0), std::invalid_argument);
}

TEST(LossReweightWeights, RefuseZeroDeltaOrTemperature) {
  EXPECT_THROW(sample_weights(kBatch, Strategy::kQuadratic, 0.0, 1.0), std::invalid_argument);
  EXPECT_THROW(sample_weights(kBatch, Strategy::kQuadratic, 1.0, 0.0), std::invalid_argument);
}

TEST(LossReweightStrategy, ParsesTheFourNamesAndRefusesOthers) {
  EXPECT_EQ(parse_strategy("linupper"), Strategy::kLinUpper);
  EXPECT_EQ(parse_strategy("uniform"), Strategy::kUniform);
  EXPECT_EQ(parse_strategy("quadratic"), Strategy::kQuadratic);
  EXPECT_EQ(parse_strategy("extremes"), Strategy::kExtremes);
  EXPECT_THROW(parse_strategy("mid"), std::invalid_argument);
}

}  // namespace
