// cluster_less: LESS scored per cluster (the original DataFlex project's ClusterLESS;
// docs/algorithms/cluster_less.md). The pool is partitioned on sample embeddings (k-means through
// FAISS, farthest-first, LSH or random); a few representatives per cluster get Adam-preconditioned
// gradient features; a cluster's score is LESS's score of its representatives' mean unit feature; every
// member gets its cluster's score and the top num_select are selected. The gradient cost is
// samples_per_cluster / cluster_size of LESS's (1/16 at the defaults) plus one forward per pool sample
// at each clustering.
#include <dataflex/plugin.hpp>

#include <algorithm>
#include <cstring>

#include "../less/less_math.hpp"
#include "../less/less_targets.hpp"
#include "cluster_math.hpp"
#include "faiss_kmeans.hpp"

namespace {

namespace less = dataflex::less;
namespace cl = dataflex::cluster_less;

// The state blob: this tag, then the stored partition.
constexpr char kStateTag[8] = {'C', 'L', 'E', 'S', 'S', 'S', '0', '1'};

class ClusterLessSelector : public dataflex::Selector {
 public:
  explicit ClusterLessSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        by_subtask_(params().get_string("subtasks") == "domain"),
        method_(params().get_string("clustering")),
        nearest_(params().get_string("representatives") == "nearest_center"),
        cluster_size_(size_t(params().get_int("cluster_size"))),
        num_clusters_(size_t(params().get_int("num_clusters"))),
        per_cluster_(size_t(params().get_int("samples_per_cluster"))),
        iterations_(int(params().get_int("kmeans_iterations"))),
        lsh_bits_(size_t(params().get_int("lsh_bits"))),
        interval_(params().get_int("cluster_update_interval")),
        chunk_(size_t(params().get_int("chunk_size"))),
        per_subtask_(size_t(params().get_int("targets_per_subtask"))),
        gradients_(less::gradient_options(params())) {
    gradients_.preconditioner = DFX_PRECONDITIONER_ADAM;
    embedding_.model = params().get_string("embedding_model") == "embedding" ? DFX_MODEL_EMBEDDING : DFX_MODEL_CURRENT;
    embedding_.layer = int32_t(params().get_int("embedding_layer"));
  }

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select, bool) override {
    if (pool_is_subset() || cluster_.size() != pool_size || !partition_fresh(ctx.decision_index))
      partition(pool_size, ctx);
    const auto targets = less::target_means(host(), gradients_, by_subtask_, per_subtask_);

    // Representatives, their unit Adam features, one mean unit row per cluster, its LESS score.
    const std::vector<size_t> reps =
        cl::representatives(cluster_, k_, per_cluster_, distance_, ctx.seed ^ 0x5245505245534e54ull);
    std::vector<float> rows;
    std::vector<int32_t> rep_cluster;
    for (size_t begin = 0; begin < reps.size(); begin += chunk_) {
      const size_t end = std::min(reps.size(), begin + chunk_);
      std::vector<int64_t> ids;
      for (size_t r = begin; r < end; ++r) ids.push_back(int64_t(reps[r])), rep_cluster.push_back(cluster_[reps[r]]);
      auto f = host().gradient_features(DFX_DATASET_TRAIN, ids, gradients_);
      if (f.cols != targets.width) throw std::runtime_error("pool and target features differ in width");
      less::normalize_rows(f.data, f.rows, f.cols);
      rows.insert(rows.end(), f.data.begin(), f.data.end());
    }
    const auto centers = cl::cluster_features(rows, targets.width, rep_cluster, k_);
    const auto cluster_score = less::scores(centers, k_, targets.width, targets.means);
    host().metric("cluster_less.representatives", double(reps.size()));

    std::vector<double> score(pool_size);
    for (size_t i = 0; i < pool_size; ++i) score[i] = cluster_score[size_t(cluster_[i])];
    Selection out;
    for (size_t i : less::top_k(score, num_select)) {
      out.ids.push_back(int64_t(i));
      out.scores.push_back(score[i]);
    }
    return out;
  }

