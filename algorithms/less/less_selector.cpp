// less: the LESS selector (docs/algorithms/less.md). At each decision: target features (plain
// gradients of the eval set's examples, from the host's gradient-feature service), their unit rows
// averaged per subtask; pool features (Adam-preconditioned gradients of the candidates, in chunks so
// that memory stays bounded by the chunk, not the pool); each pool sample scored by its best
// subtask's mean cosine (less_math.hpp); the top num_select selected. With max_feature_age > 0 a pool
// sample's features are reused for that many decisions (kept in the plugin's state, so a resumed run
// scores as an uninterrupted one).
#include <dataflex/plugin.hpp>

#include <cstring>
#include <map>
#include <numeric>

#include "less_math.hpp"

namespace {

dfx_projection projection_of(const std::string& name) {
  if (name == "none") return DFX_PROJECTION_NONE;
  if (name == "dense") return DFX_PROJECTION_DENSE;
  return DFX_PROJECTION_FACTORED;
}

class LessSelector : public dataflex::Selector {
 public:
  explicit LessSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        by_subtask_(params().get_string("subtasks") == "domain"),
        max_age_(params().get_int("max_feature_age")),
        chunk_(static_cast<size_t>(params().get_int("chunk_size"))) {
    options_.projection = projection_of(params().get_string("projection"));
    options_.projection_dim = static_cast<uint32_t>(params().get_int("proj_dim"));
    options_.projection_seed = static_cast<uint64_t>(params().get_int("seed"));
    options_.parameter_filter = params().get_string("parameter_filter");
  }

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select, bool) override {
    namespace less = dataflex::less;
    // The target side: every eval example, plain gradients, one mean unit row per subtask.
    const size_t n_eval = host().dataset_info(DFX_DATASET_EVAL).num_samples;
    if (n_eval == 0) throw std::invalid_argument("LESS needs target examples: the run has no eval set (val_size = 0)");
    std::vector<int64_t> eval_ids(n_eval);
    std::iota(eval_ids.begin(), eval_ids.end(), int64_t{0});
    auto sgd = options_;
    sgd.preconditioner = DFX_PRECONDITIONER_SGD;
    auto targets = host().gradient_features(DFX_DATASET_EVAL, eval_ids, sgd);
    less::normalize_rows(targets.data, targets.rows, targets.cols);
    std::vector<int32_t> subtask(n_eval, 0);
    size_t num_subtasks = 1;
    if (by_subtask_) {
      subtask = host().sample_domains(DFX_DATASET_EVAL, eval_ids);
      num_subtasks = static_cast<size_t>(*std::max_element(subtask.begin(), subtask.end())) + 1;
    }
    const auto means = less::subtask_means(targets.data, targets.rows, targets.cols, subtask, num_subtasks);
    host().metric("less.subtasks", double(means.size()));

    // The pool side, chunk by chunk: Adam-preconditioned features, unit rows, scores.
    auto adam = options_;
    adam.preconditioner = DFX_PRECONDITIONER_ADAM;
    std::vector<double> score(pool_size);
    size_t computed = 0;
    for (size_t begin = 0; begin < pool_size; begin += chunk_) {
      const size_t end = std::min(pool_size, begin + chunk_);
      std::vector<int64_t> fresh;  // ids whose features must be computed at this decision
      for (size_t i = begin; i < end; ++i)
        if (!cached(int64_t(i), ctx.decision_index)) fresh.push_back(int64_t(i));
      if (!fresh.empty()) {
        auto f = host().gradient_features(DFX_DATASET_TRAIN, fresh, adam);
        less::normalize_rows(f.data, f.rows, f.cols);
        if (f.cols != targets.cols) throw std::runtime_error("pool and target features differ in width");
        const auto s = less::scores(f.data, f.rows, f.cols, means);
        for (size_t j = 0; j < fresh.size(); ++j) {
          score[size_t(fresh[j])] = s[j];
          if (max_age_ > 0) cache_[fresh[j]] = {ctx.decision_index, std::vector<float>(f.row(j), f.row(j) + f.cols)};
        }
        computed += fresh.size();
      }
      for (size_t i = begin; i < end; ++i) {
        const auto it = cache_.find(int64_t(i));
        if (max_age_ > 0 && it != cache_.end() && it->second.decision != ctx.decision_index)
          score[i] = less::scores(it->second.row, 1, it->second.row.size(), means)[0];
      }
    }
    host().metric("less.features_computed", double(computed));

    Selection out;
    for (size_t i : less::top_k(score, num_select)) {
      out.ids.push_back(int64_t(i));
      out.scores.push_back(score[i]);
    }
    return out;
  }

  // The feature cache (max_feature_age > 0): id, decision, width, row.
  std::string save_state() const override {
    std::string blob;
    auto put = [&](const void* p, size_t n) { blob.append(static_cast<const char*>(p), n); };
    const uint64_t n = cache_.size();
    put(&n, sizeof n);
    for (const auto& [id, entry] : cache_) {
      const uint64_t width = entry.row.size();
      put(&id, sizeof id);
      put(&entry.decision, sizeof entry.decision);
      put(&width, sizeof width);
      put(entry.row.data(), width * sizeof(float));
    }
    return blob;
  }

  void load_state(const std::string& blob) override {
    const char* data = blob.data();
    const size_t size = blob.size();
    size_t pos = 0;
    auto get = [&](void* p, size_t n) {
      if (n > size - pos) throw std::invalid_argument("LESS state: truncated");
      std::memcpy(p, data + pos, n);
      pos += n;
    };
    cache_.clear();
    uint64_t n = 0;
    get(&n, sizeof n);
    for (uint64_t k = 0; k < n; ++k) {
      int64_t id = 0;
      Entry e;
      uint64_t width = 0;
      get(&id, sizeof id);
      get(&e.decision, sizeof e.decision);
      get(&width, sizeof width);
      if (width > (size - pos) / sizeof(float)) throw std::invalid_argument("LESS state: truncated row");
      e.row.resize(width);
      get(e.row.data(), width * sizeof(float));
      cache_[id] = std::move(e);
    }
  }

 private:
  struct Entry {
    int64_t decision = 0;
    std::vector<float> row;  // unit length
  };

  // Features of `id` computed fewer than max_feature_age decisions ago.
  bool cached(int64_t id, int64_t decision) const {
    if (max_age_ <= 0) return false;
    const auto it = cache_.find(id);
    return it != cache_.end() && decision - it->second.decision < max_age_;
  }

  dataflex::HostServices::GradientOptions options_;
  bool by_subtask_;
  int64_t max_age_;
  size_t chunk_;
  std::map<int64_t, Entry> cache_;
};

}  // namespace

DATAFLEX_PLUGIN(LessSelector, "less", "1.0.0")
