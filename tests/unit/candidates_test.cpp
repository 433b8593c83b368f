// dataflex.candidates (plugins/candidate_view.hpp): a selector sees a seeded random subset of the pool
// as its whole pool, and every service it asks answers for the pool ids behind its ids.
#include <gtest/gtest.h>

#include <set>

#include "plugins/candidate_view.hpp"

namespace dataflex {
namespace {

// Answers with the pool ids themselves, so that a test sees which ids reached the host.
class EchoHost : public host::ServiceProvider {
 public:
  std::string description() const override { return "echo host"; }
  host::DatasetInfo dataset_info(host::Dataset d) override { return {d == host::Dataset::Train ? 100u : 7u, 3}; }
  std::vector<float> sample_losses(host::Dataset, host::Model, const host::SampleIds& ids) override {
    return std::vector<float>(ids.begin(), ids.end());
  }
  std::vector<float> gradient_features(const host::GradientRequest&, const host::SampleIds& ids) override {
    return std::vector<float>(ids.begin(), ids.end());
  }
};

TEST(Candidates, DrawsAreDistinctSortedSeededAndUniform) {
  const auto a = draw_candidates(100, 10, 5), b = draw_candidates(100, 10, 5), c = draw_candidates(100, 10, 6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 10u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(draw_candidates(4, 10, 1), (std::vector<int64_t>{0, 1, 2, 3}));  // more than the pool: all of it
  std::vector<int> hits(20, 0);  // each of 20 ids drawn ~ 4000 * 5/20 = 1000 times
  for (uint64_t s = 0; s < 4000; ++s)
    for (int64_t id : draw_candidates(20, 5, s)) ++hits[size_t(id)];
  for (int h : hits) EXPECT_NEAR(h, 1000, 150);
}

TEST(Candidates, TheViewMapsTrainingIdsAndLeavesTheEvalSetAlone) {
  EchoHost host;
  CandidateView view(host);
  EXPECT_EQ(view.dataset_info(host::Dataset::Train).num_samples, 100u);
  view.show({5, 17, 42});
  EXPECT_EQ(view.dataset_info(host::Dataset::Train).num_samples, 3u);
  EXPECT_EQ(view.dataset_info(host::Dataset::Eval).num_samples, 7u);
  EXPECT_EQ(view.sample_losses(host::Dataset::Train, host::Model::Current, {2, 0}), (std::vector<float>{42, 5}));
  EXPECT_EQ(view.sample_losses(host::Dataset::Eval, host::Model::Current, {2, 0}), (std::vector<float>{2, 0}));
  host::GradientRequest r;
  EXPECT_EQ(view.gradient_features(r, {1}), (std::vector<float>{17}));
  try {
    view.sample_losses(host::Dataset::Train, host::Model::Current, {3});
    FAIL() << "an id past the candidates must be refused";
  } catch (const host::ServiceError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("outside the 3 candidates"), std::string::npos);
  }
  view.show_all();
  EXPECT_EQ(view.sample_losses(host::Dataset::Train, host::Model::Current, {3}), (std::vector<float>{3}));
}

}  // namespace
}  // namespace dataflex
