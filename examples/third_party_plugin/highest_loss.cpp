// highest_loss: an example third-party selector. It asks the host for the current loss of every
// sample of the pool and keeps the `num_select` hardest ones (optionally only above `min_loss`).
#include <dataflex/plugin.hpp>

#include <algorithm>
#include <numeric>

namespace {

class HighestLoss : public dataflex::Selector {
 public:
  explicit HighestLoss(const dataflex::PluginContext& ctx) : Selector(ctx), min_loss_(params().get_float("min_loss")) {}

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select, bool) override {
    std::vector<int64_t> ids(pool_size);
    std::iota(ids.begin(), ids.end(), int64_t{0});
    const auto losses = host().sample_losses(DFX_DATASET_TRAIN, ids);
    std::stable_sort(ids.begin(), ids.end(),
                     [&](int64_t a, int64_t b) { return losses[size_t(a)] > losses[size_t(b)]; });
    Selection s;
    for (size_t i = 0; i < num_select; ++i) {
      if (losses[size_t(ids[i])] < min_loss_)
        throw dataflex::Error("only " + std::to_string(i) + " samples have a loss above min_loss");
      s.ids.push_back(ids[i]);
      s.scores.push_back(losses[size_t(ids[i])]);
    }
    host().metric("highest_loss.cutoff", s.scores.empty() ? 0.0 : s.scores.back());
    host().log(DFX_LOG_INFO, "decision at step " + std::to_string(ctx.step));
    return s;
  }

 private:
  double min_loss_;
};

}  // namespace

DATAFLEX_PLUGIN(HighestLoss, "highest_loss", "0.1.0")
