// NEAR's walk and exact search against hand-computed cases; the index reader on numpy's bytes.
#include <gtest/gtest.h>
#include <dataflex/npy.hpp>

#include <cstring>

#include "near_math.hpp"

namespace near = dataflex::near;

TEST(NearWalk, IssueOracleRankByRankAcrossTargetsSkippingDuplicates) {
  // Targets' neighbours [[5,3,7],[3,9,5]], 4 wanted: rank 0 gives 5, 3; rank 1 gives (3 again) 9; rank
  // 2 gives 7.
  std::vector<std::pair<size_t, size_t>> from;
  EXPECT_EQ(near::walk({5, 3, 7, 3, 9, 5}, 2, 3, 4, &from), (std::vector<int64_t>{5, 3, 9, 7}));
  EXPECT_EQ(from, (std::vector<std::pair<size_t, size_t>>{{0, 0}, {1, 0}, {1, 1}, {0, 2}}));
}

TEST(NearWalk, TooFewDistinctSamplesNameBothCounts) {
  try {
    near::walk({5, 3, 7, 3, 9, 5}, 2, 3, 5);
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "the neighbour matrix (2 targets x 3 ranks) holds 4 distinct samples, fewer than the 5 to select");
  }
  // -1 (no neighbour, or not in this decision's candidates) is skipped.
  EXPECT_EQ(near::walk({-1, 4, 2, -1}, 2, 2, 2), (std::vector<int64_t>{2, 4}));
}

TEST(NearSearch, ExactNeighboursBestFirstAcrossBlocksTiesToTheLowerId) {
  // Targets (1,0) and (0,1); pool (0.6,0.8), (1,0), (0,1), (0.8,0.6), (1,0) in two blocks.
  const std::vector<float> targets = {1, 0, 0, 1};
  near::ExactSearch s(targets, 2, 2, 3);
  s.add({0.6f, 0.8f, 1, 0, 0, 1}, 3, 0);
  s.add({0.8f, 0.6f, 1, 0}, 2, 3);
  const auto nb = s.result();
  EXPECT_EQ(nb.ids, (std::vector<int64_t>{1, 4, 3, 2, 0, 3}));
  EXPECT_FLOAT_EQ(nb.sims[0], 1.0f);
  EXPECT_FLOAT_EQ(nb.sims[2], 0.8f);
  EXPECT_FLOAT_EQ(nb.sims[4], 0.8f);
  // Walking it for 3: rank 0 gives 1, 2; rank 1 gives 4.
  EXPECT_EQ(near::walk(nb.ids, nb.rows, nb.k, 3), (std::vector<int64_t>{1, 2, 4}));
}

TEST(NearSearch, APoolSmallerThanKLeavesNoNeighbourMarks) {
  const std::vector<float> targets = {1, 0};
  near::ExactSearch s(targets, 1, 2, 3);
  s.add({0, 1}, 1, 0);
  const auto nb = s.result();
  EXPECT_EQ(nb.ids, (std::vector<int64_t>{0, -1, -1}));
}

TEST(NearSearch, CentringSubtractsThePoolsColumnMean) {
  std::vector<float> m = {1, 2, 3, 6};
  const auto mean = near::column_mean(m, 2, 2);
  EXPECT_EQ(mean, (std::vector<double>{2, 4}));
  near::subtract(m, 2, 2, mean);
  EXPECT_EQ(m, (std::vector<float>{-1, -2, 1, 2}));
}

namespace {
// The bytes numpy 1.24 writes for np.save(f, np.array([[5, 3, 7], [3, 9, 5]], dtype=dtype)).
std::string npy_of(const std::string& descr, const std::vector<int64_t>& values, size_t item) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2, 3), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  for (int64_t v : values) out.append(reinterpret_cast<const char*>(&v), item);  // little-endian host
  return out;
}
}  // namespace

TEST(NpyIndices, Int64AndInt32MatricesAreReadAndFloatsAreRefused) {
  const std::vector<int64_t> v = {5, 3, 7, 3, 9, 5};
  for (const auto& [descr, item] : {std::pair<std::string, size_t>{"<i8", 8}, {"<i4", 4}, {"<u8", 8}, {"<u4", 4}}) {
    const auto m = dataflex::npy::parse_indices(npy_of(descr, v, item), "top_indices.npy");
    EXPECT_EQ(m.rows, 2);
    EXPECT_EQ(m.cols, 3);
    EXPECT_EQ(m.data, v) << descr;
  }
  try {
    dataflex::npy::parse_indices(npy_of("<f8", v, 8), "top_indices.npy");
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "top_indices.npy: expected integer data ('descr': '<i8', '<i4', '<u8' or '<u4'), found '<f8'");
  }
  // A float32 feature file is still read by parse(), and an index file is refused there.
  EXPECT_THROW(dataflex::npy::parse(npy_of("<i8", v, 8), "f.npy"), std::invalid_argument);
}
