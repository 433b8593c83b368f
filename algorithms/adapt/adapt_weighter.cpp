// adapt: ADAPT online reweighting (docs/algorithms/adapt.md). Each sample of a batch weighs
// sigmoid(mean cosine of its embedding to the target set's embeddings / tau): samples that look like
// the targets train harder. Embeddings are position-weighted means of the current model's last hidden
// states, unit length; the anchors (the eval set's) are re-embedded with the current model every
// `refresh_interval` steps. The weights are absolute per-sample scales of the loss (sum w l / B).
#include <dataflex/plugin.hpp>

#include <cmath>
#include <sstream>

#include "../common/hex_text.hpp"
#include "adapt_math.hpp"

namespace {

namespace adapt = dataflex::adapt;

class AdaptWeighter : public dataflex::Weighter {
 public:
  explicit AdaptWeighter(const dataflex::PluginContext& ctx)
      : Weighter(ctx),
        tau_(params().get_float("tau")),
        clip_(params().get_float("clip")),
        refresh_(params().get_int("refresh_interval")),
        chunk_(size_t(params().get_int("anchor_batch_size"))) {
    embedding_.model = DFX_MODEL_CURRENT;
    embedding_.layer = int32_t(params().get_int("embedding_layer"));
    embedding_.pooling = DFX_POOLING_POSITION_WEIGHTED;
    embedding_.normalize = true;
  }

  std::vector<double> weight(const dfx_decision_context& ctx, const Batch& batch) override {
    // The anchors of the block of refresh_interval steps this step falls in (the original refreshes
    // at every multiple of refresh_interval); micro-batches of one step share them.
    const int64_t block = ctx.step / refresh_;
    if (mean_.empty() || block != block_) refresh(block);
    const auto e = host().embeddings(DFX_DATASET_TRAIN, batch.sample_ids, embedding_);
    if (e.cols != mean_.size()) throw dataflex::Error("batch and anchor embeddings differ in width");
    return adapt::weights(adapt::scores(e.data, e.rows, mean_), tau_, clip_);
  }

  dfx_weight_form weight_form() const override { return DFX_WEIGHTS_ABSOLUTE; }

  // The anchor mean and its block: a resumed run weighs exactly as the uninterrupted one.
  std::string save_state() const override {
    if (mean_.empty()) return {};
    std::ostringstream out;
    out << "adapt-state 1\nblock " << block_ << "\nd " << mean_.size() << "\n";
    for (double v : mean_) out << dataflex::plugin_support::hex(v) << "\n";
    return out.str();
  }

  void load_state(const std::string& blob) override {
    mean_.clear();
    if (blob.empty()) return;
    std::istringstream in(blob);
    std::string key;
    int version = 0;
    int64_t block = 0;
    size_t d = 0;
    if (!(in >> key >> version) || key != "adapt-state" || version != 1)
      throw dataflex::Error("saved state is not an ADAPT state of version 1");
    if (!(in >> key >> block) || key != "block" || !(in >> key >> d) || key != "d" || d == 0)
      throw dataflex::Error("saved state: bad header");
    std::vector<double> mean(d);
    for (double& v : mean) {
      std::string text;
      if (!(in >> text) || !dataflex::plugin_support::parse_hex(text, &v))
        throw dataflex::Error("saved state: bad anchor value");
    }
    mean_ = std::move(mean);
    block_ = block;
  }

 private:
  void refresh(int64_t block) {
    const size_t n = host().dataset_info(DFX_DATASET_EVAL).num_samples;
    if (n == 0) throw dataflex::Error("ADAPT needs anchor examples: the run has no eval set (val_size = 0)");
    const auto anchors = host().embeddings_range(DFX_DATASET_EVAL, 0, n, embedding_, chunk_);
    mean_ = adapt::anchor_mean(anchors.data, anchors.rows, anchors.cols);
    block_ = block;
    double norm = 0;
    for (double v : mean_) norm += v * v;
    host().metric("adapt.anchor_mean_norm", std::sqrt(norm));  // 1: anchors alike; near 0: spread out
  }

  double tau_, clip_;
  int64_t refresh_;
  size_t chunk_;
  dataflex::HostServices::EmbeddingOptions embedding_;
  std::vector<double> mean_;  // the anchors' mean unit embedding
  int64_t block_ = -1;
};

}  // namespace

DATAFLEX_PLUGIN(AdaptWeighter, "adapt", "1.0.0")
