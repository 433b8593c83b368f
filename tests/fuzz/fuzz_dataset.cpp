// Dataset files as LLaMA-Factory users write them, loaded into a corpus (read, rendered with a chat
// template, tokenized, split) by the same call the trainer makes. One source, one target per format:
//   FUZZ_ALPACA        an alpaca .json array (instruction/input/output/history/system columns)
//   FUZZ_JSONL         alpaca rows, one JSON object per line
//   FUZZ_SHAREGPT      a sharegpt .json array with tool calls (conversations + tools columns)
//   FUZZ_TEXT          pre-training .txt, packed into blocks
//   FUZZ_DATASET_INFO  dataset_info.json itself, over a folder of valid files of every kind
#include <nlohmann/json.hpp>

#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace dataflex;

const Tokenizer& tokenizer() {
  static const auto t = Tokenizer::builtin_bytes();
  return *t;
}

DataOptions options_for(std::vector<std::string> names, std::string stage, std::string chat_template) {
  DataOptions o;
  o.dataset_dir = fuzz::scratch_dir().string();
  o.dataset = std::move(names);
  o.stage = std::move(stage);
  o.template_name = std::move(chat_template);
  o.cutoff_len = 48;
  o.val_size = 0.25;
  o.packing = o.stage == "pt";
  return o;
}

#ifdef FUZZ_DATASET_INFO
// Valid files for the names a mutated dataset_info.json may point at.
void write_valid_files() {
  fuzz::write_text("alpaca.json", R"([{"instruction": "Add", "input": "2 and 3", "output": "5",
    "history": [["hi", "hello"]], "system": "be brief"}])");
  fuzz::write_text("alpaca.jsonl",
                   "{\"instruction\": \"Say hi\", \"output\": \"Hi!\"}\n{\"q\": \"a\", \"a\": \"b\"}\n");
  fuzz::write_text("chat.json",
                   R"([{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}],
    "tools": "[]"}])");
  fuzz::write_text("chat.jsonl",
                   R"({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}]})");
  fuzz::write_text("text.txt", "one line of text\nanother line\n");
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
#if defined(FUZZ_ALPACA)
  static const bool once = (fuzz::write_text("dataset_info.json", R"({"d": {"file_name": "d.json",
    "columns": {"prompt": "instruction", "query": "input", "response": "output", "history": "history", "system": "system"}}})"),
                            true);
  fuzz::write_input("d.json", data, size);
  fuzz::expect_clean_failure([&] { (void)load_corpus(options_for({"d"}, "sft", "default"), tokenizer()); });
#elif defined(FUZZ_JSONL)
  static const bool once = (fuzz::write_text("dataset_info.json", R"({"d": {"file_name": "d.jsonl"}})"), true);
  fuzz::write_input("d.jsonl", data, size);
  fuzz::expect_clean_failure([&] { (void)load_corpus(options_for({"d"}, "sft", "llama3"), tokenizer()); });
#elif defined(FUZZ_SHAREGPT)
  static const bool once = (fuzz::write_text("dataset_info.json", R"({"d": {"file_name": "d.json",
    "formatting": "sharegpt", "columns": {"messages": "conversations", "tools": "tools", "system": "system"}}})"),
                            true);
  fuzz::write_input("d.json", data, size);
  fuzz::expect_clean_failure([&] { (void)load_corpus(options_for({"d"}, "sft", "qwen"), tokenizer()); });
#elif defined(FUZZ_TEXT)
  static const bool once = (fuzz::write_text("dataset_info.json", R"({"d": {"file_name": "d.txt"}})"), true);
  fuzz::write_input("d.txt", data, size);
  fuzz::expect_clean_failure([&] { (void)load_corpus(options_for({"d"}, "pt", "empty"), tokenizer()); });
#elif defined(FUZZ_DATASET_INFO)
  static const bool once = (write_valid_files(), true);
  fuzz::write_input("dataset_info.json", data, size);
  // Every name the file declares is loaded, as a config listing them all would.
  std::vector<std::string> names;
  const auto info = nlohmann::json::parse(data, data + size, nullptr, false);
  if (info.is_object())
    for (const auto& item : info.items()) names.push_back(item.key());
  if (names.empty()) names.push_back("d");
  fuzz::expect_clean_failure([&] { (void)load_corpus(options_for(names, "sft", "default"), tokenizer()); });
#else
#error "define one of FUZZ_ALPACA, FUZZ_JSONL, FUZZ_SHAREGPT, FUZZ_TEXT, FUZZ_DATASET_INFO"
#endif
  (void)once;
  return 0;
}
