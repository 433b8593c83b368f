// The samplers the trainers' decisions drive.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "train/samplers.hpp"

namespace dataflex {
namespace {

TEST(SubsetSampler, WithoutReplacementEverySelectedIdOncePerPass) {
  SubsetSampler s({4, 8, 15, 16, 23, 42}, false, 7);
  for (int pass = 0; pass < 3; ++pass) {
    const auto ids = s.next(6);
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()), (std::set<int64_t>{4, 8, 15, 16, 23, 42}));
  }
}

TEST(SubsetSampler, StateRoundTripContinuesTheSameStream) {
  SubsetSampler a({1, 2, 3, 4, 5}, false, 3);
  a.next(3);
  SubsetSampler b = SubsetSampler::from_state(a.state(), "test");
  EXPECT_EQ(a.next(12), b.next(12));
}

TEST(DomainSampler, SampleProportionsAreFollowed) {
  DomainSampler s({{0, 1, 2}, {3, 4, 5, 6}}, {100, 100}, 11);
  s.set_proportions({0.25, 0.75}, false);
  int in_first = 0;
  for (int64_t id : s.next(20000)) in_first += id < 3;
  EXPECT_NEAR(in_first / 20000.0, 0.25, 0.01);
}

TEST(DomainSampler, TokenProportionsGiveEachDomainItsShareOfTokens) {
  // Domain 0: 100-token samples, domain 1: 300-token samples. Equal token shares need three
  // samples of domain 0 for each one of domain 1.
  DomainSampler s({{0, 1}, {2, 3}}, {100, 300}, 5);
  s.set_proportions({0.5, 0.5}, true);
  double tokens0 = 0, tokens1 = 0;
  for (int64_t id : s.next(20000)) (id < 2 ? tokens0 += 100 : tokens1 += 300);
  EXPECT_NEAR(tokens0 / (tokens0 + tokens1), 0.5, 0.01);
}

TEST(DomainSampler, EmptyDomainsAreNeverDrawnAndStateRoundTrips) {
  DomainSampler a({{0, 1}, {}, {2}}, {10, 0, 10}, 9);
  a.set_proportions({0.2, 0.6, 0.2}, false);
  for (int64_t id : a.next(200)) EXPECT_TRUE(id == 0 || id == 1 || id == 2);
  DomainSampler b({{0, 1}, {}, {2}}, {10, 0, 10}, 1);
  b.load_state(a.state(), "test");
  EXPECT_EQ(a.next(50), b.next(50));
}

}  // namespace
}  // namespace dataflex
