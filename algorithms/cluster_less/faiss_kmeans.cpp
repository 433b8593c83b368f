#include "faiss_kmeans.hpp"

#include "../common/single_threaded_openmp.hpp"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <limits>

namespace dataflex::cluster_less {

// k-means of a pool's embeddings is cheap next to its gradients: one thread is plenty.
using plugin_support::SingleThreadedOpenMp;

std::vector<int32_t> kmeans(const std::vector<float>& x, size_t n, size_t d, size_t k, int iterations, uint64_t seed,
                            bool spherical) {
  SingleThreadedOpenMp single_thread;
  faiss::ClusteringParameters p;
  p.niter = iterations;
  p.seed = static_cast<int>(seed & 0x7FFFFFFF);
  p.spherical = spherical;
  p.verbose = false;
  p.min_points_per_centroid = 1;                                    // small pools are fine here
  p.max_points_per_centroid = std::numeric_limits<int>::max() / 2;  // never subsample the pool
  faiss::Clustering clustering(static_cast<int>(d), static_cast<int>(k), p);
  faiss::IndexFlatL2 index(static_cast<faiss::Index::idx_t>(d));
  clustering.train(static_cast<faiss::Index::idx_t>(n), x.data(), index);  // leaves the centroids in `index`
  std::vector<float> distance(n);
  std::vector<faiss::Index::idx_t> label(n);
  index.search(static_cast<faiss::Index::idx_t>(n), x.data(), 1, distance.data(), label.data());
  return std::vector<int32_t>(label.begin(), label.end());
}

}  // namespace dataflex::cluster_less
