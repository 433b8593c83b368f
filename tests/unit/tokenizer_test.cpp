// Tokenizers: real vocabularies against their reference encodings, the built-in byte tokenizer,
// hand-computed BPE / added-token behaviour, and error messages.
//
// Fixture oracle: tests/fixtures/tokenizers/<name>/cases.jsonl holds the ids (and decoded texts)
// that the reference encoder, Hugging Face's @huggingface/tokenizers, gives for each text on the
// FULL vocabulary; the committed tokenizer.json is trimmed to the merges those texts use
// (scripts/make-tokenizer-fixtures.sh, README.md in that folder).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/tokenizer.hpp"
#include "test_files.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Ids = std::vector<int32_t>;

const fs::path kFixtures = TOKENIZER_FIXTURES_DIR;

using test::expect_error;
using test::TempDir;
using test::write_file;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- Real vocabularies ----------------------------------------------------------------------

struct Case {
  std::string text;
  bool add_special_tokens;
  Ids ids;
  std::string decoded;
  std::string decoded_skip_special;
};

std::vector<Case> read_cases(const std::string& name) {
  std::ifstream in(kFixtures / name / "cases.jsonl");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const Json j = Json::parse(line);
    cases.push_back({j.at("text").get<std::string>(), j.at("add_special_tokens").get<bool>(), j.at("ids").get<Ids>(),
                     j.at("decoded").get<std::string>(), j.at("decoded_skip_special").get<std::string>()});
  }
  return cases;
}

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kFixtures))
    if (fs::exists(entry.path() / "cases.jsonl")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string show(const std::string& text) { return Json(text).dump(); }

class RealVocabulary : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    tokenizer = Tokenizer::load((kFixtures / GetParam()).string());
    cases = read_cases(GetParam());
    ASSERT_FALSE(cases.empty());
  }
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<Case> cases;
};

TEST_P(RealVocabulary, EncodesEveryTextToTheReferenceIds) {
  for (const Case& c : cases)
    EXPECT_EQ(tokenizer->encode(c.text, c.add_special_tokens), c.ids)
        << show(c.text) << " add_special_tokens=" << c.add_special_tokens;
}

TEST_P(RealVocabulary, DecodesTheReferenceIdsToTheReferenceText) {
  for (const Case& c : cases) {
    EXPECT_EQ(tokenizer->decode(c.ids, false), c.decoded) << show(c.text);
    EXPECT_EQ(tokenizer->decode(c.ids, true), c.decoded_skip_special) << show(c.text) << " (skip special)";
  }
}

// Wherever the reference's decode(encode(text)) gives the text back, ours does too. For the
// byte-level vocabularies that is every text the normalizer leaves alone; for SentencePiece-style
// ones, every text without an added token in the middle.
TEST_P(RealVocabulary, DecodeInvertsEncodeWhereTheReferenceDoes) {
  int round_trips = 0;
  for (const Case& c : cases) {
    if (c.add_special_tokens || c.decoded != c.text) continue;
    ++round_trips;
    EXPECT_EQ(tokenizer->decode(tokenizer->encode(c.text, false), false), c.text) << show(c.text);
  }
  EXPECT_GE(round_trips, static_cast<int>(cases.size() / 2) - 4);
}

TEST_P(RealVocabulary, SaveThenLoadGivesTheSameTokenizer) {
  TempDir dir;
  tokenizer->save(dir.path().string());
  EXPECT_EQ(read_file(dir.path() / "tokenizer.json"), read_file(kFixtures / GetParam() / "tokenizer.json"));
  const auto reloaded = Tokenizer::load(dir.path().string());
  for (const Case& c : cases) EXPECT_EQ(reloaded->encode(c.text, c.add_special_tokens), c.ids) << show(c.text);
  EXPECT_EQ(reloaded->vocab_size(), tokenizer->vocab_size());
  EXPECT_EQ(reloaded->bos_id(), tokenizer->bos_id());
  EXPECT_EQ(reloaded->eos_id(), tokenizer->eos_id());
  EXPECT_EQ(reloaded->pad_id(), tokenizer->pad_id());
}

