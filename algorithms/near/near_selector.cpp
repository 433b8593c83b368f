// near: nearest-neighbour selection (docs/algorithms/near.md). Every target (eval) example's nearest
// pool samples by the cosine of their embeddings, walked rank by rank across targets as the original
// DataFlex project's NEAR selector walks its top_indices matrix: the best neighbour of every target
// first, then every second best, skipping samples already taken. Embeddings come from the host (the
// model being trained or the run's embedding model), optionally centred on the pool's mean embedding
// (`center`); `indices_path` reads the original's precomputed top_indices.npy instead.
#include <dataflex/npy.hpp>
#include <dataflex/plugin.hpp>

#include <algorithm>
#include <unordered_map>

#include "near_math.hpp"
#include "neighbour_search.hpp"

namespace {

namespace near = dataflex::near;

class NearSelector : public dataflex::Selector {
 public:
  explicit NearSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        chunk_(size_t(params().get_int("chunk_size"))),
        center_(params().get_string("center") == "pool") {
    embedding_.model = params().get_string("embedding_model") == "embedding" ? DFX_MODEL_EMBEDDING : DFX_MODEL_CURRENT;
    embedding_.layer = int32_t(params().get_int("embedding_layer"));
    embedding_.pooling = dataflex::HostServices::pooling_named(params().get_string("pooling"));
    embedding_.normalize = true;
    search_ = near::search_options(params(), seed());
    near::approximate(search_, 0);  // "ivf" / "hnsw" without FAISS: refused now, not at the first decision
    const std::string path = params().get_string("indices_path");
    if (!path.empty()) {
      auto m = dataflex::npy::read_indices(path);
      if (m.rows == 0 || m.cols == 0)
        throw std::invalid_argument(path + ": an empty neighbour matrix (" + std::to_string(m.rows) + " x " +
                                    std::to_string(m.cols) + ")");
      file_ = std::move(m);
      file_path_ = path;
    }
  }

  Selection select(const dfx_decision_context&, size_t pool_size, size_t num_select, bool) override {
    near::Neighbours nb = file_path_.empty() ? search(pool_size, num_select) : from_file(pool_size);
    std::vector<std::pair<size_t, size_t>> from;
    Selection out;
    out.ids = near::walk(nb.ids, nb.rows, nb.k, std::min(num_select, pool_size), &from);
    size_t deepest = 0;
    double total = 0;
    for (const auto& [r, j] : from) {
      deepest = std::max(deepest, j + 1);
      if (nb.sims.empty()) continue;  // the file's matrix has ranks, no similarities: no scores
      out.scores.push_back(double(nb.sims[r * nb.k + j]));
      total += nb.sims[r * nb.k + j];
    }
    host().metric("near.targets", double(nb.rows));
    host().metric("near.ranks_used", double(deepest));
    if (!nb.sims.empty() && !from.empty()) host().metric("near.mean_similarity", total / double(from.size()));
    return out;
  }

 private:
  // Each target's nearest pool samples by cosine of the host's embeddings. k = num_select neighbours
  // per target always suffice: one target's list alone holds that many distinct samples. With
  // center = "pool" the pool's mean embedding is subtracted from both sides first (the pool is then
  // held whole: N x d floats); otherwise the pool streams through the search block by block.
  near::Neighbours search(size_t pool_size, size_t num_select) const {
    const size_t n_eval = host().dataset_info(DFX_DATASET_EVAL).num_samples;
    if (n_eval == 0) throw std::invalid_argument("NEAR needs target examples: the run has no eval set (val_size = 0)");
    auto targets = host().embeddings_range(DFX_DATASET_EVAL, 0, n_eval, embedding_, chunk_);
    const size_t d = targets.cols;
    const size_t k = std::min(pool_size, std::max<size_t>(1, num_select));
    auto pool_rows = [&](size_t begin, size_t n) {
      auto rows = host().embeddings_range(DFX_DATASET_TRAIN, begin, n, embedding_, chunk_);
      if (rows.cols != d) throw std::runtime_error("pool and target embeddings differ in width");
      return rows;
    };
    const bool approximate = near::approximate(search_, pool_size);
    host().metric("near.approximate", approximate ? 1.0 : 0.0);
    if (!center_ && !approximate) {
      near::normalize_rows(targets.data, n_eval, d);
      near::ExactSearch search(targets.data, n_eval, d, k);
      for (size_t begin = 0; begin < pool_size; begin += chunk_) {
        auto block = pool_rows(begin, std::min(pool_size, begin + chunk_) - begin);
        near::normalize_rows(block.data, block.rows, d);
        search.add(block.data, block.rows, int64_t(begin));
      }
      return search.result();
    }
    auto pool = pool_rows(0, pool_size);
    if (center_) near::center_on_pool(pool.data, pool_size, targets.data, n_eval, d);
    near::normalize_rows(pool.data, pool_size, d);
    near::normalize_rows(targets.data, n_eval, d);
    return near::nearest(targets.data, n_eval, pool.data, pool_size, d, k, near::Metric::inner_product, search_);
  }

  // The original's matrix: training-set ids, one row per target, one column per rank. Over a
  // candidate pool only the candidates' ids count (as pool positions); the others are skipped.
  near::Neighbours from_file(size_t pool_size) const {
    const size_t n_train = host().dataset_info(DFX_DATASET_TRAIN).num_samples;
    std::unordered_map<int64_t, int64_t> position;
    if (pool_is_subset())
      for (size_t i = 0; i < pool_size; ++i) position[sample_id(int64_t(i))] = int64_t(i);
    near::Neighbours nb;
    nb.rows = size_t(file_.rows);
    nb.k = size_t(file_.cols);
    nb.ids.reserve(file_.data.size());
    for (size_t i = 0; i < file_.data.size(); ++i) {
      const int64_t id = file_.data[i];
      if (id < 0 || uint64_t(id) >= n_train)
        throw std::invalid_argument(file_path_ + ": row " + std::to_string(i / nb.k) + ", rank " +
                                    std::to_string(i % nb.k) + " holds sample " + std::to_string(id) +
                                    ", outside the training pool of " + std::to_string(n_train) + " samples");
      if (!pool_is_subset()) {
        nb.ids.push_back(id);
      } else {
        const auto it = position.find(id);
        nb.ids.push_back(it == position.end() ? -1 : it->second);
      }
    }
    return nb;
  }

  size_t chunk_;
  bool center_;  // subtract the pool's mean embedding before the cosine
  near::SearchOptions search_;
  dataflex::HostServices::EmbeddingOptions embedding_;
  dataflex::npy::IndexMatrix file_;
  std::string file_path_;
};

}  // namespace

DATAFLEX_PLUGIN(NearSelector, "near", "1.1.0")