  // Tag, the decision the partition was made at (-1: none kept), k, each pool sample's cluster and
  // (nearest_center) its distance to its centroid.
  std::string save_state() const override {
    std::string blob(kStateTag, sizeof kStateTag);
    auto put = [&](const void* p, size_t n) { blob.append(static_cast<const char*>(p), n); };
    const uint64_t k = k_, n = clustered_at_ < 0 ? 0 : cluster_.size(), nd = clustered_at_ < 0 ? 0 : distance_.size();
    put(&clustered_at_, sizeof clustered_at_);
    put(&k, sizeof k);
    put(&n, sizeof n);
    put(cluster_.data(), n * sizeof(int32_t));
    put(&nd, sizeof nd);
    put(distance_.data(), nd * sizeof(float));
    return blob;
  }

  void load_state(const std::string& blob) override {
    size_t pos = 0;
    auto get = [&](void* p, size_t n) {
      if (n > blob.size() - pos) throw std::invalid_argument("cluster_less state: truncated");
      std::memcpy(p, blob.data() + pos, n);
      pos += n;
    };
    char tag[sizeof kStateTag];
    get(tag, sizeof tag);
    if (std::memcmp(tag, kStateTag, sizeof tag) != 0) throw std::invalid_argument("cluster_less state: unknown format");
    uint64_t k = 0, n = 0, nd = 0;
    get(&clustered_at_, sizeof clustered_at_);
    get(&k, sizeof k);
    get(&n, sizeof n);
    if (n > blob.size() / sizeof(int32_t)) throw std::invalid_argument("cluster_less state: truncated");
    cluster_.resize(n);
    get(cluster_.data(), n * sizeof(int32_t));
    get(&nd, sizeof nd);
    if (nd > blob.size() / sizeof(float) || (nd != 0 && nd != n))
      throw std::invalid_argument("cluster_less state: truncated");
    distance_.resize(nd);
    get(distance_.data(), nd * sizeof(float));
    for (int32_t c : cluster_)
      if (c < 0 || uint64_t(c) >= k) throw std::invalid_argument("cluster_less state: a cluster id out of range");
    k_ = size_t(k);
  }

 private:
  // Whether the stored partition may serve decision `decision` (0 = cluster once).
  bool partition_fresh(int64_t decision) const {
    return clustered_at_ >= 0 && (interval_ == 0 || decision - clustered_at_ < interval_);
  }

  // Embeds the pool and partitions it. A candidate pool changes at every decision, so its partition
  // is not kept (clustered_at_ = -1).
  void partition(size_t pool_size, const dfx_decision_context& ctx) {
    auto e = host().embeddings_range(DFX_DATASET_TRAIN, 0, pool_size, embedding_, chunk_);
    std::vector<float> x = std::move(e.data);
    const size_t d = e.cols;
    k_ = cl::cluster_count(pool_size, cluster_size_, num_clusters_);
    const uint64_t seed = ctx.seed ^ 0x434c5553544552ull;
    if (method_ == "kmeans" || method_ == "spherical_kmeans")
      cluster_ = cl::kmeans(x, pool_size, d, k_, iterations_, seed, method_ == "spherical_kmeans");
    else if (method_ == "farthest_first")
      cluster_ = cl::farthest_first(x, pool_size, d, k_, seed);
    else if (method_ == "lsh")
      cluster_ = cl::lsh(x, pool_size, d, k_, lsh_bits_, seed);
    else
      cluster_ = cl::random_partition(pool_size, k_, seed);
    distance_ = nearest_ ? cl::distance_to_centroid(x, pool_size, d, cluster_, k_) : std::vector<float>{};
    clustered_at_ = pool_is_subset() ? -1 : ctx.decision_index;
    std::vector<bool> used(k_, false);
    for (int32_t c : cluster_) used[size_t(c)] = true;
    host().metric("cluster_less.clusters", double(std::count(used.begin(), used.end(), true)));
  }

  bool by_subtask_;
  std::string method_;
  bool nearest_;
  size_t cluster_size_, num_clusters_, per_cluster_;
  int iterations_;
  size_t lsh_bits_;
  int64_t interval_;
  size_t chunk_;
  size_t per_subtask_;  // target examples per subtask (0: all)
  dataflex::HostServices::GradientOptions gradients_;
  dataflex::HostServices::EmbeddingOptions embedding_;
  std::vector<int32_t> cluster_;  // by pool id (= training-set id when the partition is kept)
  std::vector<float> distance_;   // nearest_center: each sample's squared distance to its centroid
  size_t k_ = 0;
  int64_t clustered_at_ = -1;
};

}  // namespace

DATAFLEX_PLUGIN(ClusterLessSelector, "cluster_less", "1.1.0")
