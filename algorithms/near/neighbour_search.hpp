// neighbour_search.hpp -- the `search` parameter of near and tsds: the exact blocked search up to
// `approximate_above` pool samples, FAISS's approximate index above it (or always, or never). Without
// FAISS in the build (no libfaiss-dev) "auto" stays exact and "ivf" / "hnsw" are refused.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "near_math.hpp"
#ifdef DATAFLEX_NEAR_HAVE_FAISS
#include "faiss_search.hpp"
#endif

namespace dataflex::near {

struct SearchOptions {
  std::string mode = "auto";  // auto | exact | ivf | hnsw
  size_t approximate_above = 200000;
  size_t nprobe = 16;
  int ef_search = 128;
  uint64_t seed = 0;
};

// The plugins' search parameters (search, approximate_above, nprobe, ef_search); `Params` is the SDK's
// parameter table (PluginBase::params()).
template <class Params>
SearchOptions search_options(const Params& p, uint64_t seed) {
  SearchOptions o;
  o.mode = p.get_string("search");
  o.approximate_above = static_cast<size_t>(p.get_int("approximate_above"));
  o.nprobe = static_cast<size_t>(p.get_int("nprobe"));
  o.ef_search = static_cast<int>(p.get_int("ef_search"));
  o.seed = seed;
  return o;
}

inline bool faiss_built_in() {
#ifdef DATAFLEX_NEAR_HAVE_FAISS
  return true;
#else
  return false;
#endif
}

// Whether a pool of `pool_rows` is searched approximately; throws when that needs FAISS and the build
// has none.
inline bool approximate(const SearchOptions& o, size_t pool_rows) {
  if (o.mode == "exact") return false;
  if (o.mode == "auto") return faiss_built_in() && pool_rows > o.approximate_above;
  if (o.mode != "ivf" && o.mode != "hnsw")
    throw std::invalid_argument("search must be auto, exact, ivf or hnsw, got \"" + o.mode + "\"");
  if (!faiss_built_in())
    throw std::invalid_argument(
        "search = \"" + o.mode +
        "\" needs FAISS, and this build of the plugin has none (install libfaiss-dev and rebuild)");
  return true;
}

// The k nearest pool rows of every target row, exactly or from the approximate index (see above).
inline Neighbours nearest(const std::vector<float>& targets, size_t rows, const std::vector<float>& pool,
                          size_t pool_rows, size_t cols, size_t k, Metric metric, const SearchOptions& o) {
  if (approximate(o, pool_rows)) {
#ifdef DATAFLEX_NEAR_HAVE_FAISS
    ApproximateOptions a;
    a.kind = o.mode == "hnsw" ? IndexKind::hnsw : IndexKind::ivf;
    a.nprobe = o.nprobe;
    a.ef_search = o.ef_search;
    a.seed = o.seed;
    return approximate_search(targets, rows, pool, pool_rows, cols, k, metric, a);
#endif
  }
  ExactSearch search(targets, rows, cols, k, metric);
  search.add(pool, pool_rows, 0);
  return search.result();
}

}  // namespace dataflex::near
