// delta_loss: the original DataFlex's Delta Loss selector (OpenDCAI/DataFlex,
// src/dataflex/train/selector/delta_loss_selector.py). The first decision records every pool sample's
// loss and draws uniformly; each later one ranks the pool by Δ = loss_then - loss_now and favours a
// window of the ranking that slides with training progress (delta_loss_math.hpp;
// docs/algorithms/delta_loss.md). The recorded losses and the decision count are the plugin's state,
// saved in checkpoints, so a resumed run decides exactly as an uninterrupted one.
#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

#include <cstring>
#include <numeric>

#include "delta_loss_math.hpp"

namespace {

namespace dl = dataflex::delta_loss;

// The state blob: magic, decisions taken, the first decision's step, the pool size, then the pool's
// losses at the first decision as float32, all in the machine's byte order.
constexpr char kStateMagic[8] = {'D', 'F', 'X', 'D', 'L', 'S', '0', '1'};

class DeltaLossSelector : public dataflex::Selector {
 public:
  explicit DeltaLossSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        window_size_(params().get_float("window_size")),
        outside_weight_(params().get_float("outside_weight")),
        num_updates_(params().get_int("num_updates")) {
    if (!(window_size_ >= 0 && window_size_ <= 1)) throw dataflex::Error("window_size must be in [0, 1]");
    if (!(outside_weight_ >= 0)) throw dataflex::Error("outside_weight must be >= 0");
  }

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select,
                   bool allow_duplicates) override {
    std::vector<int64_t> pool(pool_size);
    std::iota(pool.begin(), pool.end(), int64_t{0});
    const std::vector<float> losses_now = host().sample_losses(DFX_DATASET_TRAIN, pool);
    const int64_t c = decisions_ + 1;  // this decision, 1-based
    dataflex::Rng rng(ctx.seed);
    const auto n = int64_t(pool_size);
    const auto k = int64_t(num_select);

    Selection s;
    if (decisions_ == 0) {
      // First decision: remember the losses; nothing to compare them with yet, so a uniform draw.
      s.ids = draw({}, n, k, allow_duplicates, rng);
      for (int64_t id : s.ids) s.scores.push_back(losses_now[size_t(id)]);
      losses_then_ = losses_now;
      first_step_ = ctx.step;
      decisions_ = 1;
      host().metric("delta_loss.update", 1.0);
      return s;
    }
    if (losses_then_.size() != pool_size)
      throw dataflex::Error("the pool has " + std::to_string(pool_size) + " samples but had " +
                            std::to_string(losses_then_.size()) +
                            " at the first decision; Delta Loss compares the same pool");

    std::vector<double> delta(pool_size);
    for (size_t i = 0; i < pool_size; ++i) delta[i] = double(losses_then_[i]) - double(losses_now[i]);
    const int64_t num_updates = ctx.max_decisions > 0 ? ctx.max_decisions
                                : num_updates_ > 0
                                    ? num_updates_
                                    : dl::estimate_num_updates(c, ctx.step, first_step_, ctx.total_steps);
    const std::vector<int64_t> ranking = dl::rank_by_delta(delta);
    const int64_t first_negative = dl::first_negative_position(delta, ranking);
    const dl::Window window =
        dl::cut_at_first_negative(dl::window_bounds(c, num_updates, n, window_size_), first_negative);

    s.ids = draw(dl::window_weights(ranking, window, outside_weight_), n, k, allow_duplicates, rng);
    std::vector<int64_t> position(pool_size);
    for (size_t p = 0; p < ranking.size(); ++p) position[size_t(ranking[p])] = int64_t(p);
    int64_t in_window = 0;
    for (int64_t id : s.ids) {
      s.scores.push_back(delta[size_t(id)]);
      in_window += window.contains(position[size_t(id)]);
    }
    host().metric("delta_loss.update", double(c));
    host().metric("delta_loss.num_updates", double(num_updates));
    host().metric("delta_loss.progress", dl::window_progress(c, num_updates));
    host().metric("delta_loss.window_start", double(window.start));
    host().metric("delta_loss.window_end", double(window.end));
    host().metric("delta_loss.first_negative", double(first_negative));
    host().metric("delta_loss.in_window", double(in_window));
    decisions_ = c;
    return s;
  }

  std::string save_state() const override {
    std::string blob(kStateMagic, sizeof kStateMagic);
    const auto n = uint64_t(losses_then_.size());
    append(blob, decisions_);
    append(blob, first_step_);
    append(blob, n);
    blob.append(reinterpret_cast<const char*>(losses_then_.data()), losses_then_.size() * sizeof(float));
    return blob;
  }

  void load_state(const std::string& blob) override {
    if (blob.empty()) {  // a state saved before the first decision
      decisions_ = 0;
      first_step_ = 0;
      losses_then_.clear();
      return;
    }
    const size_t header = sizeof kStateMagic + 2 * sizeof(int64_t) + sizeof(uint64_t);
    if (blob.size() < header || std::memcmp(blob.data(), kStateMagic, sizeof kStateMagic) != 0)
      throw dataflex::Error("not a delta_loss state (" + std::to_string(blob.size()) + " bytes)");
    size_t at = sizeof kStateMagic;
    const auto decisions = read<int64_t>(blob, at);
    const auto first_step = read<int64_t>(blob, at);
    const auto n = read<uint64_t>(blob, at);
    if (decisions < 0 || n != (blob.size() - header) / sizeof(float) || (blob.size() - header) % sizeof(float) != 0)
      throw dataflex::Error("corrupt delta_loss state: " + std::to_string(blob.size()) + " bytes for " +
                            std::to_string(n) + " losses");
    losses_then_.resize(size_t(n));
    std::memcpy(losses_then_.data(), blob.data() + header, size_t(n) * sizeof(float));
    decisions_ = decisions;
    first_step_ = first_step;
  }

 private:
  // Empty weights: a uniform draw (the first decision).
  static std::vector<int64_t> draw(const std::vector<double>& weights, int64_t n, int64_t k, bool allow_duplicates,
                                   dataflex::Rng& rng) {
    if (!weights.empty()) return rng.weighted_choice(weights, k, allow_duplicates);
    if (k <= n) return rng.sample_without_replacement(n, k);
    if (allow_duplicates && n > 0) return rng.sample_with_replacement(n, k);
    throw std::invalid_argument("cannot choose " + std::to_string(k) + " distinct ids from a pool of " +
                                std::to_string(n));
  }

  template <class T>
  static void append(std::string& blob, T value) {
    blob.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  template <class T>
  static T read(const std::string& blob, size_t& at) {
    T value;
    std::memcpy(&value, blob.data() + at, sizeof value);
    at += sizeof value;
    return value;
  }

  double window_size_;
  double outside_weight_;
  int64_t num_updates_;
  // State.
  int64_t decisions_ = 0;           // decisions taken so far
  int64_t first_step_ = 0;          // the step of the first decision (estimates U when the run is open-ended)
  std::vector<float> losses_then_;  // every pool sample's loss at the first decision
};

}  // namespace

DATAFLEX_PLUGIN(DeltaLossSelector, "delta_loss", "1.0.0")
