// Loading LLaMA-Factory datasets: formats, masking, truncation, packing, splitting.
//
// Expected token ids are written out as text by hand from LLaMA-Factory's formats (template.py,
// processor/*.py at ff6d4d12) and encoded with the byte tokenizer, whose ids are the bytes plus
// <|eos|> = 258, so that every oracle is readable.
#include <gtest/gtest.h>

#include "data/corpus.hpp"
#include "data/domain_split.hpp"
#include "data/sample_encoding.hpp"
#include "dataset_test_support.hpp"

namespace dataflex {
namespace {

using test::bytes_tokenizer;
using test::concat;
using test::expect_error;
using test::expect_turns;
using test::ignored;
using test::kEos;

DataOptions fixture_options(std::vector<std::string> datasets, std::string stage = "sft") {
  DataOptions o;
  o.dataset_dir = DATASET_FIXTURES_DIR;
  o.dataset = std::move(datasets);
  o.stage = std::move(stage);
  return o;
}

std::string fixture(const std::string& name) { return std::string(DATASET_FIXTURES_DIR) + "/" + name; }

TEST(DatasetAlpaca, JsonArrayRendersTheDefaultTemplateAndMasksThePrompt) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"alpaca_small"}), *tok);
  ASSERT_EQ(c.train.size(), 3u);
  EXPECT_TRUE(c.eval.empty());
  // default template: user "Human: {{content}}" EOS "\nAssistant:", assistant "{{content}}" EOS "\n"
  expect_turns(c.train[0], *tok, {{"Human: Say hi<|eos|>\nAssistant:", "Hi!<|eos|>\n"}});
  EXPECT_EQ(c.train[0].source, fixture("alpaca_small.json") + ":2");  // the element's opening brace
  EXPECT_EQ(c.train[2].source, fixture("alpaca_small.json") + ":12");
}

TEST(DatasetAlpaca, InstructionAndInputJoinWithANewline) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"alpaca_small"}), *tok);
  // converter.py: "\n".join of the non-empty instruction and input; a null input counts as empty
  expect_turns(c.train[1], *tok, {{"Human: Add\n2 and 3<|eos|>\nAssistant:", "5<|eos|>\n"}});
  expect_turns(c.train[2], *tok, {{"Human: Name a color<|eos|>\nAssistant:", "Red<|eos|>\n"}});
}

TEST(DatasetAlpaca, JsonLinesGiveTheSameSamplesAsTheJsonArray) {
  const auto tok = bytes_tokenizer();
  const Corpus a = load_corpus(fixture_options({"alpaca_small"}), *tok);
  const Corpus b = load_corpus(fixture_options({"alpaca_small_lines"}), *tok);
  ASSERT_EQ(b.train.size(), a.train.size());
  for (size_t i = 0; i < a.train.size(); ++i) {
    EXPECT_EQ(b.train[i].input_ids, a.train[i].input_ids);
    EXPECT_EQ(b.train[i].labels, a.train[i].labels);
  }
  // the blank line 2 is skipped; rows keep their own line numbers
  EXPECT_EQ(b.train[0].source, fixture("alpaca_small.jsonl") + ":1");
  EXPECT_EQ(b.train[1].source, fixture("alpaca_small.jsonl") + ":3");
  EXPECT_EQ(b.train[2].source, fixture("alpaca_small.jsonl") + ":4");
}

TEST(DatasetAlpaca, HistoryPairsBecomeEarlierTurnsAndTheSystemColumnComesFirst) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"alpaca_history"}), *tok);
  ASSERT_EQ(c.train.size(), 1u);
  // every turn's response is trained (LLaMA-Factory data/README: history responses are learned too)
  expect_turns(c.train[0], *tok,
               {{"System: Answer with a number.<|eos|>\nHuman: 1+1?<|eos|>\nAssistant:", "2<|eos|>\n"},
                {"Human: And 3+3?<|eos|>\nAssistant:", "6<|eos|>\n"}});
}

