// The `delta_loss` selector: its window arithmetic (delta_loss_math.hpp), and the plugin itself,
// compiled into this test and driven through its C ABI table by the SDK's mock host.
#include "delta_loss_math.hpp"

#include <dataflex/dataflex_plugin.h>
#include <gtest/gtest.h>
#include <dataflex/testing.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

extern "C" const dfx_plugin_api* dataflex_plugin_get_api(uint32_t host_abi_version);

namespace dl = dataflex::delta_loss;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// --- The plugin, driven by the SDK's test host (<dataflex/testing.hpp>) ------------------------------

// The manifest's parameters (its defaults unless a test says otherwise).
struct PluginOptions {
  double window_size = 0.2;
  double outside_weight = 0.025;
  int64_t num_updates = 0;
};

// What a test sets before a decision (the pool's losses) and reads after it (metrics, error).
struct DecisionHost {
  std::vector<float> losses;              // by sample id
  std::map<std::string, double> metrics;  // the last value recorded under each name
  std::string error;
};

// One plugin instance on its own mock host, compiled into this test.
class DeltaLossPlugin {
 public:
  using Options = PluginOptions;
  struct Decision {
    std::vector<int64_t> ids;
    std::vector<double> scores;
  };

  explicit DeltaLossPlugin(Options o = {})
      : plugin_(dataflex_plugin_get_api(DATAFLEX_ABI_VERSION), mock_,
                {{"window_size", o.window_size}, {"outside_weight", o.outside_weight}, {"num_updates", o.num_updates}},
                /*seed=*/11) {}

  DecisionHost& host() { return host_; }

  // Decision number `index` (0-based) at `step`; the seed is a function of the index, as the host's.
  dfx_status select(int64_t index, size_t num_select, Decision* out, int64_t max_decisions = 5, int64_t step = -1,
                    int64_t total_steps = 1000) {
    mock_.sample_losses(dataflex::host::Dataset::Train, host_.losses);
    host_.metrics.clear();
    const dataflex::host::DecisionContext ctx{step < 0 ? index : step, total_steps, index, max_decisions,
                                              0x9E3779B97F4A7C15ull * uint64_t(index + 1)};
    dfx_status status = DFX_OK;
    try {
      const auto sel = plugin_.select(host_.losses.size(), num_select, ctx);
      if (out) *out = {sel.ids, sel.scores};
    } catch (const dataflex::host::PluginCallError& e) {
      host_.error = e.message();
      status = e.status() == DFX_OK ? DFX_ERR_INTERNAL : e.status();
    }
    for (const auto& m : plugin_.take_metrics()) host_.metrics[m.name] = m.value;
    return status;
  }
  Decision select_ok(int64_t index, size_t num_select, int64_t max_decisions = 5, int64_t step = -1,
                     int64_t total_steps = 1000) {
    Decision d;
    const dfx_status s = select(index, num_select, &d, max_decisions, step, total_steps);
    EXPECT_EQ(s, DFX_OK) << host_.error;
    return d;
  }

  std::string save_state() {
    const auto blob = plugin_.save_state();
    return std::string(blob.begin(), blob.end());
  }
  dfx_status load_state(const std::string& blob) {
    try {
      plugin_.load_state(std::vector<uint8_t>(blob.begin(), blob.end()));
      return DFX_OK;
    } catch (const dataflex::host::PluginCallError& e) {
      host_.error = e.message();
      return e.status();
    }
  }

 private:
  dataflex::testing::MockHost mock_;
  DecisionHost host_;
  dataflex::testing::PluginUnderTest plugin_;
};

// The issue's recording: N = 100, losses at the first decision, then Δ_i = 100 - i at every later one.
std::vector<float> initial_losses() {
  std::vector<float> l(100);
  for (size_t i = 0; i < l.size(); ++i) l[i] = 200.0f + float(i);
  return l;
}
std::vector<float> losses_with_delta_100_minus_id() {
  std::vector<float> l(100);
  for (size_t i = 0; i < l.size(); ++i) l[i] = 100.0f + 2.0f * float(i);  // Δ = (200 + i) - (100 + 2i)
  return l;
}

}  // namespace

