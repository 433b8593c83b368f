// The approximate index against the exact search: IVF scanning every cell and HNSW on a small pool
// return the exact neighbours (in both metrics), and scores come in ExactSearch's convention.
#include <gtest/gtest.h>
#include <dataflex/random.hpp>

#include "faiss_search.hpp"

namespace near = dataflex::near;

namespace {

std::vector<float> rows(size_t n, size_t d, uint64_t seed) {
  dataflex::Rng rng(seed);
  std::vector<float> x(n * d);
  for (float& v : x) v = float(rng.uniform01() - 0.5);
  near::normalize_rows(x, n, d);
  return x;
}

near::Neighbours exact(const std::vector<float>& q, size_t m, const std::vector<float>& p, size_t n, size_t d, size_t k,
                       near::Metric metric) {
  near::ExactSearch s(q, m, d, k, metric);
  s.add(p, n, 0);
  return s.result();
}

}  // namespace

TEST(NearFaiss, ExhaustiveIvfAndSmallHnswFindTheExactNeighbours) {
  const size_t n = 400, m = 10, d = 8, k = 5;
  const auto pool = rows(n, d, 1), targets = rows(m, d, 2);
  for (near::Metric metric : {near::Metric::inner_product, near::Metric::neg_squared_l2}) {
    const auto want = exact(targets, m, pool, n, d, k, metric);
    near::ApproximateOptions ivf;
    ivf.nlist = 8;
    ivf.nprobe = 8;  // every cell: exhaustive
    const auto got = near::approximate_search(targets, m, pool, n, d, k, metric, ivf);
    EXPECT_EQ(got.ids, want.ids);
    for (size_t i = 0; i < want.sims.size(); ++i) EXPECT_NEAR(got.sims[i], want.sims[i], 1e-5);
    near::ApproximateOptions hnsw;
    hnsw.kind = near::IndexKind::hnsw;
    hnsw.ef_search = 400;
    EXPECT_EQ(near::approximate_search(targets, m, pool, n, d, k, metric, hnsw).ids, want.ids);
  }
}

TEST(NearFaiss, OneProbedCellMayMissNeighboursButFillsWhatItFinds) {
  const size_t n = 400, m = 10, d = 8, k = 5;
  const auto pool = rows(n, d, 3), targets = rows(m, d, 4);
  near::ApproximateOptions ivf;
  ivf.nlist = 20;
  ivf.nprobe = 1;
  const auto got = near::approximate_search(targets, m, pool, n, d, k, near::Metric::inner_product, ivf);
  ASSERT_EQ(got.ids.size(), m * k);
  for (int64_t id : got.ids) EXPECT_LT(id, int64_t(n));
  for (size_t r = 0; r < m; ++r)  // best first
    for (size_t j = 1; j < k; ++j)
      if (got.ids[r * k + j] >= 0) EXPECT_GE(got.sims[r * k + j - 1], got.sims[r * k + j]);
}
