// less: the LESS selector (docs/algorithms/less.md). At each decision: target features (plain
// gradients of the eval set's examples, from the host's gradient-feature service), their unit rows
// averaged per subtask; pool features (Adam-preconditioned gradients of the candidates, in chunks so
// that memory stays bounded by the chunk, not the pool), stored at `feature_dtype`; each pool sample
// scored by its best subtask's mean cosine (less_math.hpp); with `history = "lr_weighted"` the scores
// of every decision so far combined, weighted by each decision's learning rate (score_history.hpp);
// the top num_select selected. With max_feature_age > 0 a pool sample's stored features are reused for
// that many decisions. Feature cache and history live in the plugin's state, keyed by training-set id
// (not pool position: with dataflex.candidates the pool changes), so a resumed run scores as an
// uninterrupted one.
#include <dataflex/plugin.hpp>

#include <cstring>
#include <map>
#include <numeric>

#include "feature_codec.hpp"
#include "less_math.hpp"
#include "less_targets.hpp"
#include "offline_features.hpp"
#include "score_history.hpp"

namespace {

namespace less = dataflex::less;

// The state blob starts with this tag; a blob without it is the 1.0.0 plugin's (f32 cache only).
constexpr char kStateTag[8] = {'L', 'E', 'S', 'S', 'S', 'T', '0', '2'};

class LessSelector : public dataflex::Selector {
 public:
  explicit LessSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        by_subtask_(params().get_string("subtasks") == "domain"),
        lr_weighted_(params().get_string("history") == "lr_weighted"),
        dtype_(less::feature_dtype_of(params().get_string("feature_dtype"))),
        max_age_(params().get_int("max_feature_age")),
        per_subtask_(size_t(params().get_int("targets_per_subtask"))),
        chunk_(static_cast<size_t>(params().get_int("chunk_size"))),
        options_(less::gradient_options(params())),
        offline_(params().get_string("pool_features"), params().get_string("target_features"),
                 params().get_float_list("checkpoint_weights"), dtype_) {}

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select, bool) override {
    const double rate = learning_rate();
    if (lr_weighted_ && rate < 0)
      throw std::invalid_argument(
          "history = \"lr_weighted\" needs each decision's learning rate, which this host does not pass (SDK ABI "
          "1.2 hosts do; a recording states it as calls[i].learning_rate)");
    std::vector<double> score = offline_.empty() ? service_scores(ctx, pool_size) : offline_scores(pool_size);
    if (lr_weighted_) {
      for (size_t i = 0; i < pool_size; ++i) score[i] = history_.add(sample_id(int64_t(i)), score[i], rate);
      host().metric("less.learning_rate", rate);
    }
    Selection out;
    for (size_t i : less::top_k(score, num_select)) {
      out.ids.push_back(int64_t(i));
      out.scores.push_back(score[i]);
    }
    return out;
  }

  // Every pool sample's score at this decision from the host's gradient features (the online path).
  std::vector<double> service_scores(const dfx_decision_context& ctx, size_t pool_size) {
    const auto means = target_means();
    // The pool side, chunk by chunk: Adam-preconditioned features, unit rows, stored precision, scores.
    auto adam = options_;
    adam.preconditioner = DFX_PRECONDITIONER_ADAM;
    std::vector<double> score(pool_size);
    std::vector<float> row;
    size_t computed = 0;
    for (size_t begin = 0; begin < pool_size; begin += chunk_) {
      const size_t end = std::min(pool_size, begin + chunk_);
      std::vector<int64_t> fresh;  // pool ids whose features must be computed at this decision
      for (size_t i = begin; i < end; ++i) {
        const auto it = cache_.find(sample_id(int64_t(i)));
        if (it != cache_.end() && ctx.decision_index - it->second.decision < max_age_) {
          row.resize(width_);
          less::decode_row(it->second.bytes.data(), width_, dtype_, row.data());
          score[i] = less::scores(row, 1, width_, means)[0];
        } else {
          fresh.push_back(int64_t(i));
        }
      }
      if (fresh.empty()) continue;
      auto f = host().gradient_features(DFX_DATASET_TRAIN, fresh, adam);
      if (f.cols != width_) throw std::runtime_error("pool and target features differ in width");
      less::normalize_rows(f.data, f.rows, f.cols);
      for (size_t j = 0; j < fresh.size(); ++j) {
        float* r = f.data.data() + j * f.cols;
        if (max_age_ > 0) {
          Entry& e = cache_[sample_id(fresh[j])];
          e.decision = ctx.decision_index;
          e.bytes.clear();
          less::encode_row(r, f.cols, dtype_, e.bytes);
          less::decode_row(e.bytes.data(), f.cols, dtype_, r);
        } else {
          less::round_trip(r, f.cols, dtype_);
        }
      }
      const auto s = less::scores(f.data, f.rows, f.cols, means);
      for (size_t j = 0; j < fresh.size(); ++j) score[size_t(fresh[j])] = s[j];
      computed += fresh.size();
    }
    host().metric("less.features_computed", double(computed));
    if (max_age_ > 0) host().metric("less.cache_bytes", double(cache_.size() * less::encoded_bytes(width_, dtype_)));
    return score;
  }

