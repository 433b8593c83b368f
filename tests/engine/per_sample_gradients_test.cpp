// Per-sample gradient features from one batched forward/backward against the plain way: one
// backward pass per sample (batch size 1, no padding), reading the parameters' .grad.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>
#include <utility>

#include "data/corpus.hpp"
#include "model/llama_model.hpp"
#include "signals/per_sample_gradients.hpp"
#include "signals/projection.hpp"
#include "util/shared_batches.hpp"

namespace dataflex {
namespace {

ModelConfig small_config(bool bias) {
  ModelConfig c = ModelConfig::builtin_tiny(50);
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 4;
  c.attention_bias = bias;
  c.tie_word_embeddings = false;
  return c;
}

// Mixed lengths (so the batch is padded) and partly masked labels (sft-like).
std::vector<Sample> make_samples() {
  std::vector<Sample> out;
  const int lengths[] = {9, 4, 12, 7, 2};
  for (int i = 0; i < 5; ++i) {
    Sample s;
    s.id = i;
    for (int t = 0; t < lengths[i]; ++t) {
      s.input_ids.push_back((7 * i + 3 * t + 1) % 50);
      s.labels.push_back(t < lengths[i] / 3 ? kIgnoreIndex : s.input_ids.back());
    }
    out.push_back(s);
  }
  return out;
}

// The unprojected per-sample gradients, one backward pass per sample, in feature_layout order.
at::Tensor exact_gradients(LlamaModel& model, const std::vector<Sample>& samples,
                           const std::vector<FeatureBlock>& layout) {
  model.set_training(false);
  std::vector<at::Tensor> rows;
  for (const auto& s : samples) {
    for (const auto& p : model.parameters()) p.tensor.mutable_grad() = at::Tensor();
    const int64_t T = static_cast<int64_t>(s.input_ids.size());
    at::Tensor ids = at::empty({1, T}, at::kLong), labels = at::empty({1, T}, at::kLong);
    for (int64_t t = 0; t < T; ++t) ids[0][t] = s.input_ids[t], labels[0][t] = s.labels[t];
    at::Tensor losses = model.token_losses(ids, labels);
    const int64_t trained = (labels.narrow(1, 1, T - 1) != kIgnoreIndex).sum().item<int64_t>();
    (losses.sum() / std::max<int64_t>(1, trained)).backward();
    std::vector<at::Tensor> parts;
    for (const auto& b : layout) {
      parts.push_back(model.parameter(b.weight_name).grad().reshape({-1}));
      if (!b.bias_name.empty()) parts.push_back(model.parameter(b.bias_name).grad().reshape({-1}));
    }
    rows.push_back(at::cat(parts));
  }
  return at::stack(rows);
}

double relative_error(const at::Tensor& got, const at::Tensor& want) {
  return ((got - want).abs().max() / want.abs().max()).item<double>();
}

std::vector<const Sample*> pointers(const std::vector<Sample>& v) {
  std::vector<const Sample*> p;
  for (const auto& s : v) p.push_back(&s);
  return p;
}

void expect_batched_equals_loop(LlamaModel& model, const std::vector<std::string>& filter) {
  const auto samples = make_samples();
  GradientFeatureOptions o;
  o.parameter_filter = filter;
  const auto layout = feature_layout(model, filter);
  ASSERT_FALSE(layout.empty());
  const at::Tensor want = exact_gradients(model, samples, layout);
  const at::Tensor got =
      per_sample_gradient_features(model, pointers(samples), o, nullptr, /*batch_size=*/3, /*pad_id=*/0);
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_LT(relative_error(got, want), 1e-5);
  std::cout << "  batched vs per-sample backward: relative error " << relative_error(got, want) << " over "
            << want.size(1) << " parameters\n";

  // Dense projection = the projection of those exact gradients (R materialised here, small P).
  o.projection = Projection::Dense;
  o.projection_dim = 24;
  o.seed = 5;
  const int64_t P = want.size(1);
  at::Tensor r = at::empty({P, 24}, at::kFloat);
  rademacher_block(5, 0, 0, P, 24, r.data_ptr<float>());
  const at::Tensor dense = per_sample_gradient_features(model, pointers(samples), o, nullptr, 2, 0);
  EXPECT_LT(relative_error(dense, at::matmul(want, r)), 1e-5);

  // Factored projection = P_out^T G P_in of the exact gradients, layer by layer.
  o.projection = Projection::Factored;
  o.projection_dim = 4 * static_cast<int64_t>(layout.size());  // k = 2 per side
  const at::Tensor factored = per_sample_gradient_features(model, pointers(samples), o, nullptr, 4, 0);
  ASSERT_EQ(factored.size(1), 4 * static_cast<int64_t>(layout.size()));
  std::vector<at::Tensor> parts;
  for (std::size_t l = 0; l < layout.size(); ++l) {
    const auto& b = layout[l];
    at::Tensor g = want.narrow(1, b.offset, b.out * b.in).reshape({-1, b.out, b.in});
    at::Tensor pin = at::empty({b.in, 2}), pout = at::empty({b.out, 2});
    rademacher_block(5, 1 + 2 * l, 0, b.in, 2, pin.data_ptr<float>());
    rademacher_block(5, 2 + 2 * l, 0, b.out, 2, pout.data_ptr<float>());
    parts.push_back(at::matmul(at::matmul(pout.t(), g), pin).reshape({g.size(0), 4}));
  }
  EXPECT_LT(relative_error(factored, at::cat(parts, 1)), 1e-5);
}

// The fused model packs the padded batches (each sample's gradient a sum over its segment of one
// sequence); the unfused one keeps the padded layout. Both against one backward per sample.
TEST(PerSampleGradients, FullLayersBatchedEqualOneBackwardPerSample) {
  LlamaModel model(small_config(/*bias=*/true), 3);
  ASSERT_TRUE(model.packs(at::zeros({2, 12}, at::kLong), {9, 4}));
  expect_batched_equals_loop(model, {});
  model.set_fused_kernels(false);
  ASSERT_FALSE(model.packs(at::zeros({2, 12}, at::kLong), {9, 4}));
  expect_batched_equals_loop(model, {});
}

TEST(PerSampleGradients, NamedLayersOfAFullModel) {
  LlamaModel model(small_config(false), 3);
  expect_batched_equals_loop(model, {"layers.1.mlp", "o_proj"});
  EXPECT_EQ(feature_layout(model, {"layers.1.mlp", "o_proj"}).size(), 5u);  // 3 MLP + 2 o_proj
}

TEST(PerSampleGradients, LoraAdaptersBatchedEqualOneBackwardPerSample) {
  LlamaModel model(small_config(false), 3);
  model.add_lora({2, 4.0, 0.1, {"all"}}, 9);
  {
    at::NoGradGuard g;  // non-zero B so that both A's and B's gradients are non-trivial
    for (const auto& p : model.parameters())
      if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0, 0.2);
  }
  expect_batched_equals_loop(model, {});
  EXPECT_EQ(feature_layout(model, {}).size(), 2u * 7 * 2);  // A and B of 7 modules in 2 layers
}

TEST(PerSampleGradients, AdamFeatureMatchesTheHandComputation) {
  // m' = 0.9 m + 0.1 g, v' = 0.999 v + 0.001 g^2, m' / sqrt(v' + 1e-8): (0.19, 0.01099) -> 1.812402;
  // (0.02, 0.04396) -> 0.095390 (the issue's worked example).
  at::Tensor m = at::tensor({0.1f, -0.2f}), v = at::tensor({0.01f, 0.04f}), g = at::tensor({1.0f, 2.0f});
  at::Tensor f = adam_feature(m, v, g, 0.9, 0.999);
  EXPECT_NEAR(f[0].item<double>(), 1.812402, 1e-6);
  EXPECT_NEAR(f[1].item<double>(), 0.095390, 1e-6);
}

TEST(PerSampleGradients, AdamPreconditionedFeaturesUseTheOptimizersMoments) {
  LlamaModel model(small_config(false), 3);
  const auto samples = make_samples();
  const auto layout = feature_layout(model, {"mlp"});
  const at::Tensor exact = exact_gradients(model, samples, layout);
  AdamMoments moments;  // every moment 0.01 / 0.0004: a known, non-trivial state
  moments.lookup = [](const at::Tensor& p) {
    return std::make_pair(at::full(p.sizes(), 0.01f), at::full(p.sizes(), 0.0004f));
  };
  GradientFeatureOptions o;
  o.parameter_filter = {"mlp"};
  o.preconditioner = Preconditioner::Adam;
  const at::Tensor got = per_sample_gradient_features(model, pointers(samples), o, &moments, 2, 0);
  const at::Tensor want = adam_feature(at::full_like(exact, 0.01f), at::full_like(exact, 0.0004f), exact, 0.9, 0.999);
  EXPECT_LT(relative_error(got, want), 1e-5);
}

// A decision computed beside training shares its batches with the waiting training thread
// (util/shared_batches): each thread observes its own forward of the one model, and which thread
// computed a batch changes no bit of the features.
TEST(PerSampleGradients, BatchesTakenByAHelpingThreadGiveTheSameBits) {
  LlamaModel model(small_config(/*bias=*/true), 3);
  model.add_lora({2, 4.0, 0.0, {"all"}}, 9);
  std::vector<Sample> samples;
  for (int copy = 0; copy < 4; ++copy)
    for (Sample s : make_samples()) s.id = static_cast<int64_t>(samples.size()), samples.push_back(s);
  AdamMoments moments;
  moments.lookup = [](const at::Tensor& p) {
    return std::make_pair(at::full(p.sizes(), 0.01f), at::full(p.sizes(), 0.0004f));
  };
  GradientFeatureOptions factored;
  factored.projection = Projection::Factored;
  factored.projection_dim = 64;
  GradientFeatureOptions adam;
  adam.preconditioner = Preconditioner::Adam;
  const int threads = at::get_num_threads();
  for (const GradientFeatureOptions& o : {factored, adam}) {
    const at::Tensor alone = per_sample_gradient_features(model, pointers(samples), o, &moments, 2, 0);
    std::atomic<bool> stop{false};
    std::thread helper([&] {
      at::set_num_threads(threads);  // the owner's settings, as the trainer's helper takes them
      while (!stop) help_with_shared_batches();
    });
    const auto owner = std::this_thread::get_id();
    std::set<std::thread::id> reporters;
    bool slept = false;
    auto progress = [&](int64_t, int64_t) {
      reporters.insert(std::this_thread::get_id());
      // The owner pauses after its first batch, so the helper surely takes some.
      if (std::this_thread::get_id() == owner && !std::exchange(slept, true))
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    };
    const at::Tensor shared = per_sample_gradient_features(model, pointers(samples), o, &moments, 2, 0, progress);
    stop = true;
    helper.join();
    EXPECT_EQ(reporters.size(), 2u) << "the helper took no batch";
    EXPECT_TRUE(at::equal(alone, shared));
  }
}

TEST(Projection, DenseProjectionMatchesTheIssuesOracle) {
  // g = [1, 2, 3, 4] with Rademacher rows [1,-1], [1,1], [-1,1], [1,1] gives g^T P = [4, 8]. The
  // first seed whose 4 x 2 block holds exactly those rows is found here, then the host's own dense
  // projection is applied with it.
  const float rows[8] = {1, -1, 1, 1, -1, 1, 1, 1};
  uint64_t seed = 0;
  for (;; ++seed) {
    float block[8];
    rademacher_block(seed, 0, 0, 4, 2, block);
    if (std::equal(block, block + 8, rows)) break;
    ASSERT_LT(seed, 100000u) << "no seed gives the oracle's rows";
  }
  const at::Tensor g = at::tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({1, 4});
  at::Tensor features = at::zeros({1, 2});
  dense_project(g, 0, seed, features);
  EXPECT_EQ(features[0][0].item<float>(), 4.0f);
  EXPECT_EQ(features[0][1].item<float>(), 8.0f);
  // Split into two row ranges at offsets, as the extractor projects layer by layer: the same result.
  at::Tensor split = at::zeros({1, 2});
  dense_project(g.narrow(1, 0, 3), 0, seed, split);
  dense_project(g.narrow(1, 3, 1), 3, seed, split);
  EXPECT_TRUE(at::equal(split, features));
}

TEST(Projection, SameSeedSameMatrixEverywhereOtherSeedAnother) {
  // Blocks generated in any order or split agree with each other and with single entries.
  std::vector<float> whole(40 * 70), part(10 * 70);
  rademacher_block(42, 0, 0, 40, 70, whole.data());
  rademacher_block(42, 0, 25, 10, 70, part.data());
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < 70; ++c) ASSERT_EQ(part[r * 70 + c], whole[(25 + r) * 70 + c]);
  EXPECT_EQ(whole[3 * 70 + 65], rademacher_entry(42, 0, 3, 65));
  // Pinned values: the definition in projection.hpp, so that every build, process and machine agrees.
  const float pinned[8] = {rademacher_entry(42, 0, 0, 0),  rademacher_entry(42, 0, 0, 1),
                           rademacher_entry(42, 0, 1, 0),  rademacher_entry(42, 0, 1000000, 63),
                           rademacher_entry(42, 3, 0, 0),  rademacher_entry(7, 0, 0, 0),
                           rademacher_entry(7, 0, 5, 100), rademacher_entry(42, 0, 2, 64)};
  const float expected[8] = {-1, 1, -1, 1, 1, -1, -1, -1};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(pinned[i], expected[i]) << i;
  std::vector<float> block(16 * 80);  // a whole block pinned through a position-weighted sum
  rademacher_block(42, 0, 100, 16, 80, block.data());
  int64_t weighted = 0;
  for (int i = 0; i < 16 * 80; ++i) weighted += static_cast<int64_t>(block[i]) * (i + 1);
  EXPECT_EQ(weighted, 18388);
  std::vector<float> other(40 * 70);
  rademacher_block(43, 0, 0, 40, 70, other.data());
  int differing = 0, plus = 0;
  for (std::size_t i = 0; i < whole.size(); ++i) differing += whole[i] != other[i], plus += whole[i] > 0;
  EXPECT_GT(differing, 1200);  // about half of 2800
  EXPECT_GT(plus, 1250);       // balanced signs
  EXPECT_LT(plus, 1550);
}

}  // namespace
}  // namespace dataflex
