// TSDS's allocation against the issue's oracle and hand-computed cases, its densities and neighbour
// counts, and the SDK's reader of the original's tsds_probs.npy on numpy's bytes.
#include <gtest/gtest.h>
#include <dataflex/npy.hpp>

#include <cstring>

#include "tsds_math.hpp"

namespace tsds = dataflex::tsds;

namespace {

void expect_probs(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "entry " << i;
}

}  // namespace

TEST(TsdsAllocation, IssueOracleOneTarget) {
  // One target, neighbours 0..4 at distances 0..4, rho = 1, C = 1.
  const std::vector<int64_t> ids{0, 1, 2, 3, 4};
  const std::vector<double> dist{0, 1, 2, 3, 4}, rho(5, 1.0);
  // alpha = 0.2: levels 1 (cost 1), 2 (cost 2*2 - 1 = 3) pass 0.2 * cost < 0.8; level 3 costs
  // 3*3 - 3 = 6 and stops: s = 3, ranks 0 and 1 get 1/3 each, rank 2 the remaining 1/3.
  const auto a = tsds::allocate(ids, dist, rho, 1, 5, 5, 0.2, 1.0);
  expect_probs(a.probs, {1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0});
  EXPECT_DOUBLE_EQ(a.level, 3.0);
  // alpha = 0.5: the first step already costs 0.5 * 1 >= 0.5: all mass on the nearest.
  expect_probs(tsds::allocate(ids, dist, rho, 1, 5, 5, 0.5, 1.0).probs, {1, 0, 0, 0, 0});
}

TEST(TsdsAllocation, TwoTargetsWithDensitiesByHand) {
  // Target 0: samples 0, 1, 2 at 0, 1, 2 with densities 1, 2, 1; target 1: samples 2, 3, 0 at 0.5, 1,
  // 3, densities 1. alpha = 0 never stops: levels 1 (t0), 1 (t1), 1.5 (t0), 2 (t1); s = 2, both
  // targets reach rank 1. t0: 1/(2*2*1) = .25 to 0, 1/(2*2*2) = .125 to 1, remainder .125 to 2;
  // t1: .25 to 2, .25 to 3, nothing left for 0.
  const std::vector<int64_t> ids{0, 1, 2, 2, 3, 0};
  const std::vector<double> dist{0, 1, 2, 0.5, 1, 3}, rho{1, 2, 1, 1, 1, 1};
  auto a = tsds::allocate(ids, dist, rho, 2, 3, 4, 0.0, 1.0);
  expect_probs(a.probs, {0.25, 0.125, 0.375, 0.25});
  EXPECT_DOUBLE_EQ(a.level, 2.0);
  EXPECT_EQ(a.last, (std::vector<size_t>{1, 1}));
  // alpha = 0.5, C = 1 stops when the cost reaches 2: after t0's 1 and t1's 1 - 0.5, t0's next step
  // costs 2 * 1.5 - 0.5 = 2.5 (total 3): s = 1.5, each target keeps 1/3 on its nearest and gives 1/6
  // to its second.
  a = tsds::allocate(ids, dist, rho, 2, 3, 4, 0.5, 1.0);
  expect_probs(a.probs, {1.0 / 3, 1.0 / 6, 1.0 / 3, 1.0 / 6});
  EXPECT_DOUBLE_EQ(a.level, 1.5);
}

TEST(TsdsAllocation, TargetsTiedOnALevelGiveOneDistributionWhicheverMovesFirst) {
  // Targets A (samples 0, 1, 2 at 0, 10, 11) and B (samples 3, 4, 5 at 0, 1, 2) reach level 1
  // together. alpha = 0.5, C = 1 stops at a total cost of 2: popping A first stops at once, popping
  // B first does not (cost 1) and stops at A. Either way s = 1 and each nearest sample gets 1/2.
  const std::vector<double> rho(6, 1.0);
  const auto ab = tsds::allocate({0, 1, 2, 3, 4, 5}, {0, 10, 11, 0, 1, 2}, rho, 2, 3, 6, 0.5, 1.0);
  const auto ba = tsds::allocate({3, 4, 5, 0, 1, 2}, {0, 1, 2, 0, 10, 11}, rho, 2, 3, 6, 0.5, 1.0);
  expect_probs(ab.probs, {0.5, 0, 0, 0.5, 0, 0});
  expect_probs(ba.probs, ab.probs);
  // alpha = 0 never stops: each target climbs to rank K - 2 = 1 and splits its mass over two.
  const auto all = tsds::allocate({0, 1, 2, 0, 1, 2}, {0, 1, 1, 0, 1, 1}, rho, 2, 3, 3, 0.0, 5.0);
  expect_probs(all.probs, {0.5, 0.5, 0});
}

