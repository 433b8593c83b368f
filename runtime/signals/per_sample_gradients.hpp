// per_sample_gradients.hpp -- per-sample gradient features of a batch from ONE forward and ONE backward.
//
// For a linear map y = W x (+ b) applied at every token t of sample i, the gradient of that sample's
// loss is G_i = sum_t dy_{i,t} (x) x_{i,t} (outer product), and for the bias sum_t dy_{i,t}. So the
// per-sample gradients of every trainable linear follow from the inputs seen in the forward pass and
// the output gradients of one backward pass over the whole padded batch (the technique of Opacus and
// of LoGra, "What is Your Data Worth to GPT?", 2024). Samples do not interact in a batch (causal
// attention, right padding), so the result equals one backward pass per sample.
//
// Covered parameters: the attention and MLP projections of every decoder layer (their LoRA adapters
// A and B when the model has them), trainable and matching the filter. Embeddings and norms are not.
// Each sample's loss is the mean over its trained tokens, in eval mode (no dropout).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dataflex {

class LlamaModel;
struct Sample;

enum class Preconditioner { Sgd, Adam };
enum class Projection { None, Dense, Factored };

struct GradientFeatureOptions {
  Preconditioner preconditioner = Preconditioner::Sgd;
  Projection projection = Projection::None;
  int64_t projection_dim = 0;  // dense: columns; factored: target (see feature_dim)
  uint64_t seed = 0;
  std::vector<std::string> parameter_filter;  // name substrings; empty = every covered trainable linear
};

// Adam's moments of a parameter, as the optimizer holds them (undefined tensors: no step yet).
struct AdamMoments {
  std::function<std::pair<at::Tensor, at::Tensor>(const at::Tensor& parameter)> lookup;
  double beta1 = 0.9, beta2 = 0.999;
};

// LESS's Adam form (no bias correction): m' = b1 m + (1-b1) g, v' = b2 v + (1-b2) g^2, m' / sqrt(v' + 1e-8).
at::Tensor adam_feature(const at::Tensor& m, const at::Tensor& v, const at::Tensor& g, double beta1, double beta2);

// The covered parameters in feature order (layer by layer, q k v o gate up down; weight then bias;
// LoRA: A then B), with their offsets in the unprojected feature vector.
struct FeatureBlock {
  std::string weight_name, bias_name;  // bias_name empty when none
  int64_t out = 0, in = 0;
  int64_t offset = 0;  // of the weight in the unprojected layout; the bias follows it
};
std::vector<FeatureBlock> feature_layout(const LlamaModel& model, const std::vector<std::string>& filter);

// Columns of the result: unprojected = covered parameter count; dense = projection_dim; factored =
// L * k * k with k = ceil(sqrt(projection_dim / L)) for the L covered linears (biases not included).
int64_t feature_dim(const std::vector<FeatureBlock>& layout, const GradientFeatureOptions& options);

// The dense projection: adds G [B, rows] @ R[offset .. offset+rows, :] to `features` [B, k], R being
// stream 0 of the seeded Rademacher matrix (projection.hpp), generated in chunks, never held whole.
void dense_project(const at::Tensor& g, int64_t offset, uint64_t seed, at::Tensor& features);

// Where the time of an extraction goes (seconds, accumulated), for bench/ and progress logs.
struct GradientTimings {
  double forward = 0, backward = 0, per_sample = 0, projection = 0;
};

// Features [n, feature_dim] (f32, CPU) of `samples`, computed `batch_size` samples per forward/backward.
// `progress(done, total)` is called after each batch when given.
at::Tensor per_sample_gradient_features(const LlamaModel& model, const std::vector<const Sample*>& samples,
                                        const GradientFeatureOptions& options, const AdamMoments* adam,
                                        int64_t batch_size, int32_t pad_id,
                                        const std::function<void(int64_t, int64_t)>& progress = {},
                                        GradientTimings* timings = nullptr);

}  // namespace dataflex