  // Every pool sample's score from the feature files (offline_features.hpp).
  std::vector<double> offline_scores(size_t pool_size) const {
    const auto subtasks = less::target_subtasks(host(), by_subtask_);
    host().metric("less.offline_checkpoints", double(offline_.size()));
    return offline_.scores(
        pool_size, !pool_is_subset(), [this](int64_t i) { return sample_id(i); }, subtasks.of_example, subtasks.count);
  }

  // Tag, feature dtype and width, the feature cache (id, decision, encoded row), the score history.
  std::string save_state() const override {
    std::string blob(kStateTag, sizeof kStateTag);
    auto put = [&](const void* p, size_t n) { blob.append(static_cast<const char*>(p), n); };
    const auto dtype = static_cast<uint8_t>(dtype_);
    const uint64_t width = width_, n = cache_.size();
    put(&dtype, 1);
    put(&width, sizeof width);
    put(&n, sizeof n);
    for (const auto& [id, e] : cache_) {
      put(&id, sizeof id);
      put(&e.decision, sizeof e.decision);
      put(e.bytes.data(), e.bytes.size());
    }
    history_.save(blob);
    return blob;
  }

  void load_state(const std::string& blob) override {
    size_t pos = 0;
    auto get = [&](void* p, size_t n) {
      if (n > blob.size() - pos) throw std::invalid_argument("LESS state: truncated");
      std::memcpy(p, blob.data() + pos, n);
      pos += n;
    };
    cache_.clear();
    if (blob.size() < sizeof kStateTag || std::memcmp(blob.data(), kStateTag, sizeof kStateTag) != 0)
      return load_v1_state(blob);
    pos = sizeof kStateTag;
    uint8_t dtype = 0;
    uint64_t width = 0, n = 0;
    get(&dtype, 1);
    get(&width, sizeof width);
    get(&n, sizeof n);
    if (n > 0 && static_cast<less::FeatureDtype>(dtype) != dtype_)
      throw std::invalid_argument("LESS state: features stored as another feature_dtype than this run's");
    const size_t bytes = less::encoded_bytes(width, dtype_);
    for (uint64_t k = 0; k < n; ++k) {
      int64_t id = 0;
      Entry e;
      get(&id, sizeof id);
      get(&e.decision, sizeof e.decision);
      if (bytes > blob.size() - pos) throw std::invalid_argument("LESS state: truncated row");
      e.bytes.assign(blob.begin() + std::ptrdiff_t(pos), blob.begin() + std::ptrdiff_t(pos + bytes));
      pos += bytes;
      cache_[id] = std::move(e);
    }
    if (n > 0) width_ = width;
    history_.load(blob, pos);
  }

 private:
  struct Entry {
    int64_t decision = 0;
    std::vector<uint8_t> bytes;  // the unit row at feature_dtype
  };

  // The target side (less_targets.hpp). Sets width_, dropping cached features of another width.
  std::vector<std::vector<double>> target_means() {
    auto t = less::target_means(host(), options_, by_subtask_, per_subtask_);
    if (!cache_.empty() && t.width != width_) {
      host().log(DFX_LOG_WARNING, "LESS: the feature width changed; cached pool features are dropped");
      cache_.clear();
    }
    width_ = t.width;
    return std::move(t.means);
  }

  // The 1.0.0 plugin's state: the f32 cache (id, decision, width, row), no history.
  void load_v1_state(const std::string& blob) {
    size_t pos = 0;
    auto get = [&](void* p, size_t n) {
      if (n > blob.size() - pos) throw std::invalid_argument("LESS state: truncated");
      std::memcpy(p, blob.data() + pos, n);
      pos += n;
    };
    uint64_t n = 0;
    get(&n, sizeof n);
    for (uint64_t k = 0; k < n; ++k) {
      int64_t id = 0, decision = 0;
      uint64_t width = 0;
      get(&id, sizeof id);
      get(&decision, sizeof decision);
      get(&width, sizeof width);
      if (width > (blob.size() - pos) / sizeof(float)) throw std::invalid_argument("LESS state: truncated row");
      std::vector<float> row(width);
      get(row.data(), width * sizeof(float));
      Entry e{decision, {}};
      less::encode_row(row.data(), width, dtype_, e.bytes);
      cache_[id] = std::move(e);
      width_ = width;
    }
  }

  bool by_subtask_, lr_weighted_;
  less::FeatureDtype dtype_;
  int64_t max_age_;
  size_t per_subtask_;  // target examples per subtask (0: all)
  size_t chunk_;
  dataflex::HostServices::GradientOptions options_;
  less::OfflineFeatures offline_;   // pool_features / target_features files, when given
  size_t width_ = 0;                // feature columns (from the target side of the current decision)
  std::map<int64_t, Entry> cache_;  // by training-set id
  less::ScoreHistory history_;      // by training-set id
};

}  // namespace

DATAFLEX_PLUGIN(LessSelector, "less", "1.2.0")