TEST(DatasetShareGpt, LeadingSystemMessageBecomesTheSystemPromptAndTurnsAlternate) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"chat_small"}), *tok);
  ASSERT_EQ(c.train.size(), 2u);
  expect_turns(c.train[0], *tok,
               {{"System: Be brief.<|eos|>\nHuman: Hi<|eos|>\nAssistant:", "Hello!<|eos|>\n"},
                {"Human: 2+2?<|eos|>\nAssistant:", "4<|eos|>\n"}});
  expect_turns(c.train[1], *tok, {{"Human: Bye<|eos|>\nAssistant:", "Goodbye.<|eos|>\n"}});
  EXPECT_EQ(c.train[1].source, fixture("chat_small.json") + ":9");
}

TEST(DatasetShareGpt, TagsRenameTheRoleAndContentKeys) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"chat_roles"}), *tok);
  ASSERT_EQ(c.train.size(), 1u);
  expect_turns(c.train[0], *tok, {{"Human: Hi<|eos|>\nAssistant:", "Hello!<|eos|>\n"}});
}

TEST(DatasetMasking, TrainOnPromptLabelsEveryToken) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"chat_small"});
  o.train_on_prompt = true;
  const Corpus c = load_corpus(o, *tok);
  for (const auto& s : c.train) EXPECT_EQ(s.labels, s.input_ids);
}

TEST(DatasetMasking, LabelsAreIgnoredExactlyOverThePrompt) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"alpaca_small"}), *tok);
  const Sample& s = c.train[0];
  const size_t prompt = tok->encode("Human: Say hi<|eos|>\nAssistant:", false).size();  // 13 + 1 + 11 ids
  ASSERT_EQ(prompt, 25u);
  ASSERT_EQ(s.labels.size(), s.input_ids.size());
  for (size_t i = 0; i < s.labels.size(); ++i)
    EXPECT_EQ(s.labels[i], i < prompt ? kIgnoreIndex : s.input_ids[i]) << "position " << i;
  EXPECT_EQ(s.labels[s.labels.size() - 2], kEos);  // the response's EOS is trained
}

TEST(DatasetTruncation, InferSeqlenSplitsTheBudgetLikeLlamaFactory) {
  // processor_utils.infer_seqlen, evaluated by hand:
  EXPECT_EQ(infer_seqlen(100, 10, 50), (std::pair<int64_t, int64_t>{40, 10}));  // short target kept
  EXPECT_EQ(infer_seqlen(10, 100, 50), (std::pair<int64_t, int64_t>{10, 40}));  // short source kept
  EXPECT_EQ(infer_seqlen(60, 40, 50), (std::pair<int64_t, int64_t>{30, 20}));   // int(50 * 40/100) = 20
  EXPECT_EQ(infer_seqlen(70, 30, 45), (std::pair<int64_t, int64_t>{32, 13}));   // int(45 * 0.3) = 13
  EXPECT_EQ(infer_seqlen(5, 5, 50), (std::pair<int64_t, int64_t>{5, 5}));       // fits
}

TEST(DatasetTruncation, CutoffLenTruncatesSourceAndTargetThenDropsLaterTurns) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"chat_small"});
  o.cutoff_len = 40;
  const Corpus c = load_corpus(o, *tok);
  // Turn 1: source "System: Be brief.<eos>\nHuman: Hi<eos>\nAssistant:" = 40 ids, target "Hello!<eos>\n"
  // = 8 ids. infer_seqlen(40, 8, 40): 8*2 < 40 -> target keeps 8, source gets 32. Total 40 = cutoff:
  // turn 2 is dropped.
  const auto source = tok->encode("System: Be brief.<|eos|>\nHuman: Hi<|eos|>\nAssistant:", false);
  const auto target = tok->encode("Hello!<|eos|>\n", false);
  ASSERT_EQ(source.size(), 40u);
  ASSERT_EQ(target.size(), 8u);
  const std::vector<int32_t> kept_source(source.begin(), source.begin() + 32);
  EXPECT_EQ(c.train[0].input_ids, concat({kept_source, target}));
  EXPECT_EQ(c.train[0].labels, concat({ignored(32), target}));
}