// --- The window ------------------------------------------------------------------------------------

TEST(DeltaLossWindow, IssueOracleWindowsForHundredSamplesAndFiveUpdates) {
  // Issue oracle: N = 100, U = 5, w = 0.2 -> [0,20), [6,26), [40,60), [73,93), [79,99) for c = 1..5.
  const std::vector<std::pair<int64_t, int64_t>> want = {{0, 20}, {6, 26}, {40, 60}, {73, 93}, {79, 99}};
  for (int64_t c = 1; c <= 5; ++c) {
    const dl::Window w = dl::window_bounds(c, 5, 100, 0.2);
    EXPECT_EQ(w.start, want[size_t(c - 1)].first) << "c = " << c;
    EXPECT_EQ(w.end, want[size_t(c - 1)].second) << "c = " << c;
  }
}

TEST(DeltaLossWindow, ProgressRunsFromZeroAtTheFirstDecisionToOneAtTheLast) {
  EXPECT_DOUBLE_EQ(dl::window_progress(1, 5), 0.0);
  EXPECT_DOUBLE_EQ(dl::window_progress(3, 5), 0.5);
  EXPECT_DOUBLE_EQ(dl::window_progress(5, 5), 1.0);
}

TEST(DeltaLossWindow, SigmoidIsOneHalfAtMidTraining) {
  // Hand-computed: σ(0.5) = 1/2; σ(0) = 1/(1 + e^5).
  EXPECT_DOUBLE_EQ(dl::window_sigmoid(0.5), 0.5);
  EXPECT_NEAR(dl::window_sigmoid(0.0), 1.0 / (1.0 + std::exp(5.0)), 1e-15);
}

TEST(DeltaLossWindow, ASingleUpdateRunStartsAtZeroProgressAndAnyLaterCallIsAtTheEnd) {
  // The original divides by U - 1 = 0 here; ours: u = 0 for c = 1, u = 1 for c > 1.
  EXPECT_DOUBLE_EQ(dl::window_progress(1, 1), 0.0);
  EXPECT_DOUBLE_EQ(dl::window_progress(2, 1), 1.0);
  const dl::Window w = dl::window_bounds(2, 1, 100, 0.2);
  EXPECT_EQ(w.start, 79);
  EXPECT_EQ(w.end, 99);
}

TEST(DeltaLossWindow, CallsBeyondThePlannedCountStayAtTheEnd) {
  const dl::Window w = dl::window_bounds(9, 5, 100, 0.2);
  EXPECT_EQ(w.start, 79);
  EXPECT_EQ(w.end, 99);
}

TEST(DeltaLossWindow, WindowSizeOneCoversThePool) {
  const dl::Window w = dl::window_bounds(3, 5, 100, 1.0);
  EXPECT_EQ(w.start, 0);
  EXPECT_EQ(w.end, 100);
}

TEST(DeltaLossWindow, IsCutAtTheFirstNegativeDelta) {
  // Hand-computed: ranked Δ = [5, 4, 3, -1, -2]; the first negative sits at position 3.
  const std::vector<double> delta = {-1, 3, 5, -2, 4};
  const auto ranking = dl::rank_by_delta(delta);
  EXPECT_EQ(dl::first_negative_position(delta, ranking), 3);
  const dl::Window w = dl::cut_at_first_negative({1, 5}, 3);
  EXPECT_EQ(w.start, 1);
  EXPECT_EQ(w.end, 3);
}

TEST(DeltaLossWindow, AZeroDeltaIsNotNegative) {
  const std::vector<double> delta = {0.0, 1.0, 0.0};
  EXPECT_EQ(dl::first_negative_position(delta, dl::rank_by_delta(delta)), 3);
}

