#include "signals/per_sample_gradients.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <utility>

#include "data/corpus.hpp"
#include "model/llama_model.hpp"
#include "model/padded_batch.hpp"
#include "signals/projection.hpp"
#include "util/error.hpp"
#include "util/shared_batches.hpp"

namespace dataflex {
namespace {

const char* const kLinears[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

bool selected(const std::string& name, const std::vector<std::string>& filter) {
  if (filter.empty()) return true;
  for (const auto& f : filter)
    if (!f.empty() && name.find(f) != std::string::npos) return true;
  return false;
}

// Records the inputs and outputs of the observed linears of one forward pass.
class Capture : public LinearObserver {
 public:
  void on_linear(const std::string& weight_name, const at::Tensor& input, const at::Tensor& output,
                 const std::string&) override {
    seen_[weight_name] = {input.detach(), output};
  }
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> seen_;
};

// Row chunk of the dense projection generated at a time (elements): 4 MB, so that a chunk is still in
// cache when the multiplication reads it.
constexpr int64_t kDenseChunkElements = int64_t{1} << 20;
// Unprojected per-sample gradients held for one dense projection pass. The dense matrix is generated
// once per pass, so the more samples share a pass the cheaper it is per sample: 1 GiB of gradients.
constexpr int64_t kDenseGroupBytes = int64_t{1} << 30;

// Sample i's tokens in a captured tensor: row i [T, dim] of a padded batch, or its segment [length, dim] of
// the packed sequence [1, N, dim] (LlamaModel::packs).
struct SampleRows {
  const std::vector<int64_t>* lengths = nullptr;  // null: padded
  std::vector<int64_t> offsets;
  at::Tensor of(const at::Tensor& t, int64_t i) const {
    const auto s = static_cast<std::size_t>(i);
    return lengths ? t[0].narrow(0, offsets[s], (*lengths)[s]) : t[i];
  }
};

// out[i] = a_i^T b_i for every sample i (the sum over its tokens of outer products): [B, a's dim, b's dim].
void per_sample_products(const SampleRows& r, const at::Tensor& a, const at::Tensor& b, at::Tensor out) {
  if (!r.lengths) {
    at::bmm_out(out, a.transpose(1, 2), b);
    return;
  }
  for (int64_t i = 0; i < out.size(0); ++i) {
    at::Tensor o = out[i];
    at::mm_out(o, r.of(a, i).t(), r.of(b, i));
  }
}

at::Tensor per_sample_sums(const SampleRows& r, const at::Tensor& a, int64_t samples) {  // [B, a's dim]
  if (!r.lengths) return a.sum(1);
  std::vector<at::Tensor> sums;
  for (int64_t i = 0; i < samples; ++i) sums.push_back(r.of(a, i).sum(0));
  return at::stack(sums);
}

at::Tensor rademacher(uint64_t seed, uint64_t stream, int64_t rows, int64_t cols) {
  at::Tensor t = at::empty({rows, cols}, at::kFloat);
  rademacher_block(seed, stream, 0, rows, cols, t.data_ptr<float>());
  return t;
}

}  // namespace

void dense_project(const at::Tensor& g, int64_t offset, uint64_t seed, at::Tensor& features) {
  const int64_t rows = g.size(1), k = features.size(1);
  const int64_t chunk = std::max<int64_t>(1, kDenseChunkElements / k);
  std::vector<float> block;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t n = std::min(chunk, rows - r0);
    block.resize(static_cast<std::size_t>(n * k));
    rademacher_block(seed, 0, offset + r0, n, k, block.data());
    at::Tensor r = at::from_blob(block.data(), {n, k}, at::kFloat);
    features.addmm_(g.narrow(1, r0, n), r);
  }
}

at::Tensor adam_feature(const at::Tensor& m, const at::Tensor& v, const at::Tensor& g, double beta1, double beta2) {
  const at::Tensor m2 = m * beta1 + g * (1.0 - beta1);
  const at::Tensor v2 = v * beta2 + g * g * (1.0 - beta2);
  return m2 / at::sqrt(v2 + 1e-8);
}

std::vector<FeatureBlock> feature_layout(const LlamaModel& model, const std::vector<std::string>& filter) {
  std::vector<FeatureBlock> out;
  int64_t offset = 0;
  auto add = [&](const std::string& weight, const std::string& bias) {
    if (!model.has_parameter(weight)) return;
    const at::Tensor w = model.parameter(weight);
    if (!w.requires_grad() || !selected(weight, filter)) return;
    FeatureBlock b;
    b.weight_name = weight;
    b.out = w.size(0);
    b.in = w.size(1);
    b.offset = offset;
    offset += b.out * b.in;
    if (!bias.empty() && model.has_parameter(bias) && model.parameter(bias).requires_grad()) {
      b.bias_name = bias;
      offset += b.out;
    }
    out.push_back(b);
  };
  for (int64_t i = 0; i < model.config().num_hidden_layers; ++i)
    for (const char* n : kLinears) {
      const std::string base = "model.layers." + std::to_string(i) + "." + n;
      add(base + ".weight", base + ".bias");
      add(base + ".lora_A.weight", "");
      add(base + ".lora_B.weight", "");
    }
  return out;
}

namespace {
int64_t factored_side(const std::vector<FeatureBlock>& layout, int64_t dim) {
  const double per_layer = static_cast<double>(dim) / static_cast<double>(std::max<std::size_t>(1, layout.size()));
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(per_layer))));
}
}  // namespace