TEST(DatasetPretrain, WithoutPackingEachRowIsTextPlusEosTruncatedToCutoff) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"text_news"}, "pt");
  o.cutoff_len = 8;
  const Corpus c = load_corpus(o, *tok);
  ASSERT_EQ(c.train.size(), 3u);
  EXPECT_EQ(c.train[0].input_ids, tok->encode("alpha be", false));  // 11 ids cut to 8: the EOS goes too
  EXPECT_EQ(c.train[1].input_ids, tok->encode("gamma<|eos|>", false));
  EXPECT_EQ(c.train[2].input_ids, tok->encode("delta ep", false));
  for (const auto& s : c.train) EXPECT_EQ(s.labels, s.input_ids);  // pre-training trains every token
  EXPECT_EQ(c.train[1].source, fixture("text_news.jsonl") + ":2");
}

TEST(DatasetPretrain, TextFilesHoldOneSamplePerLineAndSkipBlankLines) {
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(fixture_options({"text_wiki"}, "pt"), *tok);
  ASSERT_EQ(c.train.size(), 3u);
  EXPECT_EQ(c.train[1].input_ids, tok->encode("second<|eos|>", false));
  EXPECT_EQ(c.train[2].input_ids, tok->encode("third line here<|eos|>", false));
  EXPECT_EQ(c.train[2].source, fixture("text_wiki.txt") + ":4");
}

TEST(DatasetPretrain, PackingCutsEachDomainIntoExactBlocksThatNeverCrossDomains) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"text_news", "text_wiki"}, "pt");
  o.packing = true;
  o.cutoff_len = 8;
  const Corpus c = load_corpus(o, *tok);
  // news: "alpha beta<eos>gamma<eos>delta epsilon zeta<eos>" = 36 ids -> 4 blocks, 4 ids dropped;
  // wiki: "first line<eos>second<eos>third line here<eos>" = 34 ids -> 4 blocks, 2 ids dropped.
  // A domain's tail never spills into the next domain's first block.
  const std::vector<std::pair<int32_t, std::string>> blocks = {
      {0, "alpha be"}, {0, "ta<|eos|>gamma"}, {0, "<|eos|>delta e"}, {0, "psilon z"},
      {1, "first li"}, {1, "ne<|eos|>secon"}, {1, "d<|eos|>third "}, {1, "line her"}};
  ASSERT_EQ(c.train.size(), blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_EQ(c.train[i].domain, blocks[i].first) << "block " << i;
    EXPECT_EQ(c.train[i].input_ids, tok->encode(blocks[i].second, false)) << "block " << i;
    EXPECT_EQ(c.train[i].input_ids.size(), 8u);
    EXPECT_EQ(c.train[i].labels, c.train[i].input_ids);
    EXPECT_EQ(c.train[i].id, static_cast<int64_t>(i));
  }
  EXPECT_EQ(c.domains, (std::vector<std::string>{"text_news", "text_wiki"}));
  EXPECT_EQ(c.train[0].source, fixture("text_news.jsonl") + ":1");
  EXPECT_EQ(c.train[1].source, fixture("text_news.jsonl") + ":1-2");
  EXPECT_EQ(c.train[6].source, fixture("text_wiki.txt") + ":2-4");  // line 3 is blank
}

TEST(DatasetPretrain, TheLlama3TemplateEndsTextWithEndOfText) {
  // pretrain.py: eos_token = "<|end_of_text|>" if template == "llama3"; and BOS is prepended when the
  // tokenizer adds it (add_bos_token; here: encode with special tokens starts with BOS)
  const auto tok = test::TestByteTokenizer::llama3_like();
  DataOptions o = fixture_options({"text_news"}, "pt");
  o.template_name = "llama3";
  const Corpus c = load_corpus(o, *tok);
  EXPECT_EQ(c.train[1].input_ids, tok->encode("<|begin_of_text|>gamma<|end_of_text|>", false));
}

