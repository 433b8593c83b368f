// tsds: task-specific data selection (Liu et al., NeurIPS 2024; docs/algorithms/tsds.md). A sampling
// distribution over the pool that matches the target (eval) examples' distribution in embedding space
// -- each target's mass spread over its nearest pool samples -- while dividing by the samples' kernel
// density so that near-duplicates share their mass; the decision draws from it with the host's seed.
// The original DataFlex project computes the distribution offline into tsds_probs.npy; `probs_path`
// reads that file instead of computing it on the live model.
#include <dataflex/npy.hpp>
#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "../near/near_math.hpp"
#include "../near/neighbour_search.hpp"
#include "tsds_math.hpp"

namespace {

namespace near = dataflex::near;
namespace tsds = dataflex::tsds;

class TsdsSelector : public dataflex::Selector {
 public:
  explicit TsdsSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        alpha_(params().get_float("alpha")),
        c_(params().get_float("c")),
        sigma_(params().get_float("sigma")),
        max_k_(size_t(params().get_int("max_k"))),
        kde_k_(size_t(params().get_int("kde_k"))),
        density_over_pool_(params().get_string("density_over") == "pool"),
        center_(params().get_string("center") == "pool"),
        chunk_(size_t(params().get_int("chunk_size"))) {
    embedding_.model = params().get_string("embedding_model") == "embedding" ? DFX_MODEL_EMBEDDING : DFX_MODEL_CURRENT;
    embedding_.layer = int32_t(params().get_int("embedding_layer"));
    embedding_.pooling = dataflex::HostServices::pooling_named(params().get_string("pooling"));
    embedding_.normalize = params().get_bool("normalize");
    search_ = near::search_options(params(), seed());
    near::approximate(search_, 0);  // "ivf" / "hnsw" without FAISS: refused now
    const std::string path = params().get_string("probs_path");
    if (!path.empty()) {
      file_ = dataflex::npy::read_vector(path);
      file_path_ = path;
      for (size_t i = 0; i < file_.size(); ++i)
        if (!(file_[i] >= 0) || !std::isfinite(file_[i]))
          throw std::invalid_argument(path + ": entry " + std::to_string(i) + " is " + std::to_string(file_[i]) +
                                      ", expected a finite probability >= 0");
    }
  }

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select,
                   bool allow_duplicates) override {
    const std::vector<double> probs = file_path_.empty() ? compute(pool_size) : from_file(pool_size);
    size_t support = 0;
    for (double p : probs) support += p > 0;
    host().metric("tsds.support", double(support));
    dataflex::Rng rng(ctx.seed);
    Selection out;
    if (num_select <= support) {
      // The original DataFlex selector's draw: successive draws without replacement, p renormalised.
      out.ids = rng.weighted_sample_without_replacement(probs, int64_t(num_select));
    } else if (allow_duplicates) {
      // The paper's draw: a multinomial sample, with repeats.
      out.ids = rng.weighted_choice(probs, int64_t(num_select), true);
    } else {
      throw std::invalid_argument("TSDS gives " + std::to_string(support) +
                                  " pool samples a non-zero probability, fewer than the " + std::to_string(num_select) +
                                  " to select (lower alpha or raise max_k to spread the mass wider)");
    }
    for (int64_t id : out.ids) out.scores.push_back(probs[size_t(id)]);
    return out;
  }