int64_t feature_dim(const std::vector<FeatureBlock>& layout, const GradientFeatureOptions& o) {
  if (o.projection == Projection::Dense) return o.projection_dim;
  if (o.projection == Projection::Factored) {
    const int64_t k = factored_side(layout, o.projection_dim);
    return static_cast<int64_t>(layout.size()) * k * k;
  }
  int64_t n = 0;
  for (const auto& b : layout) n += b.out * b.in + (b.bias_name.empty() ? 0 : b.out);
  return n;
}

namespace {

std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }
double since(std::chrono::steady_clock::time_point t) { return std::chrono::duration<double>(now() - t).count(); }

// What every batch of one extraction reads (per_sample_gradient_features).
struct Extraction {
  const LlamaModel& model;
  const std::vector<const Sample*>& samples;
  const GradientFeatureOptions& o;
  const AdamMoments* adam;
  const std::vector<FeatureBlock>& layout;
  int64_t k;                            // factored side
  std::vector<at::Tensor> p_in, p_out;  // factored projections, one pair per covered linear
  int32_t pad_id;
};

// Samples [first, first + B): their feature rows `rows` [B, dim] or, dense, their unprojected gradients
// `unprojected` [B, covered parameters] (projected later, a group at a time). Touches nothing else, so
// batches may run on different threads; grad mode is the calling thread's to set.
void batch_features(const Extraction& e, int64_t first, int64_t B, at::Tensor rows, at::Tensor unprojected,
                    GradientTimings& tm) {
  const LlamaModel& model = e.model;
  const GradientFeatureOptions& o = e.o;
  const int64_t k = e.k;
  const PaddedBatch batch = pad_batch({e.samples.begin() + first, e.samples.begin() + first + B}, e.pad_id);
  const at::Tensor& ids = batch.input_ids;
  const at::Tensor& labels = batch.labels;
  const int64_t len = ids.size(1);
  auto t_forward = now();
  // Packed (no work on padding) where the model packs this batch: the linears are then seen as one
  // sequence of the samples back to back, and each sample's gradient is a sum over its segment.
  SampleRows sample_rows;
  if (model.packs(ids, batch.lengths)) {
    sample_rows.lengths = &batch.lengths;
    int64_t offset = 0;
    for (int64_t n : batch.lengths) sample_rows.offsets.push_back(std::exchange(offset, offset + n));
  }
  Capture capture;
  at::Tensor total;  // sum of per-sample mean losses
  {
    ObservedForwards observed(model, capture);
    const at::Tensor token_losses = model.token_losses(ids, labels, batch.lengths);  // [B, T-1]
    const at::Tensor counts =
        (labels.narrow(1, 1, len - 1) != kIgnoreIndex).sum(1).clamp_min(1).to(token_losses.device());
    total = (token_losses.sum(1) / counts).sum();
  }
  tm.forward += since(t_forward);
  auto t_backward = now();
  std::vector<at::Tensor> outputs;
  for (const auto& b : e.layout) {
    auto it = capture.seen_.find(b.weight_name);
    if (it == capture.seen_.end())
      throw Error("gradient_features: '" + b.weight_name + "' was not seen in the forward pass");
    outputs.push_back(it->second.second);
  }
  const std::vector<at::Tensor> grads = torch::autograd::grad({total}, outputs, {}, false, false, true);
  tm.backward += since(t_backward);
  at::NoGradGuard no_grad;
  for (std::size_t l = 0; l < e.layout.size(); ++l) {
    const FeatureBlock& blk = e.layout[l];
    const at::Tensor x = capture.seen_[blk.weight_name].first.to(at::kFloat);  // [B, T, in] or [1, N, in]
    const at::Tensor dy =
        grads[l].defined() ? grads[l].to(at::kFloat) : at::zeros({x.size(0), x.size(1), blk.out}, x.options());
    if (o.projection == Projection::Factored && o.preconditioner == Preconditioner::Sgd) {
      // P_out^T G_i P_in = sum_t (P_out^T dy_t) (x) (P_in^T x_t): never forms G_i.
      auto t_proj = now();
      at::Tensor f = at::empty({B, k, k}, x.options());
      per_sample_products(sample_rows, at::matmul(dy, e.p_out[l]), at::matmul(x, e.p_in[l]), f);
      rows.narrow(1, static_cast<int64_t>(l) * k * k, k * k).copy_(f.reshape({B, k * k}).cpu());
      tm.projection += since(t_proj);
      continue;
    }
    auto t_sample = now();
    if (o.projection == Projection::Dense && o.preconditioner == Preconditioner::Sgd && dy.device().is_cpu()) {
      // Straight into the group's rows: no [B, out, in] temporary and no copy of it.
      at::Tensor w = unprojected.narrow(1, blk.offset, blk.out * blk.in).view({B, blk.out, blk.in});
      per_sample_products(sample_rows, dy, x, w);
      if (!blk.bias_name.empty())
        unprojected.narrow(1, blk.offset + blk.out * blk.in, blk.out).copy_(per_sample_sums(sample_rows, dy, B));
      tm.per_sample += since(t_sample);
      continue;
    }
    at::Tensor g = at::empty({B, blk.out, blk.in}, x.options());
    per_sample_products(sample_rows, dy, x, g);
    at::Tensor gb = blk.bias_name.empty() ? at::Tensor() : per_sample_sums(sample_rows, dy, B);  // [B, out]
    if (o.preconditioner == Preconditioner::Adam) {
      auto [m, v] = e.adam->lookup(model.parameter(blk.weight_name));
      if (!m.defined()) m = at::zeros({blk.out, blk.in}, g.options()), v = m;
      g = adam_feature(m.to(g.device()).unsqueeze(0), v.to(g.device()).unsqueeze(0), g, e.adam->beta1, e.adam->beta2);
      if (gb.defined()) {
        auto [mb, vb] = e.adam->lookup(model.parameter(blk.bias_name));
        if (!mb.defined()) mb = at::zeros({blk.out}, g.options()), vb = mb;
        gb = adam_feature(mb.to(g.device()).unsqueeze(0), vb.to(g.device()).unsqueeze(0), gb, e.adam->beta1,
                          e.adam->beta2);
      }
    }
    tm.per_sample += since(t_sample);
    auto t_proj = now();
    switch (o.projection) {
      case Projection::None:
        rows.narrow(1, blk.offset, blk.out * blk.in).copy_(g.reshape({B, blk.out * blk.in}).cpu());
        if (gb.defined()) rows.narrow(1, blk.offset + blk.out * blk.in, blk.out).copy_(gb.cpu());
        break;
      case Projection::Dense:
        unprojected.narrow(1, blk.offset, blk.out * blk.in).copy_(g.reshape({B, blk.out * blk.in}));
        if (gb.defined()) unprojected.narrow(1, blk.offset + blk.out * blk.in, blk.out).copy_(gb);
        break;
      case Projection::Factored: {
        const at::Tensor f = at::matmul(at::matmul(e.p_out[l].t().unsqueeze(0), g), e.p_in[l].unsqueeze(0));
        rows.narrow(1, static_cast<int64_t>(l) * k * k, k * k).copy_(f.reshape({B, k * k}).cpu());  // [B, k, k]
        break;
      }
    }
    tm.projection += since(t_proj);
  }
}

}  // namespace