TEST_P(RealVocabulary, EncodesFromSeveralThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round)
        for (const Case& c : cases)
          if (tokenizer->encode(c.text, c.add_special_tokens) != c.ids) ++failures[t];
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RealVocabulary, ::testing::ValuesIn(fixture_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(RealVocabularies, CoverByteLevelAndByteFallbackBpe) {
  const auto names = fixture_names();
  for (const char* required : {"gpt2", "qwen3", "mistral"})
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
}

// Values below: the reference vocabularies' own files (ids of their special tokens).
TEST(Gpt2, UsesEndOfTextForBosEosAndPad) {
  const auto tok = Tokenizer::load((kFixtures / "gpt2").string());
  EXPECT_EQ(tok->vocab_size(), 50257);
  EXPECT_EQ(tok->bos_id(), 50256);
  EXPECT_EQ(tok->eos_id(), 50256);
  EXPECT_EQ(tok->pad_id(), 50256);  // no pad_token: falls back to EOS
  EXPECT_EQ(tok->encode("hello<|endoftext|>", true).back(), 50256);
}

TEST(Qwen3, ChatMarkersAreSingleTokensAndNoBosIsAdded) {
  const auto tok = Tokenizer::load((kFixtures / "qwen3" / "tokenizer.json").string());
  EXPECT_EQ(tok->token_to_id("<|im_start|>"), 151644);
  EXPECT_EQ(tok->id_to_token(151645), "<|im_end|>");
  EXPECT_EQ(tok->bos_id(), std::nullopt);
  EXPECT_EQ(tok->eos_id(), 151645);
  EXPECT_EQ(tok->pad_id(), 151643);
  const Ids ids = tok->encode("<|im_start|>user\nhi<|im_end|>", true);
  EXPECT_EQ(ids.front(), 151644);
  EXPECT_EQ(ids.back(), 151645);
  EXPECT_EQ(tok->decode(ids, true), "user\nhi");
}

TEST(Mistral, AddsBosAndFallsBackToBytes) {
  const auto tok = Tokenizer::load((kFixtures / "mistral").string());
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->pad_id(), 2);
  EXPECT_EQ(tok->encode("", true), Ids{1});
  // U+1D11E MUSICAL SYMBOL G CLEF is not in the vocabulary: its UTF-8 bytes F0 9D 84 9E become
  // <0xF0><0x9D><0x84><0x9E>, whose ids are 3 + the byte; 28705 is the prepended "\u2581".
  const Ids clef = tok->encode("\xF0\x9D\x84\x9E", false);
  EXPECT_EQ(clef, (Ids{28705, 3 + 0xF0, 3 + 0x9D, 3 + 0x84, 3 + 0x9E}));
  EXPECT_EQ(tok->decode(clef, false), "\xF0\x9D\x84\x9E");
}

