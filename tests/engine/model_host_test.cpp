// The runtime host's services on a live model, reached by a plugin through the SDK (the
// service_probe test plugin) and compared with direct computations on the same model.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "engine_test_support.hpp"
#include "eval/text_metrics.hpp"
#include "model/generation.hpp"
#include "model/llama_model.hpp"
#include "model/sequence_classifier.hpp"
#include "plugins/manifest.hpp"
#include "plugins/plugin_instance.hpp"
#include "plugins/plugin_library.hpp"
#include "plugins/plugin_registry.hpp"
#include "signals/model_host.hpp"
#include "signals/per_sample_gradients.hpp"
#include "signals/projection.hpp"
#include "train/host_factory.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

#include <torch/csrc/autograd/autograd.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>

namespace dataflex {
namespace {

ModelConfig tiny(int64_t vocab) {
  ModelConfig c = ModelConfig::builtin_tiny(vocab);
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = 1;
  c.head_dim = 8;
  return c;
}

Sample make(int64_t id, int32_t domain, const std::string& text, const Tokenizer& tok, bool mask_first) {
  Sample s;
  s.id = id;
  s.domain = domain;
  for (int32_t t : tok.encode(text, false)) s.input_ids.push_back(t);
  s.labels = s.input_ids;
  if (mask_first) s.labels[0] = s.labels[1] = kIgnoreIndex;
  return s;
}

class ModelHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokenizer_ = Tokenizer::builtin_bytes();
    corpus_.domains = {"news", "code"};
    const char* texts[] = {"the cat sat", "int main() {}",     "dogs bark loudly at night", "x = 1",
                           "a",           "for i in range(3):"};
    for (int i = 0; i < 6; ++i) corpus_.train.push_back(make(i, i % 2, texts[i], *tokenizer_, i == 2));
    corpus_.eval.push_back(make(0, 0, "the dog", *tokenizer_, false));
    corpus_.eval.push_back(make(1, 1, "return 0;", *tokenizer_, true));
    model_ = std::make_unique<LlamaModel>(tiny(tokenizer_->vocab_size()), 1);
    ModelHostOptions o;
    o.batch_size = 4;
    host_ = std::make_unique<ModelHost>(corpus_, *tokenizer_, *model_, o);
    host_->set_reference_model(std::make_unique<LlamaModel>(tiny(tokenizer_->vocab_size()), 2));
  }

  // Mean trained-token loss of one sample, computed alone (0 for a sample with no trained token, as
  // the host defines it).
  double direct_loss(const LlamaModel& m, const Sample& s) {
    at::NoGradGuard g;
    const int64_t T = static_cast<int64_t>(s.input_ids.size());
    if (T < 2) return 0.0;
    at::Tensor ids = at::empty({1, T}, at::kLong), labels = at::empty({1, T}, at::kLong);
    for (int64_t t = 0; t < T; ++t) ids[0][t] = s.input_ids[t], labels[0][t] = s.labels[t];
    const int64_t n = (labels.narrow(1, 1, T - 1) != kIgnoreIndex).sum().item<int64_t>();
    return m.token_losses(ids, labels).sum().item<double>() / static_cast<double>(n);
  }

  std::unique_ptr<Tokenizer> tokenizer_;
  Corpus corpus_;
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<ModelHost> host_;
};

