// faiss_search.hpp -- an approximate neighbour index through FAISS (Debian's libfaiss-dev: IVF-Flat or
// HNSW), behind a plain interface so that the plugins' other sources need no FAISS header. Built into
// near and tsds when FAISS is found (DATAFLEX_NEAR_HAVE_FAISS); bench/neighbour_recall measures its
// recall against the exact search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "near_math.hpp"

namespace dataflex::near {

enum class IndexKind {
  ivf,   // inverted lists over k-means cells (IVF-Flat): `nprobe` of `nlist` cells are scanned
  hnsw,  // a hierarchical small-world graph (HNSW-Flat): `ef_search` candidates are kept while searching
};

struct ApproximateOptions {
  IndexKind kind = IndexKind::ivf;
  size_t nlist = 0;  // IVF cells; 0: about sqrt(N), at most N / 39 (FAISS's points per centroid)
  size_t nprobe = 16;
  int hnsw_m = 32;
  int ef_search = 128;
  uint64_t seed = 0;  // of IVF's k-means
};

// The k nearest pool rows of every target row by `metric`, as ExactSearch gives them (ids best first;
// sims: the inner product, or minus the squared distance), but from an approximate index: a true
// neighbour may be missed, and -1 fills a list the index could not fill.
Neighbours approximate_search(const std::vector<float>& targets, size_t rows, const std::vector<float>& pool,
                              size_t pool_rows, size_t cols, size_t k, Metric metric, const ApproximateOptions& o);

}  // namespace dataflex::near
