// tokenizer.hpp -- Hugging Face tokenizer.json tokenizers, and the byte-level one of builtin:tiny.
//
// One class serves every supported tokenizer.json: byte-level BPE (GPT-2 / Llama-3 / Qwen2 style,
// regex pre-tokenizer + ByteLevel) and SentencePiece-style BPE with byte fallback (Llama-2 style).
// The built-in tokenizer is byte-level BPE with no merges (256 byte tokens + special tokens), written
// out as an ordinary tokenizer.json so that a saved builtin model is a normal Hugging Face folder.
// No LibTorch here: token ids are plain int32.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dataflex {

class Tokenizer {
 public:
  // Reads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json (bos/eos/pad tokens,
  // add_bos_token, chat-related special tokens). `path` may also name the tokenizer.json itself.
  // Throws dataflex::Error naming the file and the key for anything unsupported or malformed.
  static std::unique_ptr<Tokenizer> load(const std::string& path);
  // The tokenizer of builtin:tiny: ids 0..255 are bytes; then <|pad|>, <|bos|>, <|eos|>,
  // <|user|>, <|assistant|>, <|system|> (see builtin_tokenizer.cpp).
  static std::unique_ptr<Tokenizer> builtin_bytes();
  // The tokenizer of a run: `tokenizer_path` when given; else the byte tokenizer for builtin:* models,
  // or the model folder's tokenizer.json.
  static std::unique_ptr<Tokenizer> for_model(const std::string& model_name_or_path, const std::string& tokenizer_path);

  virtual ~Tokenizer() = default;

  // Text -> ids. Added/special tokens written in the text are recognised as such. With
  // `add_special_tokens`, the post-processor's tokens (e.g. Llama's BOS) are added.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const = 0;
  // Ids -> text (byte-level and byte-fallback tokens are reassembled into UTF-8).
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const = 0;

  // Number of ids (the largest id + 1, added tokens included).
  virtual int64_t vocab_size() const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(int32_t id) const = 0;
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  // Padding id: the pad token when there is one, else EOS (LLaMA-Factory does the same).
  virtual std::optional<int32_t> pad_id() const = 0;

  // Writes tokenizer.json (and tokenizer_config.json) into `dir` so that load(dir) and Hugging
  // Face's own loader read the same tokenizer back.
  virtual void save(const std::string& dir) const = 0;
};

}  // namespace dataflex