TEST_F(ModelHostTest, EveryServiceIsReachableFromAPluginThroughTheSdk) {
  const auto registry = PluginRegistry::discover(PluginSearchPath{{TEST_PLUGIN_DIR "/probe"}, {true}});
  auto library = PluginLibrary::load(registry.find("service_probe"), nullptr);
  PluginInstance plugin(library, *host_, {}, 1);
  const Selection sel = plugin.select(DecisionContext{}, 6, 2, false, {});
  ASSERT_EQ(sel.ids.size(), 2u);
  std::map<std::string, double> m;
  for (const auto& x : plugin.bridge().take_metrics()) m[x.name] = x.value;

  EXPECT_EQ(m["probe.train_size"], 6);
  EXPECT_EQ(m["probe.domain_sum"], 3);  // domains 0 1 0 1 0 1
  double loss_sum = 0, ref_sum = 0;
  for (const auto& s : corpus_.train) loss_sum += direct_loss(*model_, s);
  EXPECT_NEAR(m["probe.loss_sum"], loss_sum, 1e-4);
  LlamaModel reference(tiny(tokenizer_->vocab_size()), 2);
  for (const auto& s : corpus_.train) ref_sum += direct_loss(reference, s);
  EXPECT_NEAR(m["probe.reference_loss_sum"], ref_sum, 1e-4);
  // Eval tokens: "the dog" (7 tokens, 6 predictions) + "return 0;" (9 tokens, 8 predictions, 1 masked target).
  EXPECT_EQ(m["probe.eval_tokens"], 6 + 7);
  EXPECT_NEAR(m["probe.eval_token_loss_sum"],
              direct_loss(*model_, corpus_.eval[0]) * 6 + direct_loss(*model_, corpus_.eval[1]) * 7, 1e-3);
  EXPECT_NEAR(m["probe.eval_domain0_loss"], direct_loss(*model_, corpus_.eval[0]), 1e-5);
  EXPECT_EQ(m["probe.feature_cols"], 16);
  // Feature row 0 = the dense projection of sample 0's exact gradient.
  std::vector<const Sample*> one = {&corpus_.train[0]};
  GradientFeatureOptions o;
  o.projection = Projection::Dense;
  o.projection_dim = 16;
  o.seed = 3;
  const at::Tensor f = per_sample_gradient_features(*model_, one, o, nullptr, 1, 0);
  EXPECT_NEAR(m["probe.feature_norm0"], f.norm().item<double>(), 1e-4 * f.norm().item<double>());
  EXPECT_NEAR(m["probe.embedding_norm0"], 1.0, 1e-5);  // normalised
  EXPECT_EQ(m["probe.embedding_cols"], 16);
}

