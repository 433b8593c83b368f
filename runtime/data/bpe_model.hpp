// bpe_model.hpp -- the BPE model of tokenizer.json ("model": {"type": "BPE", ...}).
//
// One pre-token (a "word") becomes ids the way tokenizers' bpe/word.rs does it: each character is
// looked up in the vocab (unknown ones become <0xNN> byte tokens with byte_fallback, else the unk
// token, fused with fuse_unk, else they are dropped), then the applicable merge of lowest rank is
// applied, leftmost first among equals, until none applies: a priority queue over a linked list of
// symbols, O(n log n) per word. With ignore_merges (Llama 3) a word that is itself in the vocab is
// one token. Results for words under 256 bytes are cached (10,000 words, like tokenizers).
//
// Thread-safety: tokenize() may run on several threads at once (the cache has a lock).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/tokenizer_json.hpp"

namespace dataflex {

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object.
  BpeModel(const tokenizer_json::Json& model, const tokenizer_json::Reader& reader);

  // Appends the ids of `word` to `out`.
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // nullptr when no token has this id.
  const std::string* id_to_token(int32_t id) const;
  // The largest id + 1.
  int64_t id_count() const { return static_cast<int64_t>(id_to_token_.size()); }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void read_vocab(const tokenizer_json::Json& vocab, const tokenizer_json::Reader& reader);
  void read_merges(const tokenizer_json::Json& merges, const tokenizer_json::Reader& reader);
  void merge_word(std::string_view word, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;
  std::vector<bool> has_id_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 128> ascii_ids_;          // vocab id of each one-byte character, or -1
  std::array<int32_t, 256> byte_fallback_ids_;  // id of <0xNN>, or -1
  std::optional<int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;

  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace dataflex