TEST(DatasetPretrain, TheQwenTemplateReplacesEosWithImEnd) {
  // template.py: qwen has replace_eos=True and stop_words ["<|im_end|>"]; Qwen has no BOS
  const auto tok = test::TestByteTokenizer::qwen_like();
  DataOptions o = fixture_options({"text_news"}, "pt");
  o.template_name = "qwen";
  const Corpus c = load_corpus(o, *tok);
  EXPECT_EQ(c.train[1].input_ids, tok->encode("gamma<|im_end|>", false));
}

TEST(DatasetSplit, SeededPermutationIsPinnedAcrossPlatforms) {
  // Oracle: an independent Python implementation of MT19937-64 (reference constants; it reproduces the
  // standard's 10000th output 9981545732273789042) with the draw and Fisher-Yates of domain_split.hpp.
  EXPECT_EQ(seeded_permutation(10, 42), (std::vector<size_t>{1, 7, 9, 0, 3, 8, 4, 2, 5, 6}));
  EXPECT_EQ(seeded_permutation(10, 7), (std::vector<size_t>{0, 7, 4, 9, 3, 1, 2, 8, 6, 5}));
}

TEST(DatasetSplit, EvalCountRoundsFractionsAndCapsCounts) {
  EXPECT_EQ(eval_count(10, 0.0), 0u);
  EXPECT_EQ(eval_count(10, 0.25), 3u);  // 2.5 rounds half away from zero
  EXPECT_EQ(eval_count(20, 0.25), 5u);
  EXPECT_EQ(eval_count(10, 0.04), 0u);
  EXPECT_EQ(eval_count(10, 2.0), 2u);
  EXPECT_EQ(eval_count(10, 1.0), 1u);  // >= 1 is a count
  EXPECT_EQ(eval_count(3, 5.0), 3u);
}

TEST(DatasetSplit, ValSizeFractionHoldsOutTheRoundedShareOfEachDomain) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"numbers", "letters"}, "pt");
  o.val_size = 0.25;
  const Corpus c = load_corpus(o, *tok);
  // numbers: 10 rows, 3 held out = rows {1, 7, 9} (first three of the pinned permutation for seed 42);
  // letters: 20 rows, 5 held out = permutation(20, 42)[:5] = {7, 1, 11, 13, 2}, i.e. b c h l n.
  ASSERT_EQ(c.eval.size(), 8u);
  ASSERT_EQ(c.train.size(), 22u);
  const std::vector<std::string> eval_text = {"n1", "n7", "n9", "b", "c", "h", "l", "n"};
  for (size_t i = 0; i < eval_text.size(); ++i) {
    EXPECT_EQ(c.eval[i].input_ids, concat({tok->encode(eval_text[i], false), {kEos}})) << i;
    EXPECT_EQ(c.eval[i].domain, i < 3 ? 0 : 1);
    EXPECT_EQ(c.eval[i].id, static_cast<int64_t>(i));
  }
  // train keeps file order within each domain, domains in the order of `dataset`
  EXPECT_EQ(c.train[0].input_ids, concat({tok->encode("n0", false), {kEos}}));
  EXPECT_EQ(c.train[1].input_ids, concat({tok->encode("n2", false), {kEos}}));
  EXPECT_EQ(c.train[7].domain, 1);
  EXPECT_EQ(c.train[7].input_ids, concat({tok->encode("a", false), {kEos}}));
}

TEST(DatasetSplit, ValSizeCountHoldsOutThatManySamplesPerDomain) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"qa_ten", "alpaca_small"});
  o.val_size = 2;
  const Corpus c = load_corpus(o, *tok);
  int per_domain[2] = {0, 0};
  for (const auto& s : c.eval) ++per_domain[s.domain];
  EXPECT_EQ(per_domain[0], 2);
  EXPECT_EQ(per_domain[1], 2);
  EXPECT_EQ(c.train.size(), 8u + 1u);  // alpaca_small keeps one of its three rows
}

