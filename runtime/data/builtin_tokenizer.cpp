// builtin_tokenizer.cpp -- the tokenizer of builtin:tiny, written as an ordinary tokenizer.json.
//
// Byte-level BPE without merges: ids 0..255 are the bytes (each token is the byte's GPT-2
// byte-level character, so id == byte value), then six special tokens. No regex split (every byte
// is its own token anyway) and no post-processor: BOS is added by whoever builds the sequences.
#include "data/byte_level.hpp"
#include "data/json_tokenizer.hpp"
#include "data/tokenizer.hpp"
#include "data/tokenizer_json.hpp"

namespace dataflex {

namespace {

constexpr const char* kSpecialTokens[] = {"<|pad|>", "<|bos|>", "<|eos|>", "<|user|>", "<|assistant|>", "<|system|>"};

std::string builtin_tokenizer_json() {
  using Json = nlohmann::ordered_json;
  Json vocab = Json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level::byte_to_char(static_cast<unsigned char>(b))] = b;
  Json added = Json::array();
  int id = 256;
  for (const char* token : kSpecialTokens) {
    added.push_back({{"id", id++},
                     {"content", token},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  const Json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}};
  Json doc;
  doc["version"] = "1.0";
  doc["truncation"] = nullptr;
  doc["padding"] = nullptr;
  doc["added_tokens"] = added;
  doc["normalizer"] = nullptr;
  doc["pre_tokenizer"] = byte_level;
  doc["post_processor"] = nullptr;
  doc["decoder"] = byte_level;
  doc["model"] = {{"type", "BPE"},
                  {"dropout", nullptr},
                  {"unk_token", nullptr},
                  {"continuing_subword_prefix", nullptr},
                  {"end_of_word_suffix", nullptr},
                  {"fuse_unk", false},
                  {"byte_fallback", false},
                  {"ignore_merges", false},
                  {"vocab", vocab},
                  {"merges", Json::array()}};
  return doc.dump(2, ' ', false) + "\n";
}

std::string builtin_tokenizer_config() {
  nlohmann::ordered_json config;
  config["tokenizer_class"] = "PreTrainedTokenizerFast";
  config["bos_token"] = "<|bos|>";
  config["eos_token"] = "<|eos|>";
  config["pad_token"] = "<|pad|>";
  config["add_bos_token"] = false;
  config["clean_up_tokenization_spaces"] = false;
  return config.dump(2) + "\n";
}

}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::builtin_bytes() {
  return make_json_tokenizer(builtin_tokenizer_json(), builtin_tokenizer_config(), "builtin:bytes tokenizer.json",
                             "builtin:bytes tokenizer_config.json");
}

}  // namespace dataflex
