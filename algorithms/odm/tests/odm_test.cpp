// ODM: the update equations against oracles, and the built plugin's state through its C ABI (driven
// by the SDK's mock host).
#include "odm_math.hpp"

#include <dataflex/dataflex_plugin.h>
#include <gtest/gtest.h>
#include <dataflex/testing.hpp>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using dataflex::odm::exploration_rate;
using dataflex::odm::OnlineDataMixing;
using dataflex::odm::Variant;

const double kNone = std::numeric_limits<double>::quiet_NaN();  // an unobserved domain
const std::vector<std::string> kThree = {"news", "fiction", "learned"};
const std::vector<std::string> kTwo = {"news", "fiction"};

// The smoothed_mean oracle's five decisions (K = 3, alpha = 0.9).
const std::vector<std::vector<double>> kOracleLosses = {
    {3.0, 2.0, kNone}, {2.5, kNone, 4.0}, {kNone, 2.2, 3.5}, {2.0, kNone, kNone}, {kNone, 3.0, 1.0}};

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

// --- Exploration rate -----------------------------------------------------------------------------

TEST(OdmExplorationRate, StartsAtOneOverKBeforeTheFirstDecision) {
  // Algorithm 1 initialises eps_0 = 1/K.
  EXPECT_DOUBLE_EQ(exploration_rate(3, 0), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(exploration_rate(7, 0), 1.0 / 7.0);
}

TEST(OdmExplorationRate, StaysOneOverKWhileTIsAtMostKLnK) {
  // sqrt(ln K / (K t)) >= 1/K  <=>  t <= K ln K (= 3.2958 for K = 3).
  for (int64_t t = 1; t <= 3; ++t) EXPECT_DOUBLE_EQ(exploration_rate(3, t), 1.0 / 3.0) << "t = " << t;
}

TEST(OdmExplorationRate, DecaysAsOneOverSqrtTAfterwards) {
  // Hand-computed: sqrt(ln 3 / 12) = 0.3025740, sqrt(ln 3 / 15) = 0.2706304.
  EXPECT_NEAR(exploration_rate(3, 4), 0.3025740, 1e-7);
  EXPECT_NEAR(exploration_rate(3, 5), 0.2706304, 1e-7);
  EXPECT_DOUBLE_EQ(exploration_rate(3, 400), std::sqrt(std::log(3.0) / 1200.0));
}

// --- smoothed_mean: the oracle of the task --------------------------------------------------------

TEST(OdmSmoothedMean, FirstObservationAccumulatesFromZero) {
  // Oracle (task brief): after step 1, R = [2.008554, 0.738906, 0] = [0.1 e^3, 0.1 e^2, 0]: R starts at 0
  // and gains (1 - alpha) exp(L); it is not initialised to exp(L).
  OnlineDataMixing odm(Variant::kSmoothedMean, 0.9);
  odm.decide(kThree, kOracleLosses[0]);
  expect_near_all(odm.rewards(), {2.008554, 0.738906, 0.0}, 1e-6);
  EXPECT_DOUBLE_EQ(odm.rewards()[0], 0.1 * std::exp(3.0));
}

TEST(OdmSmoothedMean, MatchesTheOracleAfterFourDecisions) {
  // Oracle (task brief): after step 4, R = [3.462259, 1.567516, 8.225379], pi = [0.326677, 0.313487, 0.359836].
  OnlineDataMixing odm(Variant::kSmoothedMean, 0.9);
  std::vector<double> pi;
  for (int step = 0; step < 4; ++step) pi = odm.decide(kThree, kOracleLosses[step]);
  expect_near_all(odm.rewards(), {3.462259, 1.567516, 8.225379}, 1e-6);
  expect_near_all(pi, {0.326677, 0.313487, 0.359836}, 1e-6);
  EXPECT_NEAR(odm.epsilon(), 0.3025740, 1e-7);
}

TEST(OdmSmoothedMean, IsUniformWhileEpsilonIsOneOverK) {
  // (1 - K eps_t) = 0 for t <= K ln K: decisions 1-3 of the oracle are uniform.
  OnlineDataMixing odm(Variant::kSmoothedMean, 0.9);
  for (int step = 0; step < 3; ++step)
    expect_near_all(odm.decide(kThree, kOracleLosses[step]), {1 / 3., 1 / 3., 1 / 3.}, 1e-15);
}

TEST(OdmSmoothedMean, FifthDecisionOfTheOracleSequence) {
  // Hand-computed (python, same equations): R = [3.462259, 3.419318, 7.674669], pi = [0.315373, 0.314818, 0.369809].
  OnlineDataMixing odm(Variant::kSmoothedMean, 0.9);
  std::vector<double> pi;
  for (const auto& losses : kOracleLosses) pi = odm.decide(kThree, losses);
  expect_near_all(odm.rewards(), {3.462259, 3.419318, 7.674669}, 1e-6);
  expect_near_all(pi, {0.315373, 0.314818, 0.369809}, 1e-6);
}

TEST(OdmSmoothedMean, UniformWhenNothingWasEverObserved) {
  // Sum R = 0 would divide by zero in the authors' code; here the exploitation term is uniform.
  OnlineDataMixing odm(Variant::kSmoothedMean, 0.9);
  for (int step = 0; step < 6; ++step)
    expect_near_all(odm.decide(kThree, {kNone, kNone, kNone}), {1 / 3., 1 / 3., 1 / 3.}, 1e-15);
}

// --- exp3: the paper's form ------------------------------------------------------------------------

TEST(OdmExp3, RewardIsLossOverPreviousProportionSmoothedByAlpha) {
  // Decision 1 carries the warm-up's losses, sampled under pi_1 uniform = 0.5 (Algorithm 1's first
  // policy), so it computes pi_2: R = 0.1 * L / 0.5 = [0.4, 0.2]; eps_2 = sqrt(ln 2 / 4) = 0.4162773,
  // eps_1 = 1/2: pi_2 = (1 - 2 eps_2) softmax(0.5 R) + eps_2 = [0.5041826, 0.4958174].
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  const auto pi = odm.decide(kTwo, {2.0, 1.0});
  expect_near_all(odm.rewards(), {0.4, 0.2}, 1e-15);
  EXPECT_NEAR(odm.epsilon(), 0.4162773, 1e-7);
  expect_near_all(pi, {0.5041826, 0.4958174}, 1e-7);
}

TEST(OdmExp3, PolicyIsSoftmaxOfPreviousEpsilonTimesRewardMixedWithEpsilon) {
  // Hand-computed: decision 2 (pi_3), L = [3, -] over pi_2: R = [0.9*0.4 + 0.1*3/0.5041826, 0.2] =
  // [0.9550225, 0.2]; eps_3 = sqrt(ln 2 / 6) = 0.3398890;
  // pi_3 = (1 - 2 eps_3) softmax(eps_2 R) + eps_3 = [0.5249562, 0.4750438].
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  odm.decide(kTwo, {2.0, 1.0});
  const auto pi = odm.decide(kTwo, {3.0, kNone});
  expect_near_all(odm.rewards(), {0.9550225, 0.2}, 1e-7);
  EXPECT_NEAR(odm.epsilon(), 0.3398890, 1e-7);
  expect_near_all(pi, {0.5249562, 0.4750438}, 1e-7);
}

TEST(OdmExp3, ImportanceWeightUsesTheProportionsOfThePreviousDecision) {
  // Hand-computed: decision 3, L = [1, 2] divided by pi_3: R = [1.0500123, 0.6010138];
  // eps_4 = 0.2943525; pi_4 = [0.5156615, 0.4843385]. Decision 4, L = [-, 4]: R = [1.0500123,
  // 1.3667812], pi_5 = [0.4889718, 0.5110282].
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  odm.decide(kTwo, {2.0, 1.0});
  odm.decide(kTwo, {3.0, kNone});
  const auto pi4 = odm.decide(kTwo, {1.0, 2.0});
  expect_near_all(odm.rewards(), {1.0500123, 0.6010138}, 1e-7);
  expect_near_all(pi4, {0.5156615, 0.4843385}, 1e-7);
  const auto pi5 = odm.decide(kTwo, {kNone, 4.0});
  expect_near_all(odm.rewards(), {1.0500123, 1.3667812}, 1e-7);
  expect_near_all(pi5, {0.4889718, 0.5110282}, 1e-7);
}

TEST(OdmExp3, EpsilonFollowsAlgorithm1WhenTheFirstDecisionCarriesLosses) {
  // The outside check: K = 3, every decision carries losses (warmup_step > 0). After three pulls the
  // paper's policy is pi_4 with eps_4 = sqrt(ln 3 / 12) = 0.3025740, no longer uniform.
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  std::vector<double> pi;
  for (int i = 0; i < 3; ++i) pi = odm.decide(kThree, {3.0 - i, 2.0, 2.5 + i});
  EXPECT_NEAR(odm.epsilon(), 0.3025740, 1e-7);
  EXPECT_GT(std::abs(pi[0] - pi[1]), 1e-4);
  // A first decision without losses (warmup_step = 0) is pi_1 itself: uniform, eps_1 = 1/3; the next
  // with losses is pi_2.
  OnlineDataMixing fresh(Variant::kExp3, 0.9);
  expect_near_all(fresh.decide(kThree, {kNone, kNone, kNone}), {1 / 3., 1 / 3., 1 / 3.}, 1e-15);
  EXPECT_EQ(fresh.decisions(), 1);
  fresh.decide(kThree, {3.0, 2.0, 2.5});
  EXPECT_EQ(fresh.decisions(), 2);
}

TEST(OdmExtras, RewardScaleFloorAndInitialProportions) {
  // reward_scale 15 multiplies the loss: R = 0.1 * 15 * L / pi_0, with pi_0 = [0.8, 0.2].
  dataflex::odm::Extras extras;
  extras.reward_scale = 15.0;
  extras.min_epsilon = 0.45;
  extras.initial = {4.0, 1.0};
  OnlineDataMixing odm(Variant::kExp3, 0.9, extras);
  expect_near_all(odm.initial_proportions(2), {0.8, 0.2}, 1e-15);
  odm.decide(kTwo, {2.0, 1.0});
  expect_near_all(odm.rewards(), {0.1 * 15 * 2 / 0.8, 0.1 * 15 * 1 / 0.2}, 1e-12);
  EXPECT_DOUBLE_EQ(odm.epsilon(), 0.45);  // sqrt(ln 2 / 4) = 0.416 is below the floor
  EXPECT_DOUBLE_EQ(dataflex::odm::exploration_rate(2, 400, 0.03), 0.03);
  EXPECT_DOUBLE_EQ(dataflex::odm::exploration_rate(2, 1, 0.9), 0.5);  // never above 1/K
  EXPECT_THROW(odm.initial_proportions(3), std::invalid_argument);
  dataflex::odm::Extras bad;
  bad.initial = {0.0, 0.0};
  EXPECT_THROW(OnlineDataMixing(Variant::kExp3, 0.9, bad), std::invalid_argument);
}

TEST(OdmExp3, LargeRewardsDoNotOverflowTheSoftmax) {
  OnlineDataMixing odm(Variant::kExp3, 0.0);  // alpha = 0: R is the last loss / pi
  std::vector<double> pi;
  for (int step = 0; step < 50; ++step) pi = odm.decide(kTwo, {5000.0, 1.0});
  for (double p : pi) EXPECT_TRUE(std::isfinite(p));
  EXPECT_NEAR(pi[0] + pi[1], 1.0, 1e-12);
  EXPECT_GT(pi[0], pi[1]);
}

// --- both variants -----------------------------------------------------------------------------------

TEST(OdmBandit, ProportionsSumToOneAndStayAboveEpsilon) {
  for (Variant v : {Variant::kExp3, Variant::kSmoothedMean}) {
    OnlineDataMixing odm(v, 0.9);
    for (int step = 0; step < 40; ++step) {
      const auto pi = odm.decide(kThree, kOracleLosses[step % kOracleLosses.size()]);
      double sum = 0;
      for (double p : pi) {
        EXPECT_GE(p, odm.epsilon() - 1e-15);
        sum += p;
      }
      EXPECT_NEAR(sum, 1.0, 1e-12);
    }
  }
}

TEST(OdmBandit, UnobservedDomainKeepsItsReward) {
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  odm.decide(kThree, {1.0, 2.0, 3.0});
  const double before = odm.rewards()[1];
  odm.decide(kThree, {1.0, kNone, 3.0});
  EXPECT_EQ(odm.rewards()[1], before);
}

TEST(OdmBandit, RefusesAChangeOfDomainsBetweenDecisions) {
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  odm.decide(kThree, {1.0, 2.0, 3.0});
  EXPECT_THROW(odm.decide({"news", "fiction", "code"}, {1.0, 2.0, 3.0}), std::invalid_argument);
  EXPECT_THROW(odm.decide(kTwo, {1.0, 2.0}), std::invalid_argument);
  EXPECT_EQ(odm.decisions(), 2);  // still pi_2 (the first decision carried losses): the failed ones changed nothing
}

TEST(OdmBandit, RefusesAnInfiniteLossAndKeepsItsState) {
  OnlineDataMixing odm(Variant::kSmoothedMean, 0.9);
  odm.decide(kThree, {1.0, 2.0, 3.0});
  const auto rewards = odm.rewards();
  EXPECT_THROW(odm.decide(kThree, {INFINITY, 2.0, 3.0}), std::invalid_argument);
  EXPECT_THROW(odm.decide(kThree, {800.0, 2.0, 3.0}), std::invalid_argument);  // exp(800) overflows
  EXPECT_EQ(odm.rewards(), rewards);
  EXPECT_EQ(odm.decisions(), 1);
}

TEST(OdmBandit, RefusesAlphaOutsideZeroOne) {
  EXPECT_THROW(OnlineDataMixing(Variant::kExp3, 1.5), std::invalid_argument);
  EXPECT_THROW(OnlineDataMixing(Variant::kExp3, -0.1), std::invalid_argument);
}

// --- state ---------------------------------------------------------------------------------------------

TEST(OdmState, RoundTripsExactly) {
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  for (int step = 0; step < 5; ++step) odm.decide(kThree, kOracleLosses[step]);
  OnlineDataMixing restored(Variant::kExp3, 0.9);
  restored.load(odm.save());
  EXPECT_EQ(restored.decisions(), odm.decisions());
  EXPECT_EQ(restored.epsilon(), odm.epsilon());
  EXPECT_EQ(restored.rewards(), odm.rewards());
  EXPECT_EQ(restored.proportions(), odm.proportions());
  EXPECT_EQ(restored.domains(), odm.domains());
  EXPECT_EQ(restored.save(), odm.save());
}

TEST(OdmState, ResumedBanditDecidesExactlyAsTheUninterruptedOne) {
  for (Variant v : {Variant::kExp3, Variant::kSmoothedMean}) {
    OnlineDataMixing whole(v, 0.9), first(v, 0.9), second(v, 0.9);
    for (int step = 0; step < 2; ++step) first.decide(kThree, kOracleLosses[step]);
    second.load(first.save());
    for (int step = 0; step < 5; ++step) {
      const auto want = whole.decide(kThree, kOracleLosses[step]);
      if (step >= 2) {
        EXPECT_EQ(second.decide(kThree, kOracleLosses[step]), want) << "step " << step;
      }
    }
    EXPECT_EQ(second.rewards(), whole.rewards());
  }
}

TEST(OdmState, EmptyBeforeTheFirstDecisionAndLoadsAsFresh) {
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  EXPECT_EQ(odm.save(), "");
  odm.load("");
  EXPECT_EQ(odm.decisions(), 0);
}

TEST(OdmState, RefusesAStateOfTheOtherVariant) {
  OnlineDataMixing exp3(Variant::kExp3, 0.9);
  exp3.decide(kThree, kOracleLosses[0]);
  OnlineDataMixing smoothed(Variant::kSmoothedMean, 0.9);
  EXPECT_THROW(smoothed.load(exp3.save()), std::invalid_argument);
}

TEST(OdmState, RefusesGarbage) {
  OnlineDataMixing odm(Variant::kExp3, 0.9);
  EXPECT_THROW(odm.load("not a state"), std::invalid_argument);
  EXPECT_THROW(odm.load("odm-state 1\nvariant exp3\nt 2\nepsilon 0x1p-2\nk 2\ndomain 0x1p+0 0x1p-1 a\n"),
               std::invalid_argument);  // one domain line of two
}

// --- the built plugin, through its C ABI ------------------------------------------------------------

// The built library, driven by the SDK's test host (<dataflex/testing.hpp>): the same C protocol and
// answer rules as the runtime.
class OdmPlugin : public ::testing::Test {
 protected:
  struct Instance {
    std::unique_ptr<dataflex::testing::PluginUnderTest> plugin;
    std::string error;                                    // the message of the last failing call
    std::vector<std::pair<std::string, double>> metrics;  // of the last call
  };
  std::unique_ptr<Instance> create(const char* variant) {
    static const dfx_plugin_api* api = dataflex::testing::PluginUnderTest::open_library(ODM_PLUGIN_LIBRARY);
    auto in = std::make_unique<Instance>();
    in->plugin = std::make_unique<dataflex::testing::PluginUnderTest>(
        api, host_,
        std::vector<dataflex::host::Param>{{"variant", variant},
                                           {"alpha", 0.9},
                                           {"reward_scale", 1.0},
                                           {"min_exploration_rate", 0.0},
                                           {"initial_proportions", std::vector<double>{}},
                                           {"warmup_steps", int64_t{0}}},
        7);
    return in;
  }

  // Decision `index`, at step 10 (index + 1), with these observed losses.
  dfx_status mix(Instance& in, int64_t index, const std::vector<double>& losses, std::vector<double>* out) {
    dataflex::host::MixInput m{
        {"news", "fiction", "learned"}, std::vector<double>(3, 1.0 / 3.0), losses, std::vector<int64_t>(3, 100)};
    return guarded(in, [&] {
      *out = in.plugin->mix(m, {10 * (index + 1), 100, index, -1, 1});
      in.metrics.clear();
      for (const auto& x : in.plugin->take_metrics()) in.metrics.emplace_back(x.name, x.value);
    });
  }

  std::string save(Instance& in) {
    const auto blob = in.plugin->save_state();
    return std::string(blob.begin(), blob.end());
  }

  dfx_status load(Instance& in, const std::string& blob) {
    return guarded(in, [&] { in.plugin->load_state(std::vector<uint8_t>(blob.begin(), blob.end())); });
  }

 private:
  template <class Body>
  dfx_status guarded(Instance& in, Body&& body) {
    try {
      body();
      return DFX_OK;
    } catch (const dataflex::host::PluginCallError& e) {
      in.error = e.message();
      return e.status() == DFX_OK ? DFX_ERR_INTERNAL : e.status();
    }
  }
  dataflex::testing::MockHost host_;
};

TEST_F(OdmPlugin, ResumedFromSavedStateDecidesBitForBitAsUninterrupted) {
  for (const char* variant : {"exp3", "smoothed_mean"}) {
    auto whole = create(variant), before = create(variant), after = create(variant);
    std::vector<double> want, got;
    for (int64_t i = 0; i < 2; ++i) ASSERT_EQ(mix(*before, i, kOracleLosses[i], &got), DFX_OK);
    ASSERT_EQ(load(*after, save(*before)), DFX_OK) << after->error;
    for (int64_t i = 0; i < 5; ++i) {
      ASSERT_EQ(mix(*whole, i, kOracleLosses[i], &want), DFX_OK);
      if (i < 2) continue;
      ASSERT_EQ(mix(*after, i, kOracleLosses[i], &got), DFX_OK);
      EXPECT_EQ(got, want) << variant << ", decision " << i;
    }
    EXPECT_EQ(save(*after), save(*whole));
  }
}

TEST_F(OdmPlugin, ReportsRewardsAndEpsilonAsMetrics) {
  // Oracle (task brief), smoothed_mean after step 1: R = [2.008554, 0.738906, 0]; eps_1 = 1/3.
  auto in = create("smoothed_mean");
  std::vector<double> pi;
  ASSERT_EQ(mix(*in, 0, kOracleLosses[0], &pi), DFX_OK);
  const auto& metrics = in->metrics;
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0].first, "odm.reward.news");
  EXPECT_NEAR(metrics[0].second, 2.008554, 1e-6);
  EXPECT_EQ(metrics[1].first, "odm.reward.fiction");
  EXPECT_NEAR(metrics[1].second, 0.738906, 1e-6);
  EXPECT_EQ(metrics[2].first, "odm.reward.learned");
  EXPECT_EQ(metrics[2].second, 0.0);
  EXPECT_EQ(metrics[3].first, "odm.epsilon");
  EXPECT_DOUBLE_EQ(metrics[3].second, 1.0 / 3.0);
}

TEST_F(OdmPlugin, LoadingAStateOfTheOtherVariantFailsWithAMessage) {
  auto exp3 = create("exp3"), smoothed = create("smoothed_mean");
  std::vector<double> pi;
  ASSERT_EQ(mix(*exp3, 0, kOracleLosses[0], &pi), DFX_OK);
  EXPECT_EQ(load(*smoothed, save(*exp3)), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(smoothed->error.find("variant 'exp3'"), std::string::npos) << smoothed->error;
}

}  // namespace
