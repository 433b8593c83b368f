// random: the static "random subset" baseline and the Select trainer's warm-up policy.
// Chooses k sample ids of the pool uniformly without replacement (with replacement only when the host
// allows duplicates and k exceeds the pool), from the host's seed: the same seed, the same ids.
#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

namespace {

class RandomSelector : public dataflex::Selector {
 public:
  explicit RandomSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx), resample_(params().get_bool("resample")) {}

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select,
                   bool allow_duplicates) override {
    // resample = false keeps one subset for the whole run: every decision draws from the plugin's
    // own seed instead of the decision's.
    dataflex::Rng rng(resample_ ? ctx.seed : seed());
    const auto n = static_cast<int64_t>(pool_size);
    const auto k = static_cast<int64_t>(num_select);
    Selection s;
    if (k <= n) {
      s.ids = rng.sample_without_replacement(n, k);
    } else if (allow_duplicates && n > 0) {
      s.ids = rng.sample_with_replacement(n, k);
    } else {
      throw dataflex::Error("cannot choose " + std::to_string(k) + " distinct ids from a pool of " + std::to_string(n));
    }
    return s;
  }

 private:
  bool resample_;
};

}  // namespace

DATAFLEX_PLUGIN(RandomSelector, "random", "1.0.0")