TEST(DatasetSplit, EvalDatasetsAreTheWholeEvalSetWithDomainsOfTheirOwn) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"qa_ten"});
  o.eval_dataset = {"alpaca_small"};
  const Corpus c = load_corpus(o, *tok);
  EXPECT_EQ(c.train.size(), 10u);  // no row of the training set is held out
  ASSERT_EQ(c.eval.size(), 3u);    // every row of the eval dataset
  EXPECT_EQ(c.eval_domains, (std::vector<std::string>{"alpaca_small"}));
  EXPECT_EQ(c.eval_domain_names(), c.eval_domains);
  for (size_t i = 0; i < c.eval.size(); ++i) {
    EXPECT_EQ(c.eval[i].domain, 0);
    EXPECT_EQ(c.eval[i].id, static_cast<int64_t>(i));
  }
  // Without eval_dataset, the eval domains are the training domains.
  o.eval_dataset.clear();
  o.val_size = 2;
  EXPECT_EQ(load_corpus(o, *tok).eval_domain_names(), (std::vector<std::string>{"qa_ten"}));
  // Both at once is LLaMA-Factory's error too.
  o.eval_dataset = {"alpaca_small"};
  expect_error([&] { load_corpus(o, *tok); }, {"eval_dataset", "val_size must be 0"});
  o.val_size = 0;
  o.eval_dataset = {"alpaca_small", "alpaca_small"};
  expect_error([&] { load_corpus(o, *tok); }, {"eval_dataset: 'alpaca_small' is listed twice"});
}

TEST(DatasetSplit, TheSplitIsDeterministicForASeedAndChangesWithIt) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"qa_ten"});
  o.val_size = 0.3;
  const Corpus a = load_corpus(o, *tok), b = load_corpus(o, *tok);
  ASSERT_EQ(a.eval.size(), 3u);
  for (size_t i = 0; i < a.eval.size(); ++i) EXPECT_EQ(a.eval[i].source, b.eval[i].source);
  o.seed = 7;  // permutation(10, 7) starts 0, 7, 4
  const Corpus d = load_corpus(o, *tok);
  const std::string file = fixture("qa_ten.jsonl");
  EXPECT_EQ(d.eval[0].source, file + ":1");
  EXPECT_EQ(d.eval[1].source, file + ":5");
  EXPECT_EQ(d.eval[2].source, file + ":8");
}

TEST(DatasetMaxSamples, TakesTheFirstRowsOfEachDomainInFileOrder) {
  const auto tok = bytes_tokenizer();
  DataOptions o = fixture_options({"qa_ten", "alpaca_small"});
  o.max_samples = 2;
  const Corpus c = load_corpus(o, *tok);
  ASSERT_EQ(c.train.size(), 4u);
  EXPECT_EQ(c.train[0].source, fixture("qa_ten.jsonl") + ":1");
  EXPECT_EQ(c.train[1].source, fixture("qa_ten.jsonl") + ":2");
  EXPECT_EQ(c.train[2].source, fixture("alpaca_small.json") + ":2");
  EXPECT_EQ(c.train[3].source, fixture("alpaca_small.json") + ":7");
  EXPECT_EQ(c.train[3].domain, 1);
}

TEST(DatasetFolders, AFolderDatasetReadsItsFilesInNameOrder) {
  test::DatasetDir dir;
  dir.write("dataset_info.json", R"({"parts": {"file_name": "parts", "columns": {"prompt": "text"}}})");
  dir.write("parts/b.jsonl", "{\"text\": \"second\"}\n");
  dir.write("parts/a.json", "[{\"text\": \"first\"}]");
  DataOptions o;
  o.dataset_dir = dir.str();
  o.dataset = {"parts"};
  o.stage = "pt";
  const auto tok = bytes_tokenizer();
  const Corpus c = load_corpus(o, *tok);
  ASSERT_EQ(c.train.size(), 2u);
  EXPECT_EQ(c.train[0].source, dir.file("parts/a.json") + ":1");
  EXPECT_EQ(c.train[1].input_ids, concat({tok->encode("second", false), {kEos}}));
}

}  // namespace
}  // namespace dataflex