TEST(DeltaLossWindow, AllNegativeDeltasGiveAnEmptyWindowAndEqualWeights) {
  const std::vector<double> delta = {-1, -2, -3, -4};
  const auto ranking = dl::rank_by_delta(delta);
  const dl::Window w =
      dl::cut_at_first_negative(dl::window_bounds(2, 5, 4, 0.5), dl::first_negative_position(delta, ranking));
  EXPECT_EQ(w.size(), 0);
  EXPECT_EQ(dl::window_weights(ranking, w, 0.025), (std::vector<double>{0.025, 0.025, 0.025, 0.025}));
}

TEST(DeltaLossWindow, ACutBeforeTheWindowStartsLeavesItEmptyAtItsStart) {
  const dl::Window w = dl::cut_at_first_negative({40, 60}, 10);
  EXPECT_EQ(w.start, 40);
  EXPECT_EQ(w.end, 40);
  EXPECT_EQ(w.size(), 0);
}

TEST(DeltaLossWindow, RankingIsDescendingTiesBySmallerIdAndNaNLast) {
  const std::vector<double> delta = {1.0, kNaN, 3.0, 1.0, -2.0};
  EXPECT_EQ(dl::rank_by_delta(delta), (std::vector<int64_t>{2, 0, 3, 4, 1}));
}

TEST(DeltaLossWindow, ANaNDeltaEndsTheWindowLikeANegativeOne) {
  const std::vector<double> delta = {1.0, kNaN, 3.0};
  EXPECT_EQ(dl::first_negative_position(delta, dl::rank_by_delta(delta)), 2);
}

TEST(DeltaLossWindow, WeightsAreOneInsideTheWindowAndOutsideWeightElsewhere) {
  // Ranking [2, 0, 1, 3]; window positions [1, 3) hold ids 0 and 1.
  const auto w = dl::window_weights({2, 0, 1, 3}, {1, 3}, 0.025);
  EXPECT_EQ(w, (std::vector<double>{1.0, 1.0, 0.025, 0.025}));
}

// --- U when the run is open-ended -------------------------------------------------------------------

TEST(DeltaLossSchedule, EstimatesTheNumberOfDecisionsFromTheirSteps) {
  // Hand-computed: decisions at 10, 30, ..., 990 (< 1000): 50 of them.
  EXPECT_EQ(dl::estimate_num_updates(2, 30, 10, 1000), 50);
  EXPECT_EQ(dl::estimate_num_updates(4, 70, 10, 1000), 50);
}

TEST(DeltaLossSchedule, EstimateIsNeverBelowTheCurrentDecision) {
  EXPECT_EQ(dl::estimate_num_updates(6, 110, 10, 100), 6);
  EXPECT_EQ(dl::estimate_num_updates(3, 10, 10, 1000), 3);  // no step difference to read an interval from
}

// --- Drawing ----------------------------------------------------------------------------------------

TEST(DeltaLossDraw, ZeroOutsideWeightTakesTheWholeWindowThenFillsUniformly) {
  dataflex::Rng rng(9);
  const auto ids = rng.weighted_choice({0, 1, 1, 0, 0}, 3, false);
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.begin() + 2), (std::set<int64_t>{1, 2}));
  EXPECT_TRUE(ids[2] == 0 || ids[2] == 3 || ids[2] == 4);
}

// --- The plugin -------------------------------------------------------------------------------------

TEST(DeltaLossPlugin, FirstDecisionDrawsUniformlyWithTheDecisionSeed) {
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  const auto d = p.select_ok(0, 10);
  dataflex::Rng rng(0x9E3779B97F4A7C15ull);  // decision 0's seed in DeltaLossPlugin::select
  EXPECT_EQ(d.ids, rng.sample_without_replacement(100, 10));
  EXPECT_EQ(p.host().metrics.count("delta_loss.window_start"), 0u);  // no window before any Δ
  EXPECT_DOUBLE_EQ(d.scores[0], 200.0 + double(d.ids[0]));           // the first decision reports losses
}

