// token_budget: a test selector built against SDK 1.1 that needs a 1.1-only service. It asks the host
// for every pool sample's tokens (sample_tokens, added in 1.1) and keeps the samples with the most
// trained tokens (ties to the lower id). Its `behaviour` parameter makes it fail in the two ways the
// C++ helper must report faithfully: a service the host cannot serve ("reference_losses") and a
// std::invalid_argument from the plugin's own code ("invalid_argument").
#include <dataflex/plugin.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace {

class TokenBudget : public dataflex::Selector {
 public:
  explicit TokenBudget(const dataflex::PluginContext& ctx)
      : Selector(ctx), behaviour_(params().get_string("behaviour")) {
    host().require("sample_tokens");  // a 1.0 host's table lacks it: refuse to start, naming both versions
  }

  Selection select(const dfx_decision_context&, size_t pool_size, size_t num_select, bool) override {
    std::vector<int64_t> ids(pool_size);
    std::iota(ids.begin(), ids.end(), int64_t{0});
    if (behaviour_ == "reference_losses") host().sample_losses(DFX_DATASET_TRAIN, ids, DFX_MODEL_REFERENCE);
    if (behaviour_ == "invalid_argument") throw std::invalid_argument("budget must be positive, got -3");
    const auto tokens = host().sample_tokens(DFX_DATASET_TRAIN, ids);
    std::vector<double> trained(pool_size, 0.0);
    for (size_t i = 0; i < pool_size; ++i)
      for (int64_t t = tokens.offsets[i]; t < tokens.offsets[i + 1]; ++t) trained[i] += tokens.trained[size_t(t)];
    std::stable_sort(ids.begin(), ids.end(),
                     [&](int64_t a, int64_t b) { return trained[size_t(a)] > trained[size_t(b)]; });
    Selection s;
    for (size_t i = 0; i < num_select; ++i) {
      s.ids.push_back(ids[i]);
      s.scores.push_back(trained[size_t(ids[i])]);
    }
    host().metric("token_budget.tokens", double(tokens.token_ids.size()));
    return s;
  }

 private:
  std::string behaviour_;
};

}  // namespace

DATAFLEX_PLUGIN(TokenBudget, "token_budget", "0.1.0")
