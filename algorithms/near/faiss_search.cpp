#include "faiss_search.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "../common/single_threaded_openmp.hpp"

namespace dataflex::near {

Neighbours approximate_search(const std::vector<float>& targets, size_t rows, const std::vector<float>& pool,
                              size_t pool_rows, size_t cols, size_t k, Metric metric, const ApproximateOptions& o) {
  if (targets.size() != rows * cols || pool.size() != pool_rows * cols)
    throw std::invalid_argument("approximate search: expected rows x cols values");
  plugin_support::SingleThreadedOpenMp single_thread;
  using idx_t = faiss::Index::idx_t;
  const auto d = static_cast<idx_t>(cols);
  const faiss::MetricType m = metric == Metric::inner_product ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2;
  std::unique_ptr<faiss::Index> quantizer;
  std::unique_ptr<faiss::Index> index;
  if (o.kind == IndexKind::ivf) {
    size_t nlist = o.nlist;
    if (nlist == 0) nlist = std::max<size_t>(1, std::min<size_t>(size_t(std::sqrt(double(pool_rows))), pool_rows / 39));
    nlist = std::min(nlist, pool_rows);
    if (m == faiss::METRIC_INNER_PRODUCT)
      quantizer = std::make_unique<faiss::IndexFlatIP>(d);
    else
      quantizer = std::make_unique<faiss::IndexFlatL2>(d);
    auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), d, nlist, m);
    ivf->cp.seed = static_cast<int>(o.seed & 0x7FFFFFFF);
    ivf->cp.min_points_per_centroid = 1;  // small pools: train anyway
    ivf->cp.verbose = false;
    ivf->train(static_cast<idx_t>(pool_rows), pool.data());
    ivf->nprobe = std::max<size_t>(1, std::min(o.nprobe, nlist));
    index = std::move(ivf);
  } else {
    auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(cols), o.hnsw_m, m);
    hnsw->hnsw.efSearch = std::max<int>(o.ef_search, static_cast<int>(k));
    index = std::move(hnsw);
  }
  index->add(static_cast<idx_t>(pool_rows), pool.data());
  std::vector<float> distances(rows * k);
  std::vector<idx_t> labels(rows * k);
  index->search(static_cast<idx_t>(rows), targets.data(), static_cast<idx_t>(k), distances.data(), labels.data());
  Neighbours out;
  out.rows = rows;
  out.k = k;
  out.ids.resize(rows * k);
  out.sims.resize(rows * k);
  for (size_t i = 0; i < rows * k; ++i) {
    out.ids[i] = labels[i] < 0 ? -1 : static_cast<int64_t>(labels[i]);
    if (labels[i] < 0)
      out.sims[i] = -std::numeric_limits<float>::infinity();
    else
      out.sims[i] = metric == Metric::inner_product ? distances[i] : -distances[i];
  }
  return out;
}

}  // namespace dataflex::near