TEST_F(ModelHostTest, AC_PlusPlusPluginReportsTheHostsOwnMessage) {
  // service_probe (a C++ plugin on <dataflex/plugin.hpp>) asks for reference losses of a host that has
  // no reference model: the user reads the host's reason, not a generic "service failed".
  ModelHostOptions o;
  ModelHost no_reference(corpus_, *tokenizer_, *model_, o);
  const auto registry = PluginRegistry::discover(PluginSearchPath{{TEST_PLUGIN_DIR "/probe"}, {true}});
  PluginInstance plugin(PluginLibrary::load(registry.find("service_probe"), nullptr), no_reference, {}, 1);
  try {
    plugin.select(DecisionContext{}, 6, 2, false, {});
    FAIL() << "the plugin should have failed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed in select at step 0 with DFX_ERR_UNIMPLEMENTED: host service "
                                         "'sample_losses': no reference model (set dataflex.reference_model)"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ModelHostTest, ResultsAreCachedUntilTheWeightsChange) {
  const host::SampleIds ids = {0, 1, 2};
  const auto a = host_->sample_losses(host::Dataset::Train, host::Model::Current, ids);
  const auto b = host_->sample_losses(host::Dataset::Train, host::Model::Current, ids);
  EXPECT_EQ(host_->cache().hits(), 1u);
  EXPECT_EQ(a, b);
  {  // an optimizer step: new weights, so the cached losses must not be reused
    at::NoGradGuard g;
    model_->parameter("model.norm.weight").mul_(1.5);
  }
  host_->set_weights_changed();
  const auto c = host_->sample_losses(host::Dataset::Train, host::Model::Current, ids);
  EXPECT_EQ(host_->cache().hits(), 1u);
  EXPECT_NE(a, c);
  EXPECT_NEAR(c[0], direct_loss(*model_, corpus_.train[0]), 1e-5);
}

TEST_F(ModelHostTest, MeanPooledEmbeddingsIgnorePaddingAndNormalise) {
  const host::SampleIds ids = {4, 5};  // lengths 1 and 18: the first is padded in the batch
  host::EmbeddingRequest r;
  r.normalize = false;
  ASSERT_EQ(host_->embedding_dim(r), 16u);
  const std::vector<float> out = host_->embeddings(r, ids);
  ASSERT_EQ(out.size(), 32u);
  at::NoGradGuard g;
  at::Tensor alone =
      model_->hidden_states(at::tensor({static_cast<int64_t>(corpus_.train[4].input_ids[0])}).view({1, 1}));
  for (int j = 0; j < 16; ++j) EXPECT_NEAR(out[static_cast<std::size_t>(j)], alone[0][0][j].item<float>(), 1e-5);
}

TEST_F(ModelHostTest, PositionWeightedPoolingWeighsTokenTByTAndIgnoresPadding) {
  // Sample 5 (18 tokens) batched with sample 4 (1 token, padded): token t of 18 weighs t / 171.
  host::EmbeddingRequest r;
  r.normalize = false;
  r.pooling = DFX_POOLING_POSITION_WEIGHTED;
  const std::vector<float> out = host_->embeddings(r, {4, 5});
  ASSERT_EQ(out.size(), 32u);
  at::NoGradGuard g;
  std::vector<int64_t> tokens;
  for (int32_t t : corpus_.train[5].input_ids) tokens.push_back(t);
  const int64_t n = static_cast<int64_t>(tokens.size());
  const at::Tensor h = model_->hidden_states(at::tensor(tokens).view({1, n}))[0];  // [n, 16]
  const at::Tensor w = at::arange(1, n + 1, at::kFloat).view({n, 1});
  const at::Tensor want = (h * w).sum(0) / w.sum();
  for (int j = 0; j < 16; ++j) EXPECT_NEAR(out[static_cast<std::size_t>(16 + j)], want[j].item<float>(), 1e-5);
  // One token: its own state, as with mean pooling.
  const at::Tensor alone =
      model_->hidden_states(at::tensor({static_cast<int64_t>(corpus_.train[4].input_ids[0])}).view({1, 1}));
  for (int j = 0; j < 16; ++j) EXPECT_NEAR(out[static_cast<std::size_t>(j)], alone[0][0][j].item<float>(), 1e-5);
}

TEST_F(ModelHostTest, OutOfRangeIdsAndMissingModelsAreServiceErrors) {
  try {
    host_->sample_losses(host::Dataset::Train, host::Model::Current, {9});
    FAIL();
  } catch (const host::ServiceError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("sample id 9 is outside the training pool of 6 samples"), std::string::npos);
  }
  try {
    host_->embeddings(host::EmbeddingRequest{host::Dataset::Train, host::Model::Embedding, -1, DFX_POOLING_MEAN, true},
                      {0});
    FAIL();
  } catch (const host::ServiceError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_UNIMPLEMENTED);
    EXPECT_STREQ(e.what(), "no embedding model (set dataflex.embedding_model)");
  }
}

TEST_F(ModelHostTest, PrecomputedEmbeddingsComeFromAnNpyFile) {
  TempDir dir;
  const std::string path = dir.str() + "/emb.npy";
  {  // numpy's format 1.0: magic, version, header length, a dict padded to 64 bytes, then the data
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 2), }";
    header.resize(128 - 10 - 1, ' ');  // magic + version + length + header = a multiple of 64
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out << "\x93NUMPY" << '\x01' << '\x00';
    out.put(static_cast<char>(header.size() & 0xFF)).put(static_cast<char>(header.size() >> 8));
    out << header;
    for (int i = 0; i < 6; ++i) {
      const float row[2] = {3.0f * static_cast<float>(i + 1), 4.0f * static_cast<float>(i + 1)};
      out.write(reinterpret_cast<const char*>(row), sizeof row);
    }
  }
  ModelHostOptions ho;
  ho.embeddings_file = path;
  ModelHost host(corpus_, *tokenizer_, *model_, ho);
  host::EmbeddingRequest r;
  r.model = host::Model::Embedding;
  EXPECT_EQ(host.embedding_dim(r), 2u);
  const std::vector<float> out = host.embeddings(r, {5, 0});
  EXPECT_NEAR(out[0], 0.6f, 1e-6);  // (18, 24) / 30
  EXPECT_NEAR(out[1], 0.8f, 1e-6);
  EXPECT_NEAR(out[2], 0.6f, 1e-6);
  // A file with the wrong number of rows is refused when the host is built.
  corpus_.train.pop_back();
  EXPECT_THROW(ModelHost(corpus_, *tokenizer_, *model_, ho), Error);
}

