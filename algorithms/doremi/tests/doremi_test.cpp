// DoReMi's update against the issue's oracle (by hand: docs/algorithms/doremi.md), the original
// DataFlex variant, the running average, NaN for unobserved domains, and the saved state.
#include <gtest/gtest.h>

#include <cmath>

#include "doremi_math.hpp"

namespace doremi = dataflex::doremi;

namespace {

// What the host computes per domain: the mean over the domain's tokens of max(0, proxy - reference).
double mean_clipped_excess(const std::vector<double>& proxy, const std::vector<double>& reference) {
  double sum = 0;
  for (size_t i = 0; i < proxy.size(); ++i) sum += std::max(0.0, proxy[i] - reference[i]);
  return sum / double(proxy.size());
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "entry " << i;
}

const std::vector<std::string> kDomains{"a", "b", "c"};

}  // namespace

TEST(DoremiUpdate, IssueOracle) {
  // Token losses proxy / reference: domain 0 [2,3,1] / [1.5,3.5,0.5], domain 1 [4,2] / [3,1], domain 2
  // [1] / [2] -> lambda = [1/3, 1, 0]; alpha_0 = [0.5, 0.3, 0.2], eta 1, c 1e-3.
  const std::vector<double> lambda{mean_clipped_excess({2, 3, 1}, {1.5, 3.5, 0.5}), mean_clipped_excess({4, 2}, {3, 1}),
                                   mean_clipped_excess({1}, {2})};
  expect_near(lambda, {1.0 / 3, 1.0, 0.0}, 1e-15);
  doremi::DomainWeights w({}, {0.5, 0.3, 0.2});
  expect_near(w.decide(kDomains, lambda), {0.407216, 0.475833, 0.116951}, 5e-7);
  expect_near(w.lambda(), lambda, 0);
  EXPECT_EQ(w.decisions(), 1);
}

TEST(DoremiUpdate, DataflexVariantCentresAndClips) {
  // Centred on the mean 4/9: [-1/9, 5/9, -4/9]; eta 0.1, c 0.01 (the original's config).
  doremi::Options o;
  o.variant = doremi::Variant::kDataflex;
  o.eta = 0.1;
  o.smoothing = 0.01;
  doremi::DomainWeights w(o, {0.5, 0.3, 0.2});
  const auto alpha = w.decide(kDomains, {1.0 / 3, 1.0, 0.0});
  expect_near(w.lambda(), {-1.0 / 9, 5.0 / 9, -4.0 / 9}, 1e-15);
  expect_near(alpha, {0.4914388662, 0.3163863884, 0.1921747454}, 1e-9);
  // Clipping: one observed domain far above another; unobserved (NaN) stays 0 and out of the mean.
  o.clip = 1.0;
  doremi::DomainWeights clipped(o, {});
  clipped.decide(kDomains, {10.0, 0.0, std::nan("")});
  expect_near(clipped.lambda(), {1.0, -1.0, 0.0}, 0);
}

TEST(DoremiUpdate, UnobservedDomainsCountZeroAndLargeStepsDoNotOverflow) {
  doremi::DomainWeights w({}, {});
  // Nothing observed: alpha stays uniform (smoothing of a uniform vector is uniform).
  expect_near(w.decide(kDomains, {std::nan(""), std::nan(""), std::nan("")}), {1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-15);
  doremi::Options big;
  big.eta = 1e4;
  doremi::DomainWeights v(big, {});
  const auto alpha = v.decide(kDomains, {1.0, 0.0, 0.0});
  for (double a : alpha) EXPECT_TRUE(std::isfinite(a));
  EXPECT_NEAR(alpha[0], 1.0 - 2e-3 / 3, 1e-12);  // all but the smoothing on domain 0
  EXPECT_THROW(v.decide(kDomains, {-1.0, 0.0, 0.0}), std::invalid_argument);
  EXPECT_THROW(v.decide(kDomains, {1.0, 0.0}), std::invalid_argument);
}

TEST(DoremiAverage, IsTheMeanOfEveryDecisionsWeights) {
  doremi::DomainWeights w({}, {});
  const auto a1 = w.decide(kDomains, {1.0, 0.0, 0.0});
  const auto a2 = w.decide(kDomains, {0.0, 2.0, 0.0});
  const auto a3 = w.decide(kDomains, {0.0, 0.0, 0.5});
  std::vector<double> mean(3);
  for (size_t i = 0; i < 3; ++i) mean[i] = (a1[i] + a2[i] + a3[i]) / 3;
  expect_near(w.average(), mean, 1e-15);
}

TEST(DoremiState, RoundTripsExactlyAndContinuesIdentically) {
  doremi::DomainWeights a({}, {0.5, 0.3, 0.2});
  a.decide(kDomains, {0.25, 0.5, std::nan("")});
  a.decide(kDomains, {0.125, 0.0, 1.0});
  doremi::DomainWeights b({}, {0.5, 0.3, 0.2});
  b.load(a.save());
  EXPECT_EQ(b.save(), a.save());
  EXPECT_EQ(b.decide(kDomains, {0.5, 0.5, 0.5}), a.decide(kDomains, {0.5, 0.5, 0.5}));
  EXPECT_EQ(b.average(), a.average());
  doremi::DomainWeights fresh({}, {});
  fresh.load("");
  EXPECT_EQ(fresh.decisions(), 0);
  EXPECT_THROW(fresh.load("odm-state 1\n"), std::invalid_argument);
}
