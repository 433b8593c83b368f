// tokenizer_components.hpp -- the stages of a tokenizer.json pipeline, as Hugging Face's
// `tokenizers` defines them: normalizer -> pre-tokenizer -> model -> post-processor, and the
// decoder for the way back. Each make_* reads one JSON object and throws dataflex::Error naming the
// file, the key and the unsupported "type".
//
// Components are immutable after construction and may be used from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/tokenizer_json.hpp"

namespace dataflex {

class UnicodeRegex;

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual std::string normalize(std::string text) const = 0;
};

// One piece of a pre-tokenized section. `at_text_start`: the piece begins at offset 0 of the text
// given to encode() (Metaspace's prepend_scheme "first" looks at it).
struct PreToken {
  std::string text;
  bool at_text_start = false;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Splits (and may rewrite) every piece; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<PreToken>& pieces) const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // Adds the special tokens of a single sequence (called only with add_special_tokens).
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the token strings; the decoded text is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// `value` is the JSON object at `key` (never null here; a null stage is simply absent).
std::unique_ptr<Normalizer> make_normalizer(const tokenizer_json::Json& value, const std::string& key,
                                            const tokenizer_json::Reader& reader);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const tokenizer_json::Json& value, const std::string& key,
                                                 const tokenizer_json::Reader& reader);
std::unique_ptr<PostProcessor> make_post_processor(const tokenizer_json::Json& value, const std::string& key,
                                                   const tokenizer_json::Reader& reader);
std::unique_ptr<Decoder> make_decoder(const tokenizer_json::Json& value, const std::string& key,
                                      const tokenizer_json::Reader& reader);

// A tokenizer.json pattern, {"String": s} (literal) or {"Regex": r}, at `key`.
std::unique_ptr<UnicodeRegex> make_pattern(const tokenizer_json::Json& pattern, const std::string& key,
                                           const tokenizer_json::Reader& reader);

// Single sequence: `prefix` ids, the sequence, `suffix` ids (TemplateProcessing's common shape).
std::unique_ptr<PostProcessor> make_template_post_processor(std::vector<int32_t> prefix, std::vector<int32_t> suffix);

}  // namespace dataflex