TEST_F(ModelHostTest, AdamFeaturesUseTheTrainingOptimizersMomentsAndTheReferenceModelLoadsFromAFolder) {
  // One real AdamW step, so that the optimizer holds non-trivial first and second moments.
  std::vector<at::Tensor> params = model_->trainable_parameters();
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-2));
  {
    at::Tensor ids = at::tensor({10L, 20L, 30L, 40L, 50L}).view({1, 5});
    model_->token_losses(ids, ids).mean().backward();
    opt.step();
    opt.zero_grad();
  }
  TempDir ref_dir;
  LlamaModel reference(tiny(tokenizer_->vocab_size()), 77);
  save_model(reference, ref_dir.str());
  TrainingOptions o = TrainingOptions::defaults();
  o.reference_model = ref_dir.str();
  o.signal_batch_size = 4;
  auto host = make_model_host(o, corpus_, *tokenizer_, *model_, &opt);

  // Reference losses come from the saved folder's weights.
  const host::SampleIds ids = {0, 1, 2, 3};
  const std::vector<float> ref = host->sample_losses(host::Dataset::Train, host::Model::Reference, ids);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_NEAR(ref[i], direct_loss(reference, corpus_.train[i]), 1e-5);

  // Adam features of the MLP = m'/sqrt(v'+1e-8) with the optimizer's m, v and each sample's gradient.
  host::GradientRequest gr;
  gr.preconditioner = DFX_PRECONDITIONER_ADAM;
  gr.projection = DFX_PROJECTION_NONE;
  gr.parameter_filter = {"mlp"};
  const std::size_t feature_dim = host->gradient_feature_dim(gr);
  const std::vector<float> got = host->gradient_features(gr, ids);
  ASSERT_EQ(got.size(), ids.size() * feature_dim);
  const auto layout = feature_layout(*model_, {"mlp"});
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::vector<const Sample*> one = {&corpus_.train[i]};
    GradientFeatureOptions sgd;
    sgd.parameter_filter = {"mlp"};
    const at::Tensor g = per_sample_gradient_features(*model_, one, sgd, nullptr, 1, 0)[0];
    std::vector<at::Tensor> m, v;
    for (const auto& b : layout) {
      auto& st = static_cast<torch::optim::AdamWParamState&>(
          *opt.state().at(c10::guts::to_string(model_->parameter(b.weight_name).unsafeGetTensorImpl())));
      m.push_back(st.exp_avg().reshape({-1}));
      v.push_back(st.exp_avg_sq().reshape({-1}));
    }
    const at::Tensor want = adam_feature(at::cat(m), at::cat(v), g, 0.9, 0.999);
    const at::Tensor row = at::from_blob(const_cast<float*>(got.data()) + i * feature_dim,
                                         {static_cast<int64_t>(feature_dim)}, at::kFloat);
    EXPECT_LT(((row - want).abs().max() / want.abs().max()).item<double>(), 1e-5) << "sample " << i;
  }

  // Beside training, a snapshot carries the moments of its step; one taken without them (the plugin's
  // manifest lists no gradient_features) refuses the request by name rather than use the live ones.
  host->take_snapshot();
  EXPECT_EQ(host->gradient_features(gr, ids), got);
  host->clear_snapshot();
  host->set_snapshot_moments(false);
  host->take_snapshot();
  try {
    host->gradient_features(gr, ids);
    ADD_FAILURE() << "adam features without the snapshot's moments";
  } catch (const host::ServiceError& e) {
    EXPECT_NE(std::string(e.what()).find("host service 'gradient_features'"), std::string::npos) << e.what();
  }
  gr.preconditioner = DFX_PRECONDITIONER_SGD;  // needs no moments: answered from the snapshot
  EXPECT_EQ(host->gradient_features(gr, ids).size(), ids.size() * feature_dim);
  host->clear_snapshot();
}

// --- SDK 1.3: generate, reward, response_gradient_features (NICE) ----------------------------------

host::Responses responses_of(const std::vector<std::vector<int32_t>>& rs) {
  host::Responses out;
  out.offsets.push_back(0);
  for (const auto& r : rs) {
    out.tokens.insert(out.tokens.end(), r.begin(), r.end());
    out.offsets.push_back(static_cast<int64_t>(out.tokens.size()));
  }
  return out;
}

