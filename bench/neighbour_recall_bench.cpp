// Recall and time of the approximate neighbour index (FAISS IVF-Flat and HNSW, as near and tsds use
// it: algorithms/near/faiss_search.cpp) against the exact blocked search (near_math.hpp's
// ExactSearch), on unit rows by inner product (NEAR's cosine) and on rows by Euclidean distance
// (TSDS). Run by hand (bench/README.md):
//   bench_neighbour_recall --synthetic 200000 --dim 64 --queries 200 --k 100
//   bench_neighbour_recall --pool pool.npy --queries 200 --k 100   (dataflex-run features --kind embeddings)
// Recall@k: the share of the exact k nearest that the approximate search returns.
#include <CLI/CLI.hpp>
#include <dataflex/npy.hpp>
#include <dataflex/random.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "../algorithms/near/faiss_search.hpp"

namespace near = dataflex::near;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Rows around `centres` Gaussian centres (clustered like real embeddings), unit length.
std::vector<float> synthetic(size_t n, size_t d, size_t centres, uint64_t seed) {
  dataflex::Rng rng(seed);
  auto gauss = [&] {  // Box-Muller
    const double u = std::max(1e-300, rng.uniform01()), v = rng.uniform01();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
  };
  std::vector<float> c(centres * d), x(n * d);
  for (float& v : c) v = float(gauss());
  for (size_t i = 0; i < n; ++i) {
    const size_t at = rng.uniform_below(centres);
    for (size_t j = 0; j < d; ++j) x[i * d + j] = c[at * d + j] + 0.5f * float(gauss());
  }
  near::normalize_rows(x, n, d);
  return x;
}

double recall(const near::Neighbours& exact, const near::Neighbours& approx) {
  size_t hit = 0, total = 0;
  for (size_t r = 0; r < exact.rows; ++r) {
    std::unordered_set<int64_t> truth(exact.ids.begin() + long(r * exact.k),
                                      exact.ids.begin() + long((r + 1) * exact.k));
    for (size_t j = 0; j < approx.k; ++j) hit += truth.count(approx.ids[r * approx.k + j]);
    total += exact.k;
  }
  return double(hit) / double(total);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recall and time of the approximate neighbour index against the exact search"};
  std::string pool_path;
  size_t n = 200000, d = 64, queries = 200, k = 100, centres = 256;
  uint64_t seed = 1;
  app.add_option("--pool", pool_path, "an .npy of pool embeddings (rows); else --synthetic");
  app.add_option("--synthetic", n, "rows of a synthetic clustered pool");
  app.add_option("--dim", d, "synthetic: columns");
  app.add_option("--centres", centres, "synthetic: clusters");
  app.add_option("--queries", queries, "query rows (the pool's first rows, perturbed)");
  app.add_option("--k", k, "neighbours per query");
  app.add_option("--seed", seed, "seed");
  CLI11_PARSE(app, argc, argv);

  std::vector<float> pool;
  if (!pool_path.empty()) {
    auto m = dataflex::npy::read(pool_path);
    pool = std::move(m.data);
    n = size_t(m.rows);
    d = size_t(m.cols);
    near::normalize_rows(pool, n, d);
  } else {
    pool = synthetic(n, d, centres, seed);
  }
  // Queries: pool rows with noise, so that each has a neighbourhood but is not a pool row itself.
  dataflex::Rng rng(seed + 7);
  std::vector<float> q(queries * d);
  for (size_t i = 0; i < queries; ++i) {
    const size_t from = rng.uniform_below(n);
    for (size_t j = 0; j < d; ++j) q[i * d + j] = pool[from * d + j] + 0.05f * float(rng.uniform01() - 0.5);
  }
  near::normalize_rows(q, queries, d);
  std::printf("pool %zu x %zu, %zu queries, k = %zu\n\n", n, d, queries, k);
  std::printf("| metric | search | build + search (s) | recall@%zu |\n| --- | --- | ---: | ---: |\n", k);
  for (near::Metric metric : {near::Metric::inner_product, near::Metric::neg_squared_l2}) {
    const char* mname = metric == near::Metric::inner_product ? "cosine" : "L2";
    auto t0 = Clock::now();
    near::ExactSearch exact_search(q, queries, d, k, metric);
    exact_search.add(pool, n, 0);
    const near::Neighbours exact = exact_search.result();
    std::printf("| %s | exact | %.3f | 1 |\n", mname, seconds_since(t0));
    for (size_t nprobe : {1, 4, 16, 64}) {
      near::ApproximateOptions o;
      o.nprobe = nprobe;
      o.seed = seed;
      t0 = Clock::now();
      const auto a = near::approximate_search(q, queries, pool, n, d, k, metric, o);
      std::printf("| %s | IVF, nprobe %zu | %.3f | %.4f |\n", mname, nprobe, seconds_since(t0), recall(exact, a));
    }
    for (int ef : {64, 256}) {
      near::ApproximateOptions o;
      o.kind = near::IndexKind::hnsw;
      o.ef_search = ef;
      t0 = Clock::now();
      const auto a = near::approximate_search(q, queries, pool, n, d, k, metric, o);
      std::printf("| %s | HNSW, ef_search %d | %.3f | %.4f |\n", mname, ef, seconds_since(t0), recall(exact, a));
    }
  }
  return 0;
}
