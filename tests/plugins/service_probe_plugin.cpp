// service_probe: a test selector that calls every host service through the SDK and reports what it
// got as metrics, so that a test can compare them with the host's own answers. It selects the
// samples with the largest gradient-feature norm.
#include <dataflex/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace {

class ServiceProbe : public dataflex::Selector {
 public:
  explicit ServiceProbe(const dataflex::PluginContext& ctx) : Selector(ctx) {}

  Selection select(const dfx_decision_context&, size_t pool_size, size_t num_select, bool) override {
    std::vector<int64_t> ids(pool_size);
    std::iota(ids.begin(), ids.end(), int64_t{0});
    const auto info = host().dataset_info(DFX_DATASET_TRAIN);
    host().metric("probe.train_size", static_cast<double>(info.num_samples));
    const auto domains = host().sample_domains(DFX_DATASET_TRAIN, ids);
    host().metric("probe.domain_sum", std::accumulate(domains.begin(), domains.end(), 0.0));
    const auto losses = host().sample_losses(DFX_DATASET_TRAIN, ids);
    host().metric("probe.loss_sum", std::accumulate(losses.begin(), losses.end(), 0.0));
    const auto ref = host().sample_losses(DFX_DATASET_TRAIN, ids, DFX_MODEL_REFERENCE);
    host().metric("probe.reference_loss_sum", std::accumulate(ref.begin(), ref.end(), 0.0));
    const size_t eval_size = host().dataset_info(DFX_DATASET_EVAL).num_samples;
    std::vector<int64_t> eval_ids(eval_size);
    std::iota(eval_ids.begin(), eval_ids.end(), int64_t{0});
    const auto tokens = host().token_losses(DFX_DATASET_EVAL, eval_ids);
    host().metric("probe.eval_tokens", static_cast<double>(tokens.losses.size()));
    host().metric("probe.eval_token_loss_sum", std::accumulate(tokens.losses.begin(), tokens.losses.end(), 0.0));
    const auto per_domain = host().domain_losses(DFX_DATASET_EVAL);
    host().metric("probe.eval_domain0_loss", per_domain.at(0));
    dataflex::HostServices::GradientOptions g;
    g.projection = DFX_PROJECTION_DENSE;
    g.projection_dim = 16;
    g.projection_seed = 3;
    const auto features = host().gradient_features(DFX_DATASET_TRAIN, ids, g);
    host().metric("probe.feature_cols", static_cast<double>(features.cols));
    std::vector<double> norms(pool_size);
    for (size_t i = 0; i < pool_size; ++i) {
      double n = 0;
      for (size_t j = 0; j < features.cols; ++j) n += double(features.row(i)[j]) * features.row(i)[j];
      norms[i] = std::sqrt(n);
    }
    host().metric("probe.feature_norm0", norms[0]);
    dataflex::HostServices::EmbeddingOptions e;
    const auto emb = host().embeddings(DFX_DATASET_TRAIN, ids, e);
    double n0 = 0;
    for (size_t j = 0; j < emb.cols; ++j) n0 += double(emb.row(0)[j]) * emb.row(0)[j];
    host().metric("probe.embedding_norm0", std::sqrt(n0));
    host().metric("probe.embedding_cols", static_cast<double>(emb.cols));

    std::vector<int64_t> order = ids;
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return norms[size_t(a)] > norms[size_t(b)]; });
    Selection s;
    s.ids.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(num_select));
    return s;
  }
};

}  // namespace

DATAFLEX_PLUGIN(ServiceProbe, "service_probe", "0.1.0")
