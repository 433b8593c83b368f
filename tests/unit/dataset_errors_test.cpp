// Dataset errors: one line, naming the file and line (or the dataset, or the key), and what was
// expected. Line numbers in the comments count the lines of the text written by each test.
#include <gtest/gtest.h>

#include "data/corpus.hpp"
#include "dataset_test_support.hpp"

namespace dataflex {
namespace {

using test::DatasetDir;
using test::expect_error;

// A dataset folder with one dataset "d" = `file_name` holding `text`.
struct OneDataset {
  DatasetDir dir;
  DataOptions options;
  std::unique_ptr<Tokenizer> tok = test::bytes_tokenizer();

  OneDataset(const std::string& file_name, const std::string& text, const std::string& entry_extra = "") {
    dir.write("dataset_info.json", "{\"d\": {\"file_name\": \"" + file_name + "\"" + entry_extra + "}}");
    dir.write(file_name, text);
    options.dataset_dir = dir.str();
    options.dataset = {"d"};
  }
  std::string path(const std::string& name) const { return dir.file(name); }
  void load() const { load_corpus(options, *tok); }
};

std::string fixtures_dir() { return DATASET_FIXTURES_DIR; }

TEST(DatasetErrors, MalformedJsonLineNamesTheFileAndItsLine) {
  OneDataset d("rows.jsonl",
               "{\"instruction\": \"a\", \"output\": \"b\"}\n"  // line 1
               "\n"                                             // line 2: blank, skipped
               "{\"instruction\": \"c\", \"output\": }\n");     // line 3
  expect_error([&] { d.load(); }, {d.path("rows.jsonl") + ":3:", "invalid JSON line", "one object per line"});
}

// Found by fuzzing (tests/fuzz/regressions/dataset_sharegpt/number_overflow): a number too large for a
// double is valid JSON syntax that nlohmann refuses with out_of_range, which escaped as "malformed
// JSON" without the file, in a JSON file, a JSON-lines file, dataset_info.json and a tools string.
TEST(DatasetErrors, ANumberBeyondDoubleNamesTheFileAndLine) {
  OneDataset lines("rows.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": 1e999}\n");
  expect_error([&] { lines.load(); }, {lines.path("rows.jsonl") + ":2:", "number overflow"});
  OneDataset array("rows.json", "[\n{\"instruction\": \"a\", \"output\": \"b\"},\n{\"output\": 105e10510}\n]\n");
  expect_error([&] { array.load(); }, {array.path("rows.json") + ":3:", "array element 1", "number overflow"});
  OneDataset bare("rows.json", "105e10510");
  expect_error([&] { bare.load(); }, {bare.path("rows.json"), "number overflow"});
  DatasetDir dir;
  dir.write("dataset_info.json", "{\"d\": {\"file_name\": \"x.json\", \"num\": 1e400}}");
  DataOptions o;
  o.dataset_dir = dir.str();
  o.dataset = {"d"};
  expect_error([&] { load_corpus(o, *test::bytes_tokenizer()); }, {dir.file("dataset_info.json"), "number overflow"});
}

TEST(DatasetErrors, JsonLineThatIsNotAnObjectSaysWhatWasExpected) {
  OneDataset d("rows.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n[1, 2]\n");
  expect_error([&] { d.load(); }, {d.path("rows.jsonl") + ":2:", "expected a JSON object", "found an array"});
}

TEST(DatasetErrors, SyntaxErrorInAJsonArrayNamesItsLineAndWhereTheElementStarts) {
  OneDataset d("rows.json",
               "[\n"                                               // 1
               "  {\"instruction\": \"a\", \"output\": \"b\"},\n"  // 2
               "  {\"instruction\": \"c\",\n"                      // 3: the bad element starts here
               "   \"output\": \"d\" \"e\"},\n"                    // 4: two strings without a comma
               "  {\"instruction\": \"f\", \"output\": \"g\"}\n"   // 5
               "]\n");
  expect_error([&] { d.load(); }, {d.path("rows.json") + ":4:", "array element 1", "starts at line 3"});
}

TEST(DatasetErrors, JsonArrayElementThatIsNotAnObjectNamesTheLineWhereItStarts) {
  OneDataset d("rows.json",
               "[\n"                                              // 1
               "  {\"instruction\": \"a\",\n"                     // 2
               "   \"output\": \"b\"},\n"                         // 3
               "  \"just a string\",\n"                           // 4
               "  {\"instruction\": \"c\", \"output\": \"d\"}\n"  // 5
               "]\n");
  expect_error([&] { d.load(); }, {d.path("rows.json") + ":4:", "array element 1", "expected a JSON object"});
}

TEST(DatasetErrors, UnclosedJsonArrayElementNamesTheLineWhereItStarts) {
  OneDataset d("rows.json", "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": \"c\"\n");
  expect_error([&] { d.load(); }, {d.path("rows.json") + ":3:", "not closed"});
}

TEST(DatasetErrors, TrailingCommaInAJsonArrayIsNamed) {
  OneDataset d("rows.json", "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n]\n");
  expect_error([&] { d.load(); }, {d.path("rows.json") + ":3:", "trailing comma"});
}

TEST(DatasetErrors, MissingColumnNamesFileLineAndColumn) {
  OneDataset d("rows.json",
               "[\n"                                               // 1
               "  {\"instruction\": \"a\", \"output\": \"b\"},\n"  // 2
               "  {\n"                                             // 3: element 1 starts here
               "    \"instruction\": \"c\"\n"                      // 4
               "  }\n"
               "]\n");
  expect_error([&] { d.load(); }, {d.path("rows.json") + ":3:", "missing column 'output'", "expected a string"});
}

TEST(DatasetErrors, ColumnOfTheWrongTypeNamesFileLineAndType) {
  OneDataset d("rows.jsonl", "{\"instruction\": \"a\", \"output\": 5}\n");
  expect_error([&] { d.load(); },
               {d.path("rows.jsonl") + ":1:", "column 'output'", "expected a string, found a number"});
}

TEST(DatasetErrors, PretrainRowWithoutTheTextColumnNamesIt) {
  OneDataset d("rows.jsonl", "{\"text\": \"ok\"}\n{\"content\": \"no\"}\n");
  d.options.stage = "pt";
  expect_error([&] { d.load(); }, {d.path("rows.jsonl") + ":2:", "missing column 'text'"});
}

TEST(DatasetErrors, BrokenShareGptAlternationNamesFileLineAndMessage) {
  OneDataset d(
      "chats.jsonl",
      "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}]}\n"
      "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"human\", \"value\": \"b\"}]}\n",
      ", \"formatting\": \"sharegpt\"");
  expect_error([&] { d.load(); }, {d.path("chats.jsonl") + ":2:", "conversations[1]", "role 'human'",
                                   "gpt or function_call", "alternate"});
}

TEST(DatasetErrors, ShareGptConversationEndingWithAUserTurnIsNamed) {
  OneDataset d("chats.jsonl",
               "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}, "
               "{\"from\": \"human\", \"value\": \"c\"}]}\n",
               ", \"formatting\": \"sharegpt\"");
  expect_error([&] { d.load(); }, {d.path("chats.jsonl") + ":1:", "must end with"});
}

TEST(DatasetErrors, ShareGptUnknownRoleIsNamed) {
  OneDataset d("chats.jsonl",
               "{\"conversations\": [{\"from\": \"user\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}]}\n",
               ", \"formatting\": \"sharegpt\"");
  expect_error([&] { d.load(); }, {d.path("chats.jsonl") + ":1:", "conversations[0].from", "unknown role 'user'"});
}

TEST(DatasetErrors, MalformedToolListNamesFileAndLine) {
  OneDataset d("chats.jsonl",
               "{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}, {\"from\": \"gpt\", \"value\": \"b\"}], "
               "\"tools\": \"[{not json\"}\n",
               ", \"formatting\": \"sharegpt\", \"columns\": {\"messages\": \"conversations\", \"tools\": \"tools\"}");
  expect_error([&] { d.load(); }, {d.path("chats.jsonl") + ":1:", "tool list", "not valid JSON"});
}

TEST(DatasetErrors, UnknownDatasetNameSuggestsTheClosestOne) {
  DataOptions o;
  o.dataset_dir = fixtures_dir();
  o.dataset = {"alpaca_smal"};
  const auto tok = test::bytes_tokenizer();
  expect_error([&] { load_corpus(o, *tok); }, {fixtures_dir() + "/dataset_info.json", "no dataset named 'alpaca_smal'",
                                               "did you mean 'alpaca_small'?"});
}

TEST(DatasetErrors, HubOnlyDatasetSaysOnlyLocalFilesAreSupported) {
  DataOptions o;
  o.dataset_dir = fixtures_dir();
  o.dataset = {"remote_only"};
  const auto tok = test::bytes_tokenizer();
  expect_error([&] { load_corpus(o, *tok); },
               {"dataset 'remote_only'", "only local files are supported", "hf_hub_url", "file_name"});
}

TEST(DatasetErrors, UnknownTemplateListsTheKnownOnes) {
  DataOptions o;
  o.dataset_dir = fixtures_dir();
  o.dataset = {"alpaca_small"};
  o.template_name = "llama-3";
  const auto tok = test::bytes_tokenizer();
  expect_error([&] { load_corpus(o, *tok); }, {"template", "unknown chat template 'llama-3'", "did you mean 'llama3'?",
                                               "default, empty, llama3, qwen"});
}

TEST(DatasetErrors, RankingDatasetsAreRejected) {
  OneDataset d("pairs.json", "[]", ", \"ranking\": true");
  expect_error([&] { d.load(); }, {"dataset 'd'", "ranking", "not supported"});
}

TEST(DatasetErrors, UnsupportedFileTypeIsNamed) {
  OneDataset d("rows.csv", "instruction,output\na,b\n");
  expect_error([&] { d.load(); }, {d.path("rows.csv"), "'.csv'", ".json, .jsonl", ".txt"});
}

TEST(DatasetErrors, MissingDataFileNamesTheDatasetAndPath) {
  OneDataset d("rows.json", "[]");
  d.dir.write("dataset_info.json", "{\"d\": {\"file_name\": \"nowhere.json\"}}");
  expect_error([&] { d.load(); }, {"dataset 'd'", d.path("nowhere.json"), "does not exist"});
}

TEST(DatasetErrors, EmptyDomainIsNamed) {
  OneDataset d("rows.json", "[]");
  expect_error([&] { d.load(); }, {"dataset 'd'", "no samples"});
}

TEST(DatasetErrors, PackingThatLeavesADomainWithoutABlockNamesIt) {
  DataOptions o;
  o.dataset_dir = fixtures_dir();
  o.dataset = {"text_wiki", "text_news"};
  o.stage = "pt";
  o.packing = true;
  o.cutoff_len = 35;  // text_wiki holds 34 ids, text_news 36
  const auto tok = test::bytes_tokenizer();
  expect_error([&] { load_corpus(o, *tok); }, {"dataset 'text_wiki'", "cutoff_len 35", "only 34"});
}

TEST(DatasetErrors, ValSizeThatHoldsOutEverySampleNamesTheDomain) {
  DataOptions o;
  o.dataset_dir = fixtures_dir();
  o.dataset = {"alpaca_small"};
  o.val_size = 3;
  const auto tok = test::bytes_tokenizer();
  expect_error([&] { load_corpus(o, *tok); }, {"dataset 'alpaca_small'", "val_size", "all 3 samples"});
}

TEST(DatasetErrors, OptionsAreChecked) {
  DataOptions o;
  o.dataset_dir = fixtures_dir();
  o.dataset = {"alpaca_small"};
  const auto tok = test::bytes_tokenizer();
  DataOptions a = o;
  a.stage = "stf";
  expect_error([&] { load_corpus(a, *tok); }, {"stage", "'stf'", "did you mean 'sft'?"});
  DataOptions b = o;
  b.packing = true;
  expect_error([&] { load_corpus(b, *tok); }, {"packing", "stage pt only"});
  DataOptions c = o;
  c.dataset = {"alpaca_small", "alpaca_small"};
  expect_error([&] { load_corpus(c, *tok); }, {"'alpaca_small' is listed twice"});
  DataOptions e = o;
  e.cutoff_len = 0;
  expect_error([&] { load_corpus(e, *tok); }, {"cutoff_len"});
}

}  // namespace
}  // namespace dataflex