// transformers' LlamaTokenizerFast rebuilds its post-processor from add_bos_token/add_eos_token.
TEST(Mistral, AddEosTokenInTheConfigAppendsEos) {
  TempDir dir;
  fs::copy_file(kFixtures / "mistral" / "tokenizer.json", dir.path() / "tokenizer.json");
  Json config = Json::parse(read_file(kFixtures / "mistral" / "tokenizer_config.json"));
  config["add_eos_token"] = true;
  write_file(dir.path() / "tokenizer_config.json", config.dump());
  const auto tok = Tokenizer::load(dir.path().string());
  const Ids ids = tok->encode("Hello", true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
  EXPECT_EQ(tok->encode("Hello", false).size(), ids.size() - 2);
}

// ---- The built-in byte tokenizer ----------------------------------------------------------------

TEST(BuiltinBytes, IdsAreTheUtf8Bytes) {
  const auto tok = Tokenizer::builtin_bytes();
  EXPECT_EQ(tok->encode("A \xC3\xA9\n", false), (Ids{0x41, 0x20, 0xC3, 0xA9, 0x0A}));
  EXPECT_EQ(tok->encode("", true), Ids{});
  EXPECT_EQ(tok->vocab_size(), 262);
  for (int b = 0; b < 256; ++b) ASSERT_TRUE(tok->id_to_token(b).has_value()) << b;
  EXPECT_EQ(tok->id_to_token(32), "\xC4\xA0");  // ' ' is GPT-2's 'Ġ'
}

TEST(BuiltinBytes, SpecialTokensHaveFixedIdsAndNoBosIsAdded) {
  const auto tok = Tokenizer::builtin_bytes();
  EXPECT_EQ(tok->token_to_id("<|pad|>"), 256);
  EXPECT_EQ(tok->token_to_id("<|bos|>"), 257);
  EXPECT_EQ(tok->token_to_id("<|eos|>"), 258);
  EXPECT_EQ(tok->token_to_id("<|user|>"), 259);
  EXPECT_EQ(tok->token_to_id("<|assistant|>"), 260);
  EXPECT_EQ(tok->token_to_id("<|system|>"), 261);
  EXPECT_EQ(tok->bos_id(), 257);
  EXPECT_EQ(tok->eos_id(), 258);
  EXPECT_EQ(tok->pad_id(), 256);
  EXPECT_EQ(tok->encode("hi", true), (Ids{'h', 'i'}));
}

TEST(BuiltinBytes, RecognisesSpecialTokensWrittenInTheText) {
  const auto tok = Tokenizer::builtin_bytes();
  EXPECT_EQ(tok->encode("<|user|>hi<|eos|>", false), (Ids{259, 'h', 'i', 258}));
  EXPECT_EQ(tok->encode("<|user|", false).size(), 7u);  // incomplete: plain bytes
  EXPECT_EQ(tok->decode({259, 'h', 'i', 258}, false), "<|user|>hi<|eos|>");
  EXPECT_EQ(tok->decode({259, 'h', 'i', 258}, true), "hi");
}

TEST(BuiltinBytes, DecodeInvertsEncodeForUtf8Text) {
  const auto tok = Tokenizer::builtin_bytes();
  for (const std::string text : {"", " ", "Hello, world!", "Straße 你好 🙂 Привет",
                                 "tabs\tand\nnewlines  \r\n", "e\xCC\x81 (not normalized)"})
    EXPECT_EQ(tok->decode(tok->encode(text, false), false), text) << show(text);
}

TEST(BuiltinBytes, InvalidUtf8BecomesReplacementCharacters) {
  const auto tok = Tokenizer::builtin_bytes();
  EXPECT_EQ(tok->encode("a\xFF"
                        "b",
                        false),
            (Ids{'a', 0xEF, 0xBF, 0xBD, 'b'}));
  // A truncated sequence decodes to one U+FFFD.
  EXPECT_EQ(tok->decode({0xE4, 0xBD}, false), "\xEF\xBF\xBD");
}

TEST(BuiltinBytes, SaveThenLoadGivesAnIdenticalTokenizer) {
  const auto tok = Tokenizer::builtin_bytes();
  TempDir dir;
  tok->save(dir.path().string());
  const Json saved = Json::parse(read_file(dir.path() / "tokenizer.json"));
  EXPECT_EQ(saved.at("model").at("type"), "BPE");
  EXPECT_EQ(saved.at("model").at("vocab").size(), 256u);
  EXPECT_EQ(saved.at("added_tokens").size(), 6u);
  const Json config = Json::parse(read_file(dir.path() / "tokenizer_config.json"));
  EXPECT_EQ(config.at("bos_token"), "<|bos|>");
  EXPECT_EQ(config.at("eos_token"), "<|eos|>");
  EXPECT_EQ(config.at("pad_token"), "<|pad|>");

  const auto reloaded = Tokenizer::load(dir.path().string());
  for (const std::string text : {"", "<|system|>Be brief.<|user|>2+2?<|assistant|>4<|eos|>", "Grüße 🙂"})
    EXPECT_EQ(reloaded->encode(text, true), tok->encode(text, true)) << show(text);
  EXPECT_EQ(reloaded->vocab_size(), 262);
  EXPECT_EQ(reloaded->bos_id(), 257);
  EXPECT_EQ(reloaded->eos_id(), 258);
  EXPECT_EQ(reloaded->pad_id(), 256);
}

// ---- Hand-built vocabularies: one behaviour each (expected ids computed by hand) ----------------

struct TinyTokenizer {
  Json doc = {{"version", "1.0"},
              {"added_tokens", Json::array()},
              {"normalizer", nullptr},
              {"pre_tokenizer", nullptr},
              {"post_processor", nullptr},
              {"decoder", nullptr},
              {"model",
               {{"type", "BPE"},
                {"unk_token", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"vocab", Json::object()},
                {"merges", Json::array()}}}};
  Json config;  // null: no tokenizer_config.json
  TempDir dir;

  TinyTokenizer& vocab(const std::vector<std::string>& tokens) {
    for (const auto& t : tokens) doc["model"]["vocab"][t] = static_cast<int>(doc["model"]["vocab"].size());
    return *this;
  }
  int id(const std::string& token) const { return doc["model"]["vocab"].at(token).get<int>(); }
  std::unique_ptr<Tokenizer> load() {
    write_file(dir.path() / "tokenizer.json", doc.dump());
    if (!config.is_null()) write_file(dir.path() / "tokenizer_config.json", config.dump());
    return Tokenizer::load(dir.path().string());
  }
};

TEST(Bpe, AppliesTheLowestRankMergeFirstNotTheLeftmost) {
  TinyTokenizer t;
  t.vocab({"a", "b", "c", "ab", "bc"});
  t.doc["model"]["merges"] = {"b c", "a b"};
  EXPECT_EQ(t.load()->encode("abc", false), (Ids{t.id("a"), t.id("bc")}));
}

TEST(Bpe, AcceptsMergesAsPairs) {
  TinyTokenizer t;
  t.vocab({"a", "b", "c", "ab", "abc"});
  t.doc["model"]["merges"] = Json::array({Json::array({"a", "b"}), Json::array({"ab", "c"})});
  EXPECT_EQ(t.load()->encode("abcab", false), (Ids{t.id("abc"), t.id("ab")}));
}

TEST(Bpe, IgnoreMergesTakesAWordThatIsInTheVocabWhole) {
  TinyTokenizer t;
  t.vocab({"a", "b", "c", "ab", "abc"});
  t.doc["model"]["merges"] = {"a b"};  // "abc" cannot be reached by merges
  EXPECT_EQ(t.load()->encode("abc", false), (Ids{t.id("ab"), t.id("c")}));
  TinyTokenizer u;
  u.vocab({"a", "b", "c", "ab", "abc"});
  u.doc["model"]["merges"] = {"a b"};
  u.doc["model"]["ignore_merges"] = true;
  EXPECT_EQ(u.load()->encode("abc", false), (Ids{u.id("abc")}));
}

TEST(Bpe, UnknownCharactersFallBackToBytesThenToAFusedUnk) {
  TinyTokenizer t;
  t.vocab({"<unk>", "a", "<0xC3>", "<0xA9>"});
  t.doc["model"]["unk_token"] = "<unk>";
  t.doc["model"]["byte_fallback"] = true;
  t.doc["model"]["fuse_unk"] = true;
  // é = C3 A9 (both byte tokens exist); ß = C3 9F (0x9F missing) -> <unk>; two in a row fuse.
  EXPECT_EQ(t.load()->encode("a\xC3\xA9\xC3\x9F\xC3\x9F"
                             "a",
                             false),
            (Ids{t.id("a"), t.id("<0xC3>"), t.id("<0xA9>"), t.id("<unk>"), t.id("a")}));
}

TEST(Bpe, UnknownCharactersWithoutUnkTokenAreDropped) {
  TinyTokenizer t;
  t.vocab({"a"});
  EXPECT_EQ(t.load()->encode("axa", false), (Ids{0, 0}));
}

TEST(AddedTokens, LongestMatchWinsAndLstripRstripSwallowWhitespace) {
  TinyTokenizer t;
  t.vocab({"a", " "});
  t.doc["added_tokens"] = {
      {{"id", 10}, {"content", "<m>"}, {"special", true}, {"lstrip", true}, {"rstrip", true}, {"normalized", false}},
      {{"id", 11}, {"content", "<m>>"}, {"special", true}, {"normalized", false}}};
  const auto tok = t.load();
  EXPECT_EQ(tok->encode("a  <m>  a", false), (Ids{0, 10, 0}));
  EXPECT_EQ(tok->encode("a <m>> a", false), (Ids{0, 1, 11, 1, 0}));
  EXPECT_EQ(tok->vocab_size(), 12);
}

TEST(AddedTokens, SingleWordTokensMatchOnlyBetweenNonWordCharacters) {
  TinyTokenizer t;
  t.vocab({"x", "y", " "});
  t.doc["added_tokens"] = {{{"id", 5}, {"content", "y"}, {"single_word", true}, {"normalized", false}}};
  const auto tok = t.load();
  EXPECT_EQ(tok->encode("x y", false), (Ids{0, 2, 5}));
  EXPECT_EQ(tok->encode("xy", false), (Ids{0, 1}));
}

TEST(PreTokenizers, SplitRemovedDropsTheMatches) {
  TinyTokenizer t;
  t.vocab({"a", "b", "ab", "-"});
  t.doc["model"]["merges"] = {"a b"};
  t.doc["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "Removed"}, {"invert", false}};
  EXPECT_EQ(t.load()->encode("ab-ab--a", false), (Ids{2, 2, 0}));
}

TEST(PreTokenizers, SplitMergedWithPreviousKeepsTheDelimiterOnTheLeftPiece) {
  TinyTokenizer t;
  t.vocab({"a", "-", "a-", "-a"});
  t.doc["model"]["merges"] = {"- a", "a -"};  // "-a" ranks first: only split pieces keep "a-"
  t.doc["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}};
  EXPECT_EQ(t.load()->encode("a-a-", false), (Ids{2, 2}));
}

TEST(PreTokenizers, MetaspaceMarksWordStartsAndItsDecoderUndoesIt) {
  TinyTokenizer t;
  t.vocab({"\xE2\x96\x81", "h", "i", "\xE2\x96\x81h", "\xE2\x96\x81hi"});
  t.doc["model"]["merges"] = {"\xE2\x96\x81 h", "\xE2\x96\x81h i"};
  t.doc["pre_tokenizer"] = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}};
  t.doc["decoder"] = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}};
  const auto tok = t.load();
  const Ids ids = tok->encode("hi hi", false);
  EXPECT_EQ(ids, (Ids{4, 4}));
  EXPECT_EQ(tok->decode(ids, false), "hi hi");
}