 private:
  // The distribution computed on the host's embeddings of the pool and the eval set.
  std::vector<double> compute(size_t pool_size) const {
    const size_t n_eval = host().dataset_info(DFX_DATASET_EVAL).num_samples;
    if (n_eval == 0) throw std::invalid_argument("TSDS needs target examples: the run has no eval set (val_size = 0)");
    const auto counts = tsds::neighbour_counts(pool_size, max_k_, kde_k_);
    auto targets = host().embeddings_range(DFX_DATASET_EVAL, 0, n_eval, embedding_, chunk_);
    auto pool = host().embeddings_range(DFX_DATASET_TRAIN, 0, pool_size, embedding_, chunk_);
    const size_t d = targets.cols;
    if (pool.cols != d) throw std::runtime_error("pool and target embeddings differ in width");
    if (center_) {
      near::center_on_pool(pool.data, pool_size, targets.data, n_eval, d);
      if (embedding_.normalize) {
        near::normalize_rows(pool.data, pool_size, d);
        near::normalize_rows(targets.data, n_eval, d);
      }
    }
    host().metric("tsds.approximate", near::approximate(search_, pool_size) ? 1.0 : 0.0);
    const near::Neighbours nb =
        near::nearest(targets.data, n_eval, pool.data, pool_size, d, counts.k, near::Metric::neg_squared_l2, search_);
    for (int64_t id : nb.ids)
      if (id < 0) throw std::runtime_error("the approximate index returned fewer than K neighbours (raise nprobe)");
    std::vector<double> dist(nb.sims.size());
    for (size_t i = 0; i < dist.size(); ++i) dist[i] = std::sqrt(std::max(0.0, -double(nb.sims[i])));

    const std::unordered_map<int64_t, double> density = densities(nb.ids, pool, d, counts.kde_k);
    std::vector<double> rho(nb.ids.size());
    double total_rho = 0;
    for (size_t i = 0; i < rho.size(); ++i) total_rho += rho[i] = density.at(nb.ids[i]);
    const tsds::Allocation a = tsds::allocate(nb.ids, dist, rho, n_eval, counts.k, pool_size, alpha_, c_);
    size_t deepest = 0;
    for (size_t last : a.last) deepest = std::max(deepest, last + 2);
    host().metric("tsds.targets", double(n_eval));
    host().metric("tsds.neighbours", double(counts.k));
    host().metric("tsds.ranks_used", double(deepest));
    host().metric("tsds.mean_density", total_rho / double(rho.size()));
    return a.probs;
  }

  // The kernel density of every pool sample in `ids`, over its kde_k nearest samples of the pool
  // (the paper) or of the targets' neighbours only (density_over = "neighbours": the original code).
  std::unordered_map<int64_t, double> densities(const std::vector<int64_t>& ids,
                                                const dataflex::HostServices::Matrix& pool, size_t d,
                                                size_t kde_k) const {
    std::vector<int64_t> points;
    std::unordered_map<int64_t, double> out;
    for (int64_t id : ids)
      if (out.emplace(id, 1.0).second) points.push_back(id);
    if (sigma_ == 0) return out;
    std::vector<float> rows;
    rows.reserve(points.size() * d);
    for (int64_t id : points) rows.insert(rows.end(), pool.row(size_t(id)), pool.row(size_t(id)) + d);
    const size_t reference = density_over_pool_ ? pool.rows : points.size();
    const size_t k = std::min(kde_k, reference);
    const near::Neighbours nb =
        density_over_pool_
            ? near::nearest(rows, points.size(), pool.data, pool.rows, d, k, near::Metric::neg_squared_l2, search_)
            : near::nearest(rows, points.size(), rows, points.size(), d, k, near::Metric::neg_squared_l2, search_);
    std::vector<float> squared(k);
    for (size_t i = 0; i < points.size(); ++i) {
      for (size_t j = 0; j < k; ++j) squared[j] = std::max(0.0f, -nb.sims[i * k + j]);
      out[points[i]] = tsds::kernel_density(squared.data(), k, sigma_);
    }
    return out;
  }

  // The original's tsds_probs.npy: one probability per training sample. Over a candidate pool only
  // the candidates' entries count.
  std::vector<double> from_file(size_t pool_size) const {
    const size_t n_train = host().dataset_info(DFX_DATASET_TRAIN).num_samples;
    if (file_.size() != n_train)
      throw std::invalid_argument(file_path_ + ": " + std::to_string(file_.size()) +
                                  " probabilities, expected one per training sample (" + std::to_string(n_train) + ")");
    std::vector<double> probs(pool_size);
    for (size_t i = 0; i < pool_size; ++i) probs[i] = file_[size_t(sample_id(int64_t(i)))];
    return probs;
  }

  double alpha_, c_, sigma_;
  size_t max_k_, kde_k_;
  bool density_over_pool_;
  bool center_;  // subtract the pool's mean embedding first
  near::SearchOptions search_;
  size_t chunk_;
  dataflex::HostServices::EmbeddingOptions embedding_;
  std::vector<double> file_;
  std::string file_path_;
};

}  // namespace

DATAFLEX_PLUGIN(TsdsSelector, "tsds", "1.0.0")
