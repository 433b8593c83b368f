// The host holds every plugin answer to the SDK's rules and names the rule an answer broke.
#include <gtest/gtest.h>

#include <cmath>

#include "plugins/plugin_instance.hpp"
#include "test_support.hpp"

namespace dataflex {

namespace {

struct NoServices : host::ServiceProvider {
  std::string description() const override { return "test host"; }
};

// The misbehaving plugin of `kind`, told to misbehave as `behaviour`.
class Misbehaving {
 public:
  Misbehaving(const std::string& kind, const std::string& behaviour) {
    test::ManifestText t;
    t.kind = kind;
    auto m = read_manifest(test::make_plugin_folder(dir_.path(), "p", t.str(), test::misbehaving_library(kind)));
    auto params = resolve_params(m.params, {ParamInput{"behaviour", ParamValue::of_string(behaviour), "test"}},
                                 "plugin 'misbehaving'", m.path);
    plugin_ = std::make_unique<PluginInstance>(PluginLibrary::load(m, nullptr), host_, params, 0);
  }
  PluginInstance& operator*() { return *plugin_; }
  PluginInstance* operator->() { return plugin_.get(); }

 private:
  test::TempDir dir_;
  NoServices host_;
  std::unique_ptr<PluginInstance> plugin_;
};

}  // namespace

TEST(SelectionRules, ACorrectSelectionPasses) {
  Misbehaving p("selector", "none");
  EXPECT_EQ(p->select({}, 10, 3, false, {}).ids, (std::vector<int64_t>{0, 1, 2}));
}

TEST(SelectionRules, IndexOutOfRangeIsRefused) {
  Misbehaving p("selector", "out_of_range");
  test::expect_error(
      [&] { p->select({}, 10, 3, false, {}); },
      {"invalid select decision at step 0, refused: index out of range: ids[2] = 10 is outside the pool [0, 10)"});
  Misbehaving q("selector", "negative_index");
  test::expect_error([&] { q->select({}, 10, 3, false, {}); }, {"index out of range: ids[0] = -3"});
}

TEST(SelectionRules, WrongCountIsRefused) {
  Misbehaving p("selector", "wrong_count");
  test::expect_error([&] { p->select({}, 10, 3, false, {}); }, {"wrong count: 2 ids returned, 3 asked for"});
}

TEST(SelectionRules, DuplicatesAreRefusedUnlessAllowed) {
  Misbehaving p("selector", "duplicates");
  test::expect_error([&] { p->select({}, 10, 3, false, {}); }, {"duplicate index: 0 appears more than once"});
  EXPECT_EQ(p->select({}, 10, 3, true, {}).ids, (std::vector<int64_t>{0, 0, 2}));
}

TEST(PluginErrors, ErrorStatusCarriesThePluginsMessage) {
  Misbehaving p("selector", "error_status");
  test::expect_error([&] { p->select({}, 10, 3, false, {}); },
                     {"plugin 'misbehaving' failed in select at step 0 with DFX_ERR_INVALID_ARGUMENT: threshold must "
                      "be positive, got -1"});
}

TEST(PluginErrors, FailingCreateIsReportedWithItsMessage) {
  test::expect_error([] { Misbehaving p("selector", "fail_create"); },
                     {"failed in create with DFX_ERR_INVALID_ARGUMENT: refusing to start: fail_create was asked for"});
}

TEST(MixtureRules, ProportionsAreNormalised) {
  Misbehaving p("mixer", "none");
  const auto m = p->mix({}, {{"a", "b", "c", "d"}, {0.25, 0.25, 0.25, 0.25}, {NAN, NAN, NAN, NAN}, {0, 0, 0, 0}});
  EXPECT_EQ(m, (std::vector<double>{0.25, 0.25, 0.25, 0.25}));
}

TEST(MixtureRules, NaNProportionIsRefused) {
  Misbehaving p("mixer", "nan");
  test::expect_error(
      [&] {
        p->mix({}, {{"a", "b"}, {0.5, 0.5}, {1, 1}, {1, 1}});
      },
      {"invalid mix decision at step 0, refused: NaN proportion: proportions[0] is NaN"});
}

TEST(MixtureRules, NegativeProportionIsRefused) {
  Misbehaving p("mixer", "negative");
  test::expect_error(
      [&] {
        p->mix({}, {{"a", "b"}, {0.5, 0.5}, {1, 1}, {1, 1}});
      },
      {"negative proportion: proportions[1] = -0.5"});
}

TEST(MixtureRules, AllZeroProportionsAreRefused) {
  Misbehaving p("mixer", "zero");
  test::expect_error([&] { p->mix({}, {{"a", "b"}, {0.5, 0.5}, {1, 1}, {1, 1}}); }, {"zero proportions"});
}

TEST(WeightRules, NaNAndNegativeWeightsAreRefused) {
  Misbehaving p("weighter", "nan");
  test::expect_error(
      [&] {
        p->weight({}, {{0, 1}, {0, 0}, {1.f, 2.f}});
      },
      {"invalid weight decision at step 0, refused: NaN weight: weights[0]"});
  Misbehaving q("weighter", "negative");
  test::expect_error([&] { q->weight({}, {{0, 1}, {0, 0}, {1.f, 2.f}}); }, {"negative weight: weights[0] = -1"});
}

TEST(MixtureRules, HugeProportionsAreNormalisedNotZeroed) {
  // Regression (issue 12): 1e308 + 0.5e308 overflowed the sum and every proportion became 0.
  Misbehaving p("mixer", "huge");
  const auto m = p->mix({}, {{"a", "b", "c"}, {1.0 / 3, 1.0 / 3, 1.0 / 3}, {1, 1, 1}, {1, 1, 1}});
  EXPECT_NEAR(m[0], 0.5, 1e-12);
  EXPECT_NEAR(m[1], 0.25, 1e-12);
  EXPECT_NEAR(m[2], 0.25, 1e-12);
}

TEST(WeightRules, WeightsBeyondFloat32AreRefusedWithTheReason) {
  // Regression (issue 12): weights of 1e308 became inf in float32 and the run "diverged".
  Misbehaving p("weighter", "huge");
  test::expect_error(
      [&] {
        p->weight({}, {{0, 1}, {0, 0}, {1.f, 2.f}});
      },
      {"invalid weight decision at step 0, refused: weight too large: weights[0]", "float32"});
}

TEST(WeightSummary, EntropyOfUniformWeightsIsLogN) {
  const auto s = host::summarize_weights({1, 1, 1, 1}, {1.f, 2.f, 3.f, 4.f});
  EXPECT_DOUBLE_EQ(s.mean, 1.0);
  EXPECT_NEAR(s.entropy, std::log(4.0), 1e-12);
  EXPECT_DOUBLE_EQ(s.weighted_loss, 2.5);
}

TEST(WeightSummary, WeightedLossIsTheWeightTrainersObjective) {
  // Hand-computed: (3*1 + 1*2) / (3 + 1) = 1.25.
  EXPECT_DOUBLE_EQ(host::summarize_weights({3, 1}, {1.f, 2.f}).weighted_loss, 1.25);
}

}  // namespace dataflex