TEST(DeltaLossPlugin, IssueOracleWindowsAreTheRecordedMetrics) {
  // Issue oracle, decisions 2..5 (the first draws uniformly): Δ_i = 100 - i ranks id i at position i.
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  p.select_ok(0, 10);
  p.host().losses = losses_with_delta_100_minus_id();
  const std::vector<std::pair<int64_t, int64_t>> want = {{6, 26}, {40, 60}, {73, 93}, {79, 99}};
  for (int64_t i = 1; i <= 4; ++i) {
    const auto [start, end] = want[size_t(i - 1)];
    const auto d = p.select_ok(i, 10);
    EXPECT_EQ(p.host().metrics.at("delta_loss.update"), double(i + 1));
    EXPECT_EQ(p.host().metrics.at("delta_loss.window_start"), double(start));
    EXPECT_EQ(p.host().metrics.at("delta_loss.window_end"), double(end));
    int inside = 0;
    for (int64_t id : d.ids) inside += id >= start && id < end;
    EXPECT_EQ(p.host().metrics.at("delta_loss.in_window"), double(inside));
    EXPECT_GE(inside, 6) << "decision " << i + 1;  // P(inside) per draw ~ 20 / (20 + 80 * 0.025) = 0.91
  }
}

TEST(DeltaLossPlugin, ScoresAreTheDeltasOfTheSelectedSamples) {
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  p.select_ok(0, 5);
  p.host().losses = losses_with_delta_100_minus_id();
  const auto d = p.select_ok(1, 5);
  for (size_t j = 0; j < d.ids.size(); ++j) EXPECT_DOUBLE_EQ(d.scores[j], 100.0 - double(d.ids[j]));
}

TEST(DeltaLossPlugin, AllLossesUpGivesAnEmptyWindowAndStillSelects) {
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  p.select_ok(0, 10);
  for (auto& l : p.host().losses) l += 1.0f;  // every Δ = -1
  const auto d = p.select_ok(2, 10);
  EXPECT_EQ(d.ids.size(), 10u);
  EXPECT_EQ(p.host().metrics.at("delta_loss.first_negative"), 0.0);
  EXPECT_EQ(p.host().metrics.at("delta_loss.window_start"), p.host().metrics.at("delta_loss.window_end"));
  EXPECT_EQ(p.host().metrics.at("delta_loss.in_window"), 0.0);
}

TEST(DeltaLossPlugin, OpenEndedRunUsesTheNumUpdatesParameter) {
  DeltaLossPlugin p({0.2, 0.025, 5});
  p.host().losses = initial_losses();
  p.select_ok(0, 10, -1);
  p.host().losses = losses_with_delta_100_minus_id();
  p.select_ok(1, 10, -1);
  EXPECT_EQ(p.host().metrics.at("delta_loss.num_updates"), 5.0);
  EXPECT_EQ(p.host().metrics.at("delta_loss.window_start"), 6.0);
  EXPECT_EQ(p.host().metrics.at("delta_loss.window_end"), 26.0);
}

TEST(DeltaLossPlugin, OpenEndedRunEstimatesTheUpdatesFromTheSchedule) {
  // Decisions at steps 10, 30, 50, 70 of 90: U = 4, so decision 2 is at u = 1/3.
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  p.select_ok(0, 10, -1, 10, 90);
  p.host().losses = losses_with_delta_100_minus_id();
  p.select_ok(1, 10, -1, 30, 90);
  EXPECT_EQ(p.host().metrics.at("delta_loss.num_updates"), 4.0);
  EXPECT_DOUBLE_EQ(p.host().metrics.at("delta_loss.progress"), 1.0 / 3.0);
}

TEST(DeltaLossPlugin, MaxDecisionsOfTheRunWinsOverTheParameter) {
  DeltaLossPlugin p({0.2, 0.025, 50});
  p.host().losses = initial_losses();
  p.select_ok(0, 10, 5);
  p.host().losses = losses_with_delta_100_minus_id();
  p.select_ok(1, 10, 5);
  EXPECT_EQ(p.host().metrics.at("delta_loss.num_updates"), 5.0);
}

