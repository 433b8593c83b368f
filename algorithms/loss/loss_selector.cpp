// loss: the original DataFlex's loss-based selector (src/dataflex/train/selector/loss_selector.py).
// At each decision: the loss of every pool sample at the current model, terciles at the 0.33 / 0.66
// quantiles, weight `focus_weight` on the focus tercile and 1 elsewhere, and num_select ids drawn
// without replacement from p ∝ (w + 1e-12)^(1/T) (loss_math.hpp; docs/algorithms/loss.md).
#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

#include <numeric>

#include "loss_math.hpp"

namespace {

namespace ls = dataflex::loss_selector;

class LossSelector : public dataflex::Selector {
 public:
  explicit LossSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        focus_(ls::parse_bucket(params().get_string("focus"))),
        focus_weight_(params().get_float("focus_weight")),
        temperature_(params().get_float("temperature")) {}

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select,
                   bool allow_duplicates) override {
    std::vector<int64_t> pool(pool_size);
    std::iota(pool.begin(), pool.end(), int64_t{0});
    const std::vector<float> measured = host().sample_losses(DFX_DATASET_TRAIN, pool);
    const std::vector<double> losses(measured.begin(), measured.end());

    const ls::Terciles t = ls::tercile_probabilities(losses, focus_, focus_weight_, temperature_);
    if (std::isfinite(t.q_low)) {
      host().metric("loss.q33", t.q_low);
      host().metric("loss.q66", t.q_high);
    }
    host().metric("loss.focus_count", double(t.focus_count));

    dataflex::Rng rng(ctx.seed);
    Selection s;
    s.ids = rng.weighted_choice(t.probabilities, int64_t(num_select), allow_duplicates);
    for (int64_t id : s.ids) s.scores.push_back(losses[size_t(id)]);  // the original logs each pick's loss
    return s;
  }

 private:
  ls::Bucket focus_;
  double focus_weight_;
  double temperature_;
};

}  // namespace

DATAFLEX_PLUGIN(LossSelector, "loss", "1.0.0")