// Oniguruma's \s (Rust tokenizers) is Unicode White_Space, which has U+0085 NEXT LINE; so has
// PCRE2's with UCP. (The JS reference's built-in GPT-2 regex disagrees: it would give "Ġ" then
// "ĠÂħ%", so no "ĠĠ".) Pieces here: "x", "  ", "\u0085", "%".
TEST(PreTokenizers, ByteLevelRegexTreatsNextLineAsWhitespaceLikeTokenizers) {
  TinyTokenizer t;
  const std::string G = "\xC4\xA0", A = "\xC3\x82", h = "\xC4\xA7";  // bytes 0x20, 0xC2, 0x85
  t.vocab({"x", G, G + G, A, h, "%"});
  t.doc["model"]["merges"] = {G + " " + G};
  t.doc["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  EXPECT_EQ(t.load()->encode("x  \xC2\x85%", false), (Ids{0, 2, 3, 4, 5}));
}

TEST(Normalizers, NfcComposesBeforeTheVocabularyIsConsulted) {
  TinyTokenizer t;
  t.vocab({"\xC3\xA9"});  // é precomposed
  t.doc["normalizer"] = {{"type", "NFC"}};
  EXPECT_EQ(t.load()->encode("e\xCC\x81", false), Ids{0});  // e + COMBINING ACUTE ACCENT
}

TEST(PostProcessors, TemplateAddsTheSpecialTokensOnlyWhenAsked) {
  TinyTokenizer t;
  t.vocab({"a", "<s>", "</s>"});
  t.doc["post_processor"] = {{"type", "TemplateProcessing"},
                             {"single",
                              {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                               {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                               {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}}},
                             {"pair", Json::array()},
                             {"special_tokens",
                              {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}},
                               {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}};
  const auto tok = t.load();
  EXPECT_EQ(tok->encode("aa", true), (Ids{1, 0, 0, 2}));
  EXPECT_EQ(tok->encode("aa", false), (Ids{0, 0}));
}

// ---- Errors: one line, naming the file and the key ----------------------------------------------

TEST(TokenizerErrors, MissingFolderIsNamed) {
  TempDir dir;
  const std::string missing = (dir.path() / "nope").string();
  expect_error([&] { Tokenizer::load(missing); }, {missing});
}

TEST(TokenizerErrors, FolderWithoutTokenizerJsonIsNamed) {
  TempDir dir;
  expect_error([&] { Tokenizer::load(dir.path().string()); }, {(dir.path() / "tokenizer.json").string(), "not found"});
}

TEST(TokenizerErrors, MalformedJsonNamesTheFile) {
  TempDir dir;
  write_file(dir.path() / "tokenizer.json", "{\"model\": {\"type\": \"BPE\",\n");
  expect_error([&] { Tokenizer::load(dir.path().string()); },
               {(dir.path() / "tokenizer.json").string(), "invalid JSON"});
}

TEST(TokenizerErrors, UnsupportedModelTypeNamesTheFileAndTheKey) {
  TinyTokenizer t;
  t.doc["model"]["type"] = "WordPiece";
  expect_error([&] { t.load(); }, {"tokenizer.json: model.type: expected \"BPE\", found \"WordPiece\""});
}

TEST(TokenizerErrors, UnsupportedNormalizerIsNamed) {
  TinyTokenizer t;
  t.doc["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "BertNormalizer"}}}}};
  expect_error([&] { t.load(); }, {"tokenizer.json: normalizer.normalizers[1].type", "\"BertNormalizer\""});
}

TEST(TokenizerErrors, UnsupportedPreTokenizerIsNamed) {
  TinyTokenizer t;
  t.doc["pre_tokenizer"] = {{"type", "Whitespace"}};
  expect_error([&] { t.load(); }, {"tokenizer.json: pre_tokenizer.type", "\"Whitespace\""});
}

TEST(TokenizerErrors, MergeOfAnUnknownTokenIsNamed) {
  TinyTokenizer t;
  t.vocab({"a", "b"});
  t.doc["model"]["merges"] = {"a b"};
  expect_error([&] { t.load(); }, {"tokenizer.json: model.merges[0]", "\"ab\" is not in model.vocab"});
}

TEST(TokenizerErrors, ContinuingSubwordPrefixIsRejected) {
  TinyTokenizer t;
  t.doc["model"]["continuing_subword_prefix"] = "##";
  expect_error([&] { t.load(); }, {"model.continuing_subword_prefix", "not supported"});
}

TEST(TokenizerErrors, ConfigTokenOutsideTheVocabularyIsNamed) {
  TinyTokenizer t;
  t.vocab({"a"});
  t.config = {{"eos_token", {{"content", "</s>"}}}};
  expect_error([&] { t.load(); }, {"tokenizer_config.json: eos_token", "\"</s>\""});
}

TEST(TokenizerErrors, BadRegexIsNamed) {
  TinyTokenizer t;
  t.doc["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  expect_error([&] { t.load(); }, {"tokenizer.json: pre_tokenizer.pattern.Regex", "does not compile"});
}

}  // namespace
}  // namespace dataflex
