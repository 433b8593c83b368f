// LLaMA-Factory users' data loads unchanged: its own dataset_info.json and demo files
// (../shared/fixtures/llamafactory-data, from hiyouga/LLaMA-Factory at ff6d4d12), and every dataset
// of the project's data/ folder.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/corpus.hpp"
#include "dataset_test_support.hpp"

namespace dataflex {
namespace {

namespace fs = std::filesystem;
using test::kEos;

const std::string kLlamaFactoryData = std::string(SHARED_FIXTURES_DIR) + "/llamafactory-data";

#define SKIP_WITHOUT_LLAMAFACTORY_DATA()                     \
  if (!fs::exists(kLlamaFactoryData + "/dataset_info.json")) \
  GTEST_SKIP() << kLlamaFactoryData << " is absent: LLaMA-Factory's demo data is not checked"

DataOptions llamafactory_options(std::vector<std::string> datasets, std::string stage) {
  DataOptions o;
  o.dataset_dir = kLlamaFactoryData;
  o.dataset = std::move(datasets);
  o.stage = std::move(stage);
  o.cutoff_len = 1024;
  return o;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

void expect_well_formed(const Corpus& c, int64_t cutoff_len) {
  for (const auto& s : c.train) {
    ASSERT_EQ(s.input_ids.size(), s.labels.size()) << s.source;
    ASSERT_FALSE(s.input_ids.empty()) << s.source;
    ASSERT_LE(static_cast<int64_t>(s.input_ids.size()), cutoff_len) << s.source;
  }
}

TEST(LlamaFactoryData, AlpacaEnDemoLoadsUnchanged) {
  SKIP_WITHOUT_LLAMAFACTORY_DATA();
  const auto tok = test::bytes_tokenizer();
  const auto start = std::chrono::steady_clock::now();
  DataOptions o = llamafactory_options({"alpaca_en_demo"}, "sft");
  o.cutoff_len = 4096;
  const Corpus c = load_corpus(o, *tok);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto rows = read_json(kLlamaFactoryData + "/alpaca_en_demo.json");
  ASSERT_EQ(c.train.size(), rows.size());  // 999 rows
  expect_well_formed(c, 4096);
  // row 0, rendered by hand with the default template: "Human: {instruction}" EOS "\nAssistant:"
  // then "{output}" EOS "\n" (its input is empty); cutoff 4096 keeps it whole
  const std::string prompt = "Human: " + rows[0]["instruction"].get<std::string>() + "<|eos|>\nAssistant:";
  const std::string answer = rows[0]["output"].get<std::string>() + "<|eos|>\n";
  test::expect_turns(c.train[0], *tok, {{prompt, answer}});
  EXPECT_EQ(c.train[0].source, kLlamaFactoryData + "/alpaca_en_demo.json:2");
  std::cout << "[ info ] alpaca_en_demo (" << rows.size() << " rows, 0.86 MB) loaded in " << seconds << " s\n";
}

TEST(LlamaFactoryData, IdentityLoadsUnchangedWithItsPlaceholdersAsText) {
  SKIP_WITHOUT_LLAMAFACTORY_DATA();
  const auto tok = test::bytes_tokenizer();
  const Corpus c = load_corpus(llamafactory_options({"identity"}, "sft"), *tok);
  ASSERT_EQ(c.train.size(), 91u);
  test::expect_turns(c.train[0], *tok,
                     {{"Human: hi<|eos|>\nAssistant:",
                       "Hello! I am {{name}}, an AI assistant developed by {{author}}. How can I assist you today?"
                       "<|eos|>\n"}});
}

TEST(LlamaFactoryData, GlaiveToolCallsLoadWithToolsFunctionCallsAndObservations) {
  SKIP_WITHOUT_LLAMAFACTORY_DATA();
  for (const std::string template_name : {"default", "qwen", "llama3", "empty"}) {
    const auto tok = template_name == "qwen"     ? test::TestByteTokenizer::qwen_like()
                     : template_name == "llama3" ? test::TestByteTokenizer::llama3_like()
                                                 : test::bytes_tokenizer();
    DataOptions o = llamafactory_options({"glaive_toolcall_en_demo"}, "sft");
    o.template_name = template_name;
    o.cutoff_len = 4096;
    const Corpus c = load_corpus(o, *tok);
    ASSERT_EQ(c.train.size(), 300u) << template_name;
    expect_well_formed(c, 4096);
  }
  // row 0 with the default template: its function_call turn becomes "Action: ...\nAction Input: ..."
  const auto tok = test::bytes_tokenizer();
  const Corpus c = load_corpus(llamafactory_options({"glaive_toolcall_en_demo"}, "sft"), *tok);
  const std::string text = tok->decode(c.train[0].input_ids, false);
  EXPECT_NE(text.find("> Tool Name: search_recipes\n"), std::string::npos);
  EXPECT_NE(
      text.find("  - ingredients (array, required): The ingredients to search for, where each item should be string\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("Action: search_recipes\nAction Input: {\"ingredients\": [\"chicken\", \"bell peppers\", \"rice\"]}"
                "<|eos|>\n"),
      std::string::npos);
  EXPECT_NE(text.find("Human: {\"recipes\": [{\"name\": \"Chicken and Bell Pepper Stir Fry\""), std::string::npos);
}

TEST(LlamaFactoryData, C4DemoLoadsAsPretrainingJsonLines) {
  SKIP_WITHOUT_LLAMAFACTORY_DATA();
  const auto tok = test::bytes_tokenizer();
  const Corpus c = load_corpus(llamafactory_options({"c4_demo"}, "pt"), *tok);
  ASSERT_EQ(c.train.size(), 300u);
  expect_well_formed(c, 1024);
  for (const auto& s : c.train) {
    EXPECT_EQ(s.labels, s.input_ids);
    if (s.input_ids.size() < 1024) EXPECT_EQ(s.input_ids.back(), kEos) << s.source;
  }
  EXPECT_EQ(c.train[299].source, kLlamaFactoryData + "/c4_demo.jsonl:300");
}

TEST(LlamaFactoryData, WikiDemoTextFileLoadsOneSamplePerLineAndPacks) {
  SKIP_WITHOUT_LLAMAFACTORY_DATA();
  const auto tok = test::bytes_tokenizer();
  DataOptions o = llamafactory_options({"wiki_demo", "c4_demo"}, "pt");
  const Corpus plain = load_corpus(o, *tok);
  int wiki = 0;
  for (const auto& s : plain.train) wiki += s.domain == 0;
  EXPECT_EQ(wiki, 30);
  o.packing = true;
  const Corpus packed = load_corpus(o, *tok);
  // 1028326 bytes of wiki_demo.txt: 30 lines -> 1028296 text bytes + 30 EOS = 1028326 ids -> 1004 blocks
  int wiki_blocks = 0;
  for (const auto& s : packed.train) {
    ASSERT_EQ(s.input_ids.size(), 1024u);
    wiki_blocks += s.domain == 0;
  }
  EXPECT_EQ(wiki_blocks, 1028326 / 1024);
  EXPECT_EQ(packed.train.front().domain, 0);
  EXPECT_EQ(packed.train.back().domain, 1);
}

TEST(LlamaFactoryData, HubOnlyEntriesOfItsDatasetInfoAreRejectedClearly) {
  SKIP_WITHOUT_LLAMAFACTORY_DATA();
  const auto tok = test::bytes_tokenizer();
  test::expect_error([&] { load_corpus(llamafactory_options({"alpaca_en"}, "sft"), *tok); },
                     {"dataset 'alpaca_en'", "only local files are supported", "hf_hub_url"});
}

// data/: every dataset of the project's dataset_info.json loads (pre-training text when its columns
// name "text" or the file is .txt, supervised otherwise).
TEST(ProjectData, EveryDatasetOfTheShippedDataFolderLoads) {
  const std::string dir = PROJECT_DATA_DIR;
  if (!fs::exists(dir + "/dataset_info.json")) GTEST_SKIP() << dir << "/dataset_info.json is absent";
  const auto info = read_json(dir + "/dataset_info.json");
  std::vector<std::string> pt, sft;
  for (const auto& [name, entry] : info.items()) {
    const std::string file = entry.value("file_name", "");
    const bool text = entry.contains("columns") && entry["columns"].value("prompt", "") == "text";
    (text || file.size() > 4 && file.substr(file.size() - 4) == ".txt" ? pt : sft).push_back(name);
  }
  const auto tok = test::bytes_tokenizer();
  const auto start = std::chrono::steady_clock::now();
  size_t samples = 0;
  for (const auto* names : {&pt, &sft}) {
    if (names->empty()) continue;
    DataOptions o;
    o.dataset_dir = dir;
    o.dataset = *names;
    o.stage = names == &pt ? "pt" : "sft";
    o.val_size = 0.1;
    const Corpus c = load_corpus(o, *tok);
    EXPECT_EQ(c.domains.size(), names->size());
    samples += c.train.size() + c.eval.size();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ info ] data/: " << pt.size() << " pt + " << sft.size() << " sft datasets, " << samples
            << " samples, loaded and tokenized in " << seconds << " s\n";
}

}  // namespace
}  // namespace dataflex