at::Tensor per_sample_gradient_features(const LlamaModel& model, const std::vector<const Sample*>& samples,
                                        const GradientFeatureOptions& o, const AdamMoments* adam, int64_t batch_size,
                                        int32_t pad_id, const std::function<void(int64_t, int64_t)>& progress,
                                        GradientTimings* timings) {
  const std::vector<FeatureBlock> layout = feature_layout(model, o.parameter_filter);
  if (layout.empty())
    throw Error("gradient_features: no trainable attention/MLP projection matches the parameter filter");
  if (o.projection != Projection::None && o.projection_dim <= 0)
    throw Error("gradient_features: projection_dim must be positive for a projection");
  if (o.preconditioner == Preconditioner::Adam && !adam)
    throw Error("gradient_features: the adam preconditioner needs the optimizer's moments (no optimizer here)");
  const int64_t dim = feature_dim(layout, o);
  const int64_t n = static_cast<int64_t>(samples.size());
  at::Tensor features = at::zeros({n, dim}, at::kFloat);
  Extraction e{model, samples, o, adam, layout, 0, {}, {}, pad_id};
  if (o.projection == Projection::Factored) {
    // One (in x k) and one (out x k) matrix per covered linear, made once per call.
    e.k = factored_side(layout, o.projection_dim);
    for (std::size_t l = 0; l < layout.size(); ++l) {
      e.p_in.push_back(rademacher(o.seed, 1 + 2 * l, layout[l].in, e.k).to(model.device()));
      e.p_out.push_back(rademacher(o.seed, 2 + 2 * l, layout[l].out, e.k).to(model.device()));
    }
  }
  TrainingModeScope eval_mode(model, false);
  const bool dense = o.projection == Projection::Dense;
  // Dense: the gradients of consecutive batches are gathered and projected together, a group at a time
  // (see kDenseGroupBytes); otherwise each batch is its own group. Groups are formed as batches fill them.
  const int64_t unprojected = dense ? feature_dim(layout, GradientFeatureOptions{}) : 0;
  const int64_t group_cap =
      dense ? std::max(batch_size, std::min(n, kDenseGroupBytes / std::max<int64_t>(1, unprojected * 4))) : batch_size;
  std::vector<int64_t> group_first{0};
  for (int64_t first = 0, rows = 0; first < n; first += batch_size) {
    const int64_t B = std::min(batch_size, n - first);
    if (rows + B > group_cap) group_first.push_back(first), rows = 0;
    rows += B;
  }
  group_first.push_back(n);
  const auto groups = static_cast<int64_t>(group_first.size()) - 1;
  std::mutex report_mutex;  // guards done, the timings and progress calls
  int64_t done = 0;
  GradientTimings total;
  auto group = [&](int64_t index) {
    at::AutoGradMode grad_mode(true);  // the calling thread's: it may be under a NoGradGuard
    GradientTimings tm;
    const int64_t first = group_first[static_cast<std::size_t>(index)];
    const int64_t rows = group_first[static_cast<std::size_t>(index) + 1] - first;
    at::Tensor pending;
    if (dense) {
      // Kept between calls (decisions come again and again): a fresh GiB-sized buffer would be paid for in
      // page faults at every call. Bounded by kDenseGroupBytes (or one batch), per thread.
      static thread_local at::Tensor group_buffer;
      if (!group_buffer.defined() || group_buffer.numel() < group_cap * unprojected)
        group_buffer = at::empty({group_cap * unprojected}, at::kFloat);
      pending = group_buffer.narrow(0, 0, rows * unprojected).view({rows, unprojected});
    }
    for (int64_t b = first; b < first + rows; b += batch_size) {
      const int64_t B = std::min(batch_size, first + rows - b);
      batch_features(e, b, B, features.narrow(0, b, B), dense ? pending.narrow(0, b - first, B) : at::Tensor(), tm);
    }
    if (dense) {
      const auto t_proj = now();
      at::NoGradGuard no_grad;
      at::Tensor target = features.narrow(0, first, rows);
      dense_project(pending, 0, o.seed, target);
      tm.projection += since(t_proj);
    }
    std::lock_guard<std::mutex> lock(report_mutex);
    total.forward += tm.forward, total.backward += tm.backward;
    total.per_sample += tm.per_sample, total.projection += tm.projection;
    done += rows;
    if (progress) progress(done, n);
  };
  if (dense) {
    // Alone: a group's buffer is up to a GiB per thread that computes one.
    for (int64_t g = 0; g < groups; ++g) group(g);
  } else {
    // Each group writes only its own rows: a waiting training thread may take some (util/shared_batches).
    run_shared_batches(groups, group);
  }
  if (timings) {  // accumulated over calls
    timings->forward += total.forward, timings->backward += total.backward;
    timings->per_sample += total.per_sample, timings->projection += total.projection;
  }
  return features;
}

}  // namespace dataflex
