// The LLaMA-family forward pass against an independent reference: tests/reference/hf_llama_reference.py
// (Debian's python3-torch, written from transformers' modelling_llama.py / modelling_qwen2.py) writes a
// tiny Hugging Face checkpoint and the logits Hugging Face would compute for it; we load the folder
// and must match them to 1e-4 (a missing RoPE, wrong scaling or eps moves them by 2e-3 or more).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine_test_support.hpp"
#include "model/llama_model.hpp"
#include "model/sequence_classifier.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

struct Variant {
  std::string name, dtype;
  bool sharded;
};

// gtest prints the parameter in test listings; without this it dumps the struct's bytes.
void PrintTo(const Variant& v, std::ostream* os) { *os << v.name << "/" << v.dtype << (v.sharded ? "/sharded" : ""); }

class HfReference : public ::testing::TestWithParam<Variant> {};

double max_logit_difference(const std::string& dir) {
  auto ref = nlohmann::json::parse(read_file(dir + "/reference.json"));
  auto model = load_model(dir, 0, 0);
  const auto& ids_json = ref["input_ids"];
  const int64_t B = static_cast<int64_t>(ids_json.size()), T = static_cast<int64_t>(ids_json[0].size());
  at::Tensor ids = at::empty({B, T}, at::kLong);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) ids[b][t] = ids_json[b][t].get<int64_t>();
  model->set_training(false);
  at::Tensor logits = model->forward(ids).to(at::kDouble);
  const int64_t V = logits.size(2);
  std::vector<double> expected;
  for (const auto& row : ref["logits"])
    for (const auto& pos : row)
      for (const auto& v : pos) expected.push_back(v.get<double>());
  EXPECT_EQ(static_cast<int64_t>(expected.size()), B * T * V);
  at::Tensor want = at::from_blob(expected.data(), {B, T, V}, at::kDouble).clone();
  return (logits - want).abs().max().item<double>();
}

TEST_P(HfReference, LogitsMatchTheHuggingFaceReferenceTo1e4) {
  if (!python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 with torch (python3-torch) is not installed";
  const Variant v = GetParam();
  TempDir dir;
  std::string cmd = "/usr/bin/python3 " + source_dir() + "/tests/reference/hf_llama_reference.py --variant " + v.name +
                    " --dtype " + v.dtype + (v.sharded ? " --sharded" : "") + " --out " + dir.str() + " > " +
                    dir.str() + "/log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir.str() + "/log.txt");
  const double diff = max_logit_difference(dir.str());
  EXPECT_LT(diff, 1e-4) << v.name << " " << v.dtype;
  std::cout << "  " << v.name << " " << v.dtype << (v.sharded ? " sharded" : "") << ": max |logit diff| " << diff
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(Variants, HfReference,
                         ::testing::Values(Variant{"llama", "f32", false}, Variant{"gqa", "f32", false},
                                           Variant{"qwen2", "f32", false}, Variant{"linear_rope", "f32", false},
                                           Variant{"headdim", "f32", false}, Variant{"gqa", "bf16", true},
                                           Variant{"qwen2", "f16", false}),
                         [](const auto& info) {
                           return info.param.name + "_" + info.param.dtype + (info.param.sharded ? "_sharded" : "");
                         });

// NICE's reward model: a *ForSequenceClassification folder written by the same reference, its score
// head read at each row's last non-padding token; one label -> sigmoid, several -> softmax's last.
struct ClassifierCase {
  std::string variant;
  int num_labels;
};
void PrintTo(const ClassifierCase& c, std::ostream* os) { *os << c.variant << "/" << c.num_labels; }
class HfClassifierReference : public ::testing::TestWithParam<ClassifierCase> {};

TEST_P(HfClassifierReference, RewardsMatchTheHuggingFaceReference) {
  if (!python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 with torch (python3-torch) is not installed";
  const ClassifierCase c = GetParam();
  TempDir dir;
  const std::string cmd = "/usr/bin/python3 " + source_dir() + "/tests/reference/hf_llama_reference.py --variant " +
                          c.variant + " --num-labels " + std::to_string(c.num_labels) + " --out " + dir.str() + " > " +
                          dir.str() + "/log.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir.str() + "/log.txt");
  const auto ref = nlohmann::json::parse(read_file(dir.str() + "/reference.json"));
  const auto classifier = SequenceClassifier::load(dir.str(), "cpu", "dataflex.reward_model");
  EXPECT_EQ(classifier->num_labels(), c.num_labels);
  const auto sequences = ref["sequences"].get<std::vector<std::vector<int32_t>>>();
  // Batched together (the shorter row padded inside), and one at a time: the same answers.
  for (int64_t batch : {2, 1}) {
    const std::vector<float> logits = classifier->logits(sequences, batch);
    const std::vector<float> rewards = classifier->rewards(sequences, batch);
    ASSERT_EQ(rewards.size(), sequences.size());
    for (std::size_t i = 0; i < sequences.size(); ++i) {
      for (int l = 0; l < c.num_labels; ++l)
        EXPECT_NEAR(logits[i * c.num_labels + l], ref["logits"][i][l].get<double>(), 1e-4) << "row " << i;
      EXPECT_NEAR(rewards[i], ref["rewards"][i].get<double>(), 1e-5) << "row " << i << " batch " << batch;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Heads, HfClassifierReference,
                         ::testing::Values(ClassifierCase{"llama", 1}, ClassifierCase{"qwen2", 3}),
                         [](const auto& info) {
                           return info.param.variant + "_" + std::to_string(info.param.num_labels) + "_labels";
                         });

TEST(SequenceClassifier, RefusesACausalLmFolderAndAMissingHead) {
  TempDir dir;
  const auto model = load_model("builtin:tiny", 300, 0);
  save_model(*model, dir.str());
  try {
    SequenceClassifier::load(dir.str(), "cpu", "dataflex.reward_model");
    FAIL() << "a causal-LM folder was accepted as a reward model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected a *ForSequenceClassification model for dataflex.reward_model"),
              std::string::npos)
        << e.what();
  }
  // The right architecture, but no score head in the weights.
  auto config = nlohmann::json::parse(read_file(dir.str() + "/config.json"));
  config["architectures"] = {"LlamaForSequenceClassification"};
  write_file_atomically(dir.str() + "/config.json", config.dump());
  try {
    SequenceClassifier::load(dir.str(), "cpu", "dataflex.reward_model");
    FAIL() << "a classifier without score.weight was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("score.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dataflex