TEST_F(ModelHostTest, GeneratedResponsesContinueEachPromptAndDependOnlyOnTheSeedAndSample) {
  host::GenerateRequest r;
  r.num_return = 3;
  r.max_new_tokens = 5;
  r.temperature = 1.0;
  r.seed = 7;
  const host::Responses both = host_->generate(r, {0, 1});
  ASSERT_EQ(both.size(), 6u);
  for (std::size_t i = 0; i < both.size(); ++i) EXPECT_LE(both.offsets[i + 1] - both.offsets[i], 5);
  EXPECT_EQ(host_->generate(r, {0, 1}).tokens, both.tokens);  // deterministic
  // Sample 1's responses alone equal its responses next to sample 0's: no dependence on the batch.
  const host::Responses alone = host_->generate(r, {1});
  EXPECT_EQ(alone.tokens, std::vector<int32_t>(both.tokens.begin() + both.offsets[3], both.tokens.end()));
  r.seed = 8;
  EXPECT_NE(host_->generate(r, {0, 1}).tokens, both.tokens);

  // Greedy: exactly the model's greedy continuation of the prompt (eval sample 1's prompt is its two
  // masked tokens "re").
  r.temperature = 0.0;
  r.num_return = 1;
  const host::Responses greedy = host_->generate(r, {1});
  GenerationOptions o;
  o.max_new_tokens = 5;
  o.stop_ids = {*tokenizer_->eos_id()};
  const auto want = generate(*model_, {{corpus_.eval[1].input_ids[0], corpus_.eval[1].input_ids[1]}}, o, {0},
                             tokenizer_->pad_id().value_or(0));
  EXPECT_EQ(greedy.tokens, want[0]);

  r.model = host::Model::Policy;
  try {
    host_->generate(r, {0});
    FAIL() << "a policy model that was not configured answered";
  } catch (const host::ServiceError& e) {
    EXPECT_EQ(e.status(), DFX_ERR_UNIMPLEMENTED);
    EXPECT_NE(std::string(e.what()).find("dataflex.policy_model"), std::string::npos);
  }
}

TEST_F(ModelHostTest, MetricRewardsCompareTheResponseWithTheSamplesAnswer) {
  // Eval sample 0 is "the dog" with every token but the first trained: its answer is "he dog".
  const auto enc = [&](const std::string& text) { return tokenizer_->encode(text, false); };
  const host::Responses rs = responses_of({enc("he dog"), enc("the dog"), enc("cat")});
  const host::SampleIds ids = {0, 0, 0};
  EXPECT_EQ(host_->reward(host::Dataset::Eval, DFX_REWARD_EXACT_MATCH, ids, rs), (std::vector<float>{1, 0, 0}));
  const auto f1 = host_->reward(host::Dataset::Eval, DFX_REWARD_TOKEN_F1, ids, rs);
  EXPECT_FLOAT_EQ(f1[0], 1.0f);
  EXPECT_FLOAT_EQ(f1[1], 2.0f / 3.0f);  // {dog} against {he, dog}
  EXPECT_FLOAT_EQ(f1[2], 0.0f);
  const auto rouge = host_->reward(host::Dataset::Eval, DFX_REWARD_ROUGE_L, ids, rs);
  EXPECT_FLOAT_EQ(rouge[1], static_cast<float>(rouge_l("the dog", "he dog")));
  try {
    host_->reward(host::Dataset::Eval, DFX_REWARD_MODEL, ids, rs);
    FAIL() << "a reward model that was not configured answered";
  } catch (const host::ServiceError& e) {
    EXPECT_NE(std::string(e.what()).find("dataflex.reward_model"), std::string::npos);
  }
}

