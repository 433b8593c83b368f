// faiss_kmeans.hpp -- Lloyd's k-means through FAISS (Debian's libfaiss-dev), kept behind a plain
// interface so that the plugin's other sources need no FAISS header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dataflex::cluster_less {

// Clusters the n x d rows of `x` into k with `iterations` Lloyd iterations from a seeded start;
// `spherical` keeps centroids at unit length (cosine k-means). Returns each row's cluster. No
// subsampling, no warnings: every row takes part.
std::vector<int32_t> kmeans(const std::vector<float>& x, size_t n, size_t d, size_t k, int iterations, uint64_t seed,
                            bool spherical);

}  // namespace dataflex::cluster_less
