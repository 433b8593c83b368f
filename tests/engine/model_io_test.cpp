// Saving and loading models and LoRA adapters in Hugging Face / PEFT layout.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine_test_support.hpp"
#include "model/llama_model.hpp"
#include "model/safetensors.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

ModelConfig small_config() {
  ModelConfig c = ModelConfig::builtin_tiny(64);
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 8;
  return c;
}

at::Tensor sample_ids() { return at::arange(0, 20, at::kLong).remainder(64).view({2, 10}); }

TEST(ModelIo, SavedModelLoadsBackWithIdenticalLogits) {
  TempDir dir;
  LlamaModel model(small_config(), 7);
  save_model(model, dir.str());
  auto loaded = load_model(dir.str(), 0, 99);  // a different init seed: every weight must come from the file
  EXPECT_TRUE(at::equal(model.forward(sample_ids()), loaded->forward(sample_ids())));
  auto cfg = nlohmann::json::parse(read_file(dir.str() + "/config.json"));
  EXPECT_EQ(cfg["architectures"][0], "LlamaForCausalLM");
  EXPECT_EQ(cfg["num_key_value_heads"], 2);
  // Tied embeddings: like transformers, no lm_head.weight in the file.
  EXPECT_EQ(SafetensorsFile::open(dir.str() + "/model.safetensors")->find("lm_head.weight"), nullptr);
}

TEST(ModelIo, Bfloat16SaveRoundsWeightsToBfloat16) {
  TempDir dir;
  LlamaModel model(small_config(), 7);
  save_model(model, dir.str(), "bfloat16");
  auto file = SafetensorsFile::open(dir.str() + "/model.safetensors");
  EXPECT_EQ(file->find("model.norm.weight")->dtype, DType::BF16);
  auto loaded = load_model(dir.str(), 0, 1);
  at::Tensor w = model.parameter("model.layers.0.mlp.up_proj.weight");
  EXPECT_TRUE(at::equal(w.to(at::kBFloat16).to(at::kFloat), loaded->parameter("model.layers.0.mlp.up_proj.weight")));
}

TEST(Lora, FreshAdaptersLeaveTheModelUnchangedAndFreezeTheBase) {
  LlamaModel model(small_config(), 7);
  at::Tensor before = model.forward(sample_ids());
  model.add_lora({4, 8.0, 0.0, {"q_proj", "v_proj"}}, 3);
  // B = 0 at init (PEFT); the adapted q/v run as separate GEMMs, not joined with k: rounding differs.
  EXPECT_TRUE(at::allclose(before, model.forward(sample_ids()), 1e-5, 1e-6));
  // 2 layers x 2 modules x (A [4, 32] + B [out, 4]); q out = 32, v out = 16.
  EXPECT_EQ(model.trainable_count(), 2 * (4 * 32 + 32 * 4) + 2 * (4 * 32 + 16 * 4));
}

TEST(Lora, MergedWeightsComputeWhatTheAdaptersComputed) {
  LlamaModel model(small_config(), 7);
  model.add_lora({4, 8.0, 0.0, {"all"}}, 3);
  {
    at::NoGradGuard g;
    for (const auto& p : model.parameters())
      if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0, 0.1);
  }
  model.set_training(false);
  at::Tensor adapted = model.forward(sample_ids());
  model.merge_lora();
  EXPECT_FALSE(model.has_lora());
  EXPECT_TRUE(at::allclose(adapted, model.forward(sample_ids()), 1e-4, 1e-5));
}

TEST(Lora, PeftAdapterRoundTrip) {
  TempDir dir;
  LlamaModel model(small_config(), 7);
  model.add_lora({4, 16.0, 0.0, {"all"}}, 3);
  {
    at::NoGradGuard g;
    for (const auto& p : model.parameters())
      if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0, 0.1);
  }
  model.set_training(false);
  save_lora_adapter(model, dir.str(), "builtin:tiny");
  auto cfg = nlohmann::json::parse(read_file(dir.str() + "/adapter_config.json"));
  EXPECT_EQ(cfg["peft_type"], "LORA");
  EXPECT_EQ(cfg["r"], 4);
  EXPECT_EQ(cfg["target_modules"].size(), 7u);
  auto file = SafetensorsFile::open(dir.str() + "/adapter_model.safetensors");
  EXPECT_NE(file->find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), nullptr);

  LlamaModel other(small_config(), 7);  // same base weights
  load_lora_adapter(other, dir.str(), 11);
  other.set_training(false);
  EXPECT_TRUE(at::equal(model.forward(sample_ids()), other.forward(sample_ids())));
}

TEST(Lora, UnknownTargetModuleIsNamed) {
  LlamaModel model(small_config(), 7);
  try {
    model.add_lora({4, 8.0, 0.0, {"qkv_proj"}}, 3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lora_target: unknown module \"qkv_proj\""), std::string::npos) << e.what();
  }
}

TEST(Freeze, OnlyTheLastLayersTrain) {
  LlamaModel model(small_config(), 7);
  model.train_freeze(1, {"mlp"});
  for (const auto& p : model.parameters()) {
    const bool expected = p.name.rfind("model.layers.1.mlp.", 0) == 0;
    EXPECT_EQ(p.tensor.requires_grad(), expected) << p.name;
  }
}

TEST(ModelIo, CheckpointWithAWrongShapeIsAOneLineError) {
  TempDir dir;
  LlamaModel model(small_config(), 7);
  save_model(model, dir.str());
  auto cfg = nlohmann::json::parse(read_file(dir.str() + "/config.json"));
  cfg["intermediate_size"] = 50;
  write_file_atomically(dir.str() + "/config.json", cfg.dump());
  try {
    load_model(dir.str(), 0, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(
        m.find("model.safetensors: tensor 'model.layers.0.mlp.gate_proj.weight': shape [48,32], expected [50,32]"),
        std::string::npos)
        << m;
  }
}

}  // namespace
}  // namespace dataflex