TEST(TsdsAllocation, RefusesBadInput) {
  EXPECT_THROW(tsds::allocate({0, 1}, {0, 1}, {1, 1}, 0, 2, 2, 0.5, 5), std::invalid_argument);
  EXPECT_THROW(tsds::allocate({0, 1}, {0, 1}, {1, 1}, 1, 2, 1, 0.5, 5), std::invalid_argument);  // id 1 of 1
  EXPECT_THROW(tsds::allocate({0, 1}, {0, 1}, {1, 0}, 1, 2, 2, 0.5, 5), std::invalid_argument);  // rho 0
  EXPECT_THROW(tsds::allocate({0}, {0}, {1}, 1, 1, 2, 0.5, 5), std::invalid_argument);           // K = 1
}

TEST(TsdsDensity, KernelOfSquaredDistances) {
  const float sq[] = {0.0f, 0.25f, 1.0f, 4.0f};
  EXPECT_DOUBLE_EQ(tsds::kernel_density(sq, 4, 1.0), 1.0 + 0.75);  // itself, one at 0.5; 1 and 2 are outside
  EXPECT_DOUBLE_EQ(tsds::kernel_density(sq, 4, 2.0), 1.0 + 0.9375 + 0.75);
  EXPECT_DOUBLE_EQ(tsds::kernel_density(sq, 4, 0.0), 1.0);  // sigma 0: no correction
}

TEST(TsdsNeighbours, CountsFollowThePoolSize) {
  auto c = tsds::neighbour_counts(1070, 5000, 1000);
  EXPECT_EQ(c.k, 107u);
  EXPECT_EQ(c.kde_k, 107u);
  c = tsds::neighbour_counts(100000, 5000, 1000);
  EXPECT_EQ(c.k, 5000u);
  EXPECT_EQ(c.kde_k, 1000u);
  c = tsds::neighbour_counts(5, 5000, 1000);  // raised to 2 neighbours, 1 for the density
  EXPECT_EQ(c.k, 2u);
  EXPECT_EQ(c.kde_k, 1u);
  EXPECT_THROW(tsds::neighbour_counts(1, 5000, 1000), std::invalid_argument);
}

namespace {

// An .npy file as numpy 1.x writes it: version 1.0, the header padded to a multiple of 64.
std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& payload) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  return out + header + payload;
}

}  // namespace

TEST(TsdsProbsFile, ReadsFloat64AndFloat32Vectors) {
  const double d[3] = {0.5, 0.25, 0.25};
  std::string payload(reinterpret_cast<const char*>(d), sizeof d);
  EXPECT_EQ(dataflex::npy::parse_vector(npy_bytes("<f8", "(3,)", payload), "p.npy"),
            (std::vector<double>{0.5, 0.25, 0.25}));
  const float f[2] = {0.75f, 0.25f};
  payload.assign(reinterpret_cast<const char*>(f), sizeof f);
  EXPECT_EQ(dataflex::npy::parse_vector(npy_bytes("<f4", "(2,)", payload), "p.npy"), (std::vector<double>{0.75, 0.25}));
}

TEST(TsdsProbsFile, RefusesMatricesIntegersAndShortFiles) {
  const double d[2] = {0.5, 0.5};
  const std::string payload(reinterpret_cast<const char*>(d), sizeof d);
  try {
    dataflex::npy::parse_vector(npy_bytes("<f8", "(1, 2)", payload), "p.npy");
    FAIL() << "a 2-D array was read as a vector";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "p.npy: expected a 1-D shape (n,), found (1, 2)");
  }
  EXPECT_THROW(dataflex::npy::parse_vector(npy_bytes("<i8", "(2,)", payload), "p.npy"), std::invalid_argument);
  EXPECT_THROW(dataflex::npy::parse_vector(npy_bytes("<f8", "(3,)", payload), "p.npy"), std::invalid_argument);
  // The matrix readers refuse a vector.
  EXPECT_THROW(dataflex::npy::parse(npy_bytes("<f4", "(4,)", payload), "p.npy"), std::invalid_argument);
}