TEST(DeltaLossPlugin, ResumedRunDecidesAsTheUninterruptedOne) {
  // Uninterrupted: 5 decisions. Interrupted: 3 decisions, state saved, a new instance loads it and
  // takes decisions 4 and 5. Both see the same losses and seeds.
  std::vector<std::vector<float>> losses_at = {initial_losses()};
  for (int i = 1; i < 5; ++i) {
    auto l = losses_with_delta_100_minus_id();
    for (size_t j = 0; j < l.size(); ++j) l[j] += float((j * 37 + size_t(i) * 11) % 13) * 0.5f;  // reshuffles Δ
    losses_at.push_back(l);
  }
  DeltaLossPlugin whole;
  std::vector<DeltaLossPlugin::Decision> want;
  for (int64_t i = 0; i < 5; ++i) {
    whole.host().losses = losses_at[size_t(i)];
    want.push_back(whole.select_ok(i, 10));
  }
  std::string state;
  {
    DeltaLossPlugin first_half;
    for (int64_t i = 0; i < 3; ++i) {
      first_half.host().losses = losses_at[size_t(i)];
      EXPECT_EQ(first_half.select_ok(i, 10).ids, want[size_t(i)].ids);
    }
    state = first_half.save_state();
  }
  DeltaLossPlugin resumed;
  ASSERT_EQ(resumed.load_state(state), DFX_OK);
  for (int64_t i = 3; i < 5; ++i) {
    resumed.host().losses = losses_at[size_t(i)];
    const auto d = resumed.select_ok(i, 10);
    EXPECT_EQ(d.ids, want[size_t(i)].ids) << "decision " << i + 1;
    EXPECT_EQ(resumed.host().metrics.at("delta_loss.update"), double(i + 1));
  }
}

TEST(DeltaLossPlugin, StateHoldsTheFirstLossesAndRoundTripsExactly) {
  DeltaLossPlugin p;
  EXPECT_EQ(p.save_state().size(), 32u);  // header only before the first decision
  p.host().losses = initial_losses();
  p.select_ok(0, 10);
  const std::string state = p.save_state();
  EXPECT_EQ(state.size(), 32u + 100u * sizeof(float));
  DeltaLossPlugin q;
  ASSERT_EQ(q.load_state(state), DFX_OK);
  EXPECT_EQ(q.save_state(), state);
}

TEST(DeltaLossPlugin, AnEmptyStateIsAFreshStart) {
  DeltaLossPlugin p;
  ASSERT_EQ(p.load_state(""), DFX_OK);
  p.host().losses = initial_losses();
  p.select_ok(0, 10);
  EXPECT_EQ(p.host().metrics.at("delta_loss.update"), 1.0);
}

TEST(DeltaLossPlugin, AForeignOrTruncatedStateIsRefused) {
  DeltaLossPlugin p;
  EXPECT_NE(p.load_state("not a delta_loss state at all, no"), DFX_OK);
  EXPECT_NE(p.host().error.find("not a delta_loss state"), std::string::npos);
  p.host().losses = initial_losses();
  p.select_ok(0, 10);
  std::string state = p.save_state();
  state.pop_back();
  DeltaLossPlugin q;
  EXPECT_NE(q.load_state(state), DFX_OK);
  EXPECT_NE(q.host().error.find("corrupt"), std::string::npos);
}

TEST(DeltaLossPlugin, AChangedPoolIsAnErrorNamingBothSizes) {
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  p.select_ok(0, 10);
  p.host().losses.resize(90);
  EXPECT_EQ(p.select(1, 10, nullptr), DFX_ERR_INVALID_ARGUMENT);
  EXPECT_NE(p.host().error.find("90"), std::string::npos);
  EXPECT_NE(p.host().error.find("100"), std::string::npos);
}

TEST(DeltaLossPlugin, AFailedDecisionLeavesTheStateUnchanged) {
  DeltaLossPlugin p;
  p.host().losses = initial_losses();
  const std::string before = p.save_state();
  EXPECT_NE(p.select(0, 101, nullptr), DFX_OK);  // more than the pool, no duplicates
  EXPECT_EQ(p.save_state(), before);
}