TEST_F(ModelHostTest, TheRewardModelScoresTheFilledTemplate) {
  if (!python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 with torch (python3-torch) is not installed";
  TempDir dir;
  const std::string cmd = "/usr/bin/python3 " + source_dir() +
                          "/tests/reference/hf_llama_reference.py --variant llama --num-labels 1 --out " + dir.str() +
                          " > " + dir.str() + "/log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir.str() + "/log.txt");
  TrainingOptions o = TrainingOptions::defaults();
  o.reward_model = dir.str();
  o.reward_template = "Q: {prompt} A: {response} Ref: {reference}";
  auto host = make_model_host(o, corpus_, *tokenizer_, *model_, nullptr);
  const host::Responses rs = responses_of({tokenizer_->encode("a dog", false), tokenizer_->encode("x", false)});
  const auto got = host->reward(host::Dataset::Eval, DFX_REWARD_MODEL, {0, 1}, rs);
  const auto classifier = SequenceClassifier::load(dir.str(), "cpu", "test");
  // Eval 0: prompt "t", answer "he dog"; eval 1: prompt "re", answer "turn 0;".
  const auto want = classifier->rewards(
      {tokenizer_->encode("Q: t A: a dog Ref: he dog", true), tokenizer_->encode("Q: re A: x Ref: turn 0;", true)}, 1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NEAR(got[0], want[0], 1e-6);
  EXPECT_NEAR(got[1], want[1], 1e-6);
  EXPECT_NE(got[0], got[1]);
}

TEST_F(ModelHostTest, ResponseFeaturesAreTheRewardWeightedGradientsOfTheResponsesSummedNll) {
  const auto enc = [&](const std::string& text) { return tokenizer_->encode(text, false); };
  const std::vector<std::vector<int32_t>> texts = {enc("he"), enc("ree"), enc("turn"), enc("x")};
  const host::SampleIds ids = {0, 0, 1, 1};
  const std::vector<float> w = {1.0f, 0.5f, -2.0f, 0.25f};
  host::ResponseFeatureRequest r;
  r.weights = w;
  r.group_size = 2;
  r.projection = DFX_PROJECTION_NONE;
  r.parameter_filter = {"mlp"};
  const std::size_t dim = host_->response_feature_dim(r);
  const std::vector<float> got = host_->response_gradient_features(r, ids, responses_of(texts));
  ASSERT_EQ(got.size(), 2 * dim);

  // Autograd, one response at a time: the gradient of the summed NLL of its tokens after its prompt.
  const auto layout = feature_layout(*model_, {"mlp"});
  // (Two tensors: a vector filled with copies of one would share its storage.)
  std::vector<at::Tensor> want = {at::zeros({static_cast<int64_t>(dim)}, at::kDouble),
                                  at::zeros({static_cast<int64_t>(dim)}, at::kDouble)};
  for (std::size_t m = 0; m < texts.size(); ++m) {
    const Sample& prompt_of = corpus_.eval[static_cast<std::size_t>(ids[m])];
    std::vector<int64_t> seq, labels;
    const std::size_t prompt_len = ids[m] == 0 ? 1 : 2;  // tokens before the first trained one
    for (std::size_t t = 0; t < prompt_len; ++t) seq.push_back(prompt_of.input_ids[t]), labels.push_back(kIgnoreIndex);
    for (int32_t t : texts[m]) seq.push_back(t), labels.push_back(t);
    const auto T = static_cast<int64_t>(seq.size());
    TrainingModeScope eval_mode(*model_, false);
    const at::Tensor loss = model_->token_losses(at::tensor(seq).view({1, T}), at::tensor(labels).view({1, T})).sum();
    std::vector<at::Tensor> weights;
    for (const auto& b : layout) weights.push_back(model_->parameter(b.weight_name));
    const auto grads = torch::autograd::grad({loss}, weights);
    std::vector<at::Tensor> flat;
    for (const auto& g : grads) flat.push_back(g.reshape({-1}).to(at::kDouble));
    want[m / 2] += at::cat(flat) * (static_cast<double>(w[m]) / 2.0);
  }
  for (std::size_t g = 0; g < 2; ++g) {
    const at::Tensor row =
        at::from_blob(const_cast<float*>(got.data()) + g * dim, {static_cast<int64_t>(dim)}, at::kFloat)
            .to(at::kDouble);
    EXPECT_LT(((row - want[g]).abs().max() / want[g].abs().max()).item<double>(), 1e-4) << "prompt " << g;
  }
}

}  // namespace
}  // namespace dataflex
